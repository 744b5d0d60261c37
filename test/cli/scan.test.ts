import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { SIT } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'labelgate-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runCli(argv, { stdout, stderr, stdin: Readable.from([stdin]) });
  return { code, out, err };
}

describe('labelgate scan', () => {
  const csv = join(dir, 'report.csv');
  writeFileSync(csv, `name,card_number,ssn\nJane,4111111111111111,536-90-4399\n${'x,y,z\n'.repeat(100)}Joe,5555555555554444,078-05-1123\n`);

  it('prints classificationResult[] JSON; CSV mode from the extension', async () => {
    const { code, out } = await cli(['scan', csv]);
    expect(code).toBe(0);
    const results = JSON.parse(out);
    expect(results).toContainEqual({ sensitiveTypeId: SIT.creditCard, count: 2, confidenceLevel: 85 });
    expect(results).toContainEqual({ sensitiveTypeId: SIT.usSsn, count: 2, confidenceLevel: 85 });
  });

  it('--delimiter none scans the same file as plain text', async () => {
    const results = JSON.parse((await cli(['scan', csv, '--delimiter', 'none'])).out);
    expect(results).toContainEqual({ sensitiveTypeId: SIT.creditCard, count: 1, confidenceLevel: 65 });
  });

  it('--explain lists matches with masked values only', async () => {
    const { code, out } = await cli(['scan', csv, '--explain']);
    expect(code).toBe(0);
    const { classificationResults, matches } = JSON.parse(out);
    expect(classificationResults.length).toBeGreaterThan(0);
    expect(matches[0]).toMatchObject({ sensitiveTypeId: expect.any(String), offset: expect.any(Number), confidenceLevel: 85 });
    expect(out).not.toContain('4111111111111111');
    expect(out).not.toContain('536-90-4399');
    expect(out).toContain('4111********1111');
  });

  it('reads stdin with "-" and feeds "labelgate evaluate"', async () => {
    const scanned = await cli(['scan', '-'], 'Visa 4111 1111 1111 1111\n');
    expect(scanned.code).toBe(0);
    const evaluated = await cli(['evaluate', '--results', '-'], scanned.out);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.out).value.length).toBeGreaterThan(0);
  });

  it('runs the custom types of --policy', async () => {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      [
        'settings: { siteId: f8d5ad45-1d82-4562-acb8-5daaa0354496 }',
        'labels: [{ id: 2460e39a-0b4e-49d0-9106-6a1ce01bbb35, name: Public, sensitivity: 0 }]',
        'customTypes:',
        '  - { id: 6d0b1c1e-8f7a-4c4e-9a55-0d7f0b3a1e01, name: Employee ID, pattern: "EMP-\\\\d{6}" }',
      ].join('\n'),
    );
    const file = join(dir, 'hr.txt');
    writeFileSync(file, 'EMP-123456\n');
    const { code, out } = await cli(['scan', file, '--policy', policy]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([{ sensitiveTypeId: '6d0b1c1e-8f7a-4c4e-9a55-0d7f0b3a1e01', count: 1, confidenceLevel: 65 }]);
  });

  it('exit 2 for usage errors, 1 for a failing scan', async () => {
    expect((await cli(['scan'])).code).toBe(2);
    expect((await cli(['scan', join(dir, 'missing.txt')])).code).toBe(2);
    expect((await cli(['scan', csv, '--delimiter', 'x'])).code).toBe(2);
    expect((await cli(['scan', csv, '--encoding', 'latin1'])).code).toBe(2);
    const bad = join(dir, 'bad-policy.json');
    writeFileSync(bad, '{"settings": {}}');
    const r = await cli(['scan', csv, '--policy', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/policy/);
  });
});
