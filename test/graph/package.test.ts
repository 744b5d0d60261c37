/**
 * The built package (dist/, made by `npm run build` before vitest in `npm test`): CommonJS and ESM
 * both load, the Graph SDK is loaded only when Graph is used, a missing optional @azure/identity
 * gives an actionable error, and the example runs against the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EMULATOR_TOKEN, GraphEmulator } from '../graph-emulator/server.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(() => {
  if (!existsSync(join(root, 'dist/index.cjs'))) throw new Error('dist/ is missing: run "npm run build" (npm test does)');
});

async function node(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, timeout: 15_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('built package', () => {
  it('require("labelgate") works, and does not load the Graph SDK until Graph is used', async () => {
    const r = await node([
      '-e',
      `const l = require('labelgate');
       const sdkLoaded = () => Object.keys(require.cache).some((p) => p.includes('microsoft-graph-client'));
       console.log(typeof l.createLabeler, typeof l.GraphEngine, sdkLoaded());`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function function false');
  });

  it('import("labelgate") works', async () => {
    const r = await node(['--input-type=module', '-e', `const l = await import('labelgate'); console.log(typeof l.createLabeler, Object.keys(l.GRAPH_CLOUDS).join(','));`]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function global,usgovL4,usgovL5,china');
  });

  for (const format of ['cjs', 'esm'] as const) {
    it(`the Graph SDK loads and talks to Graph from the ${format} build`, async () => {
      const emulator = await GraphEmulator.start();
      try {
        const body = `const labeler = l.createLabeler({ graph: { credential: { getToken: async () => ({ token: '${EMULATOR_TOKEN}', expiresOnTimestamp: Date.now() + 60000 }) }, baseUrl: '${emulator.baseUrl}' } });
          labeler.listLabels().then((labels) => console.log(labels.length), (e) => console.log(e.code, e.message));`;
        const script = format === 'cjs' ? `const l = require('labelgate'); ${body}` : `const l = await import('labelgate'); ${body}`;
        const r = await node(format === 'cjs' ? ['-e', script] : ['--input-type=module', '-e', script]);
        expect(r.stdout.trim()).toBe('7');
        expect(emulator.requests.every((q) => q.sdkVersion?.startsWith('graph-js/'))).toBe(true);
      } finally {
        await emulator.close();
      }
    });
  }
});

describe('without the optional @azure/identity', () => {
  let app: string;
  beforeAll(() => {
    // An app that installed labelgate and its dependencies, but not @azure/identity.
    app = mkdtempSync(join(tmpdir(), 'labelgate-app-'));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const installed = join(app, 'node_modules', 'labelgate');
    mkdirSync(installed, { recursive: true });
    cpSync(join(root, 'dist'), join(installed, 'dist'), { recursive: true });
    writeFileSync(join(installed, 'package.json'), readFileSync(join(root, 'package.json')));
    for (const dep of Object.keys(pkg.dependencies)) {
      mkdirSync(join(app, 'node_modules', dep, '..'), { recursive: true });
      symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
    }
    expect(existsSync(join(app, 'node_modules', '@azure', 'identity'))).toBe(false);
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const build = `{ graph: { credential: { kind: 'clientSecret', tenantId: 'contoso.onmicrosoft.com', clientId: '6731de76-14a6-49ae-97bc-6eba6914391e', clientSecret: 'x' } } }`;

  it.each([
    ['CommonJS', ['-e', `require('labelgate').createLabeler(${build}).listLabels().catch((e) => console.log(e.code + ': ' + e.message));`]],
    ['ESM', ['--input-type=module', '-e', `const { createLabeler } = await import('labelgate'); await createLabeler(${build}).listLabels().catch((e) => console.log(e.code + ': ' + e.message));`]],
  ])('%s: building a credential says to install it', async (_name, args) => {
    const r = await node(args, { cwd: app });
    expect(r.stdout.trim()).toBe(
      'GRAPH_CONFIG: graph.credential: building a credential needs the optional package @azure/identity, which is not installed. Run "npm i @azure/identity", or pass your own TokenCredential object.',
    );
  });

  it('the app\'s own TokenCredential needs no @azure/identity', async () => {
    const emulator = await GraphEmulator.start();
    try {
      const r = await node(
        ['-e', `require('labelgate').createLabeler({ graph: { credential: { getToken: async () => ({ token: '${EMULATOR_TOKEN}', expiresOnTimestamp: 0 }) }, baseUrl: '${emulator.baseUrl}' } }).listLabels().then((l) => console.log(l.length), (e) => console.log(e.code));`],
        { cwd: app },
      );
      expect(r.stdout.trim()).toBe('7');
    } finally {
      await emulator.close();
    }
  });
});

describe('examples/graph-tenant.mjs', () => {
  const clean = { AZURE_TENANT_ID: '', AZURE_CLIENT_ID: '', AZURE_CLIENT_SECRET: '', LABELGATE_GRAPH_TOKEN: '', LABELGATE_GRAPH_BASE_URL: '' };

  it('without credentials: a clear message and exit code 2', async () => {
    const r = await node(['examples/graph-tenant.mjs'], { env: clean });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('graph-tenant: no credentials. Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET');
  });

  it('against a Graph given by LABELGATE_GRAPH_BASE_URL', async () => {
    const emulator = await GraphEmulator.start();
    try {
      const r = await node(['examples/graph-tenant.mjs'], {
        env: { ...clean, LABELGATE_GRAPH_BASE_URL: emulator.baseUrl, LABELGATE_GRAPH_TOKEN: EMULATOR_TOKEN, LABELGATE_GRAPH_USER: 'fiona@contoso.example' },
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('7 sensitivity labels for fiona@contoso.example:');
      expect(r.stdout).toContain('Confidential \\ Confidential - Finance');
      expect(r.stdout).toContain('"@odata.type": "#microsoft.graph.security.applyLabelAction"');
    } finally {
      await emulator.close();
    }
  });
});
