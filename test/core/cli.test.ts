import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { runCli } from '../../src/cli/run.js';
import { DEFAULT_LABEL_IDS, SIT, buildMsipMetadata, DEFAULT_SITE_ID, formatMsipHeader } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'labelgate-cli-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function cli(argv: string[], stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const input = new PassThrough();
  input.end(stdin);
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runCli(argv, { stdout, stderr, stdin: input });
  return { code, out, err };
}

const seed = JSON.stringify([{ sensitiveTypeId: SIT.abaRouting, count: 4, confidenceLevel: 75 }]);

describe('CLI', () => {
  it('labels: table and JSON', async () => {
    const table = await cli(['labels']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^SENSITIVITY\s+NAME\s+ID\s+NOTES$/m);
    expect(table.out).toMatch(/^1\s+General\s+fd4a668a-48cf-4a14-be04-63370ee4c4a6\s+default$/m);
    const json = await cli(['labels', '--json']);
    const parsed = JSON.parse(json.out) as { value: { name: string }[]; labelPolicySettings: { id: string } };
    expect(parsed.value.map((l) => l.name)).toContain('Highly Confidential');
    expect(parsed.labelPolicySettings.id).toBe(DEFAULT_SITE_ID);
  });

  it('evaluate --results FILE and - (stdin), also scan-output shaped input', async () => {
    const fromFile = await cli(['evaluate', '--results', file('r.json', seed)]);
    expect(fromFile.code).toBe(0);
    const actions = JSON.parse(fromFile.out).value;
    expect(actions[0]['@odata.type']).toBe('#microsoft.graph.security.applyLabelAction');
    expect(actions[0].sensitivityLabelId).toBe(DEFAULT_LABEL_IDS.confidential);
    const fromStdin = await cli(['evaluate', '--results', '-'], JSON.stringify({ classificationResults: JSON.parse(seed) }));
    expect(JSON.parse(fromStdin.out).value[0].sensitivityLabelId).toBe(DEFAULT_LABEL_IDS.confidential);
  });

  it('evaluate with existing metadata (JSON or an msip_labels line) keeps a higher label', async () => {
    const meta = buildMsipMetadata({ labelId: DEFAULT_LABEL_IDS.highlyConfidential, siteId: DEFAULT_SITE_ID, name: 'Highly Confidential', method: 'Standard', contentBits: 7 });
    const json = await cli(['evaluate', '--results', file('s.json', seed), '--metadata', file('m.json', JSON.stringify(meta))]);
    expect(JSON.parse(json.out).value).toEqual([]);
    const header = await cli(['evaluate', '--results', file('s2.json', seed), '--metadata', file('m.txt', `msip_labels: ${formatMsipHeader(meta)}`)]);
    expect(JSON.parse(header.out).value).toEqual([]);
  });

  it('evaluate --label and --remove', async () => {
    const label = await cli(['evaluate', '--label', 'highly confidential', '--privileged']);
    const flat = JSON.parse(label.out).value as { '@odata.type': string }[];
    expect(flat.map((a) => a['@odata.type'].split('.').pop())).toEqual(['addContentHeaderAction', 'addWatermarkAction', 'addContentFooterAction', 'metadataAction']);
    const meta = buildMsipMetadata({ labelId: DEFAULT_LABEL_IDS.confidential, siteId: DEFAULT_SITE_ID, name: 'Confidential', method: 'Standard', contentBits: 2 });
    const m = file('m2.json', JSON.stringify(meta));
    expect(JSON.parse((await cli(['evaluate', '--remove', '--metadata', m])).out).value).toEqual([{ '@odata.type': '#microsoft.graph.security.justifyAction' }]);
    const removed = JSON.parse((await cli(['evaluate', '--remove', '--metadata', m, '--justification', 'obsolete'])).out).value;
    expect(removed.at(-1).metadataToRemove).toHaveLength(7);
  });

  it('usage errors exit 2 and say what to fix', async () => {
    expect(await cli(['frobnicate'])).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command "frobnicate"/) });
    expect(await cli(['evaluate'])).toMatchObject({ code: 2, err: expect.stringMatching(/exactly one of --results, --label or --remove/) });
    expect(await cli(['labels', '--nope'])).toMatchObject({ code: 2, err: expect.stringMatching(/--nope/) });
    expect(await cli(['evaluate', '--results', join(dir, 'missing.json')])).toMatchObject({ code: 2, err: expect.stringMatching(/file not found/) });
    expect(await cli(['evaluate', '--results', file('bad.json', '{')])).toMatchObject({ code: 2, err: expect.stringMatching(/not valid JSON/) });
    // The reason never quotes the input (it may be a sensitive value).
    const quoted = await cli(['evaluate', '--results', file('bad2.json', '{"pan": x4111111111111111}')]);
    expect(quoted).toMatchObject({ code: 2, err: expect.stringMatching(/not valid JSON: Unexpected token/) });
    expect(quoted.err).not.toContain('4111');
    expect(await cli(['evaluate', '--label', 'Top Secret'])).toMatchObject({ code: 2, err: expect.stringMatching(/no label "Top Secret"/) });
    expect((await cli([])).code).toBe(2);
    expect(await cli(['--help'])).toMatchObject({ code: 0, out: expect.stringMatching(/Commands:/) });
    expect(await cli(['evaluate', '--help'])).toMatchObject({ code: 0, out: expect.stringMatching(/--results FILE/) });
  });

  it('failures exit 1 with the reason (broken policy, bad results)', async () => {
    const broken = file('broken.yaml', 'settings: {siteId: nope}\nlabels: []\n');
    const r = await cli(['labels', '--policy', broken]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('settings.siteId: expected a GUID');
    expect(r.err).toContain('labels: a policy needs at least one label');
    const bad = await cli(['evaluate', '--results', file('neg.json', JSON.stringify([{ sensitiveTypeId: SIT.iban, count: 'many', confidenceLevel: 85 }]))]);
    expect(bad).toMatchObject({ code: 1, err: expect.stringMatching(/classificationResults\[0\]\.count/) });
  });
});

describe('built package', () => {
  const dist = new URL('../../dist/', import.meta.url).pathname;
  const root = new URL('../../', import.meta.url).pathname;
  const requireBuild = () => {
    if (!existsSync(join(dist, 'index.cjs')) || !existsSync(join(dist, 'cli.js'))) throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
  };
  it('the bin runs with exit codes', () => {
    requireBuild();
    const ok = execFileSync(process.execPath, [join(dist, 'cli.js'), 'evaluate', '--results', '-'], { input: seed }).toString();
    expect(JSON.parse(ok).value[0].sensitivityLabelId).toBe(DEFAULT_LABEL_IDS.confidential);
    const usage = spawnSync(process.execPath, [join(dist, 'cli.js'), 'evaluate']);
    expect(usage.status).toBe(2);
  });

  it('require() and import() both work (CommonJS and ESM entries)', () => {
    requireBuild();
    const cjs = execFileSync(process.execPath, ['-e', "const l=require('labelgate'); const e=require('labelgate/express'); const k=require('labelgate/koa'); console.log(typeof l.createLabeler, typeof e, typeof k)"], { cwd: root }).toString();
    expect(cjs.trim()).toBe('function object object');
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "const l=await import('labelgate'); console.log(typeof l.createLabeler, typeof l.classify)"], { cwd: root }).toString();
    expect(esm.trim()).toBe('function function');
  });
});
