/**
 * The scan worker threads never keep an app's process alive: a process that served a labeled
 * download scanned in a worker and then closed its server exits on its own. And the middlewares'
 * `close()` stops the workers. Runs the built package (dist/, made by `npm run build` in `npm test`)
 * in child processes (started with `node --input-type=module -e`, an option a worker must not inherit).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const EXIT_WITHIN_MS = 5000;

/** Run an ESM script from the package root; resolves with its output once it exits, or reports it still running. */
function runScript(
  script: string,
  nodeFlags: string[] = ['--input-type=module'],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ exited: boolean; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeFlags, '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ exited: false, code: null, stdout, stderr });
    }, EXIT_WITHIN_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ exited: true, code, stdout, stderr });
    });
  });
}

const quiet = `const quiet = { info() {}, warn() {}, error() {} };`;

/** One labeled CSV download (scanned in a worker), then the server closes; `after` runs last. */
const expressScript = (after: string) => `
  import express from 'express';
  import { expressLabeling, scanWorkersAvailable } from 'labelgate/express';
  ${quiet}
  const labeling = expressLabeling({ logger: quiet, scanInWorker: true });
  const app = express();
  app.use(labeling);
  app.get('/r.csv', (_req, res) => res.type('csv').send('card\\n4111 1111 1111 1111\\n'));
  const server = app.listen(0, '127.0.0.1', async () => {
    const res = await fetch('http://127.0.0.1:' + server.address().port + '/r.csv');
    await res.text();
    console.log(scanWorkersAvailable(), res.headers.get('sensitivity-label'));
    server.closeAllConnections();
    server.close(async () => { ${after} console.log('closed'); });
  });
`;

const koaScript = `
  import Koa from 'koa';
  import { koaLabeling, scanWorkersAvailable } from 'labelgate/koa';
  ${quiet}
  const app = new Koa();
  app.use(koaLabeling({ logger: quiet, scanInWorker: true }));
  app.use((ctx) => { ctx.type = 'text/csv'; ctx.body = 'card\\n4111 1111 1111 1111\\n'; });
  const server = app.listen(0, '127.0.0.1', async () => {
    const res = await fetch('http://127.0.0.1:' + server.address().port + '/r.csv');
    await res.text();
    console.log(scanWorkersAvailable(), res.headers.get('sensitivity-label'));
    server.closeAllConnections();
    server.close(() => console.log('closed'));
  });
`;

describe('scan workers and process exit', () => {
  const workers = availableParallelism() > 1;

  it.each([
    ['Express, server closed', expressScript('')],
    ['Express, server closed and close() called', expressScript('await labeling.close();')],
    ['Koa, server closed', koaScript],
  ])('%s: the process exits on its own', async (_name, script) => {
    const r = await runScript(script);
    expect(r.stderr).toBe('');
    expect(r.exited).toBe(true);
    expect(r.code).toBe(0);
    const [first, second] = r.stdout.trim().split('\n');
    // The download really was labeled, with the scan in a worker thread where there is one.
    expect(first).toMatch(new RegExp(`^${workers} .*name="Confidential"`));
    expect(second).toBe('closed');
  });

  it('after close(), a later download starts a new worker', async () => {
    const r = await runScript(`
      import express from 'express';
      import { expressLabeling } from 'labelgate/express';
      ${quiet}
      const labeling = expressLabeling({ logger: quiet, scanInWorker: true });
      const app = express();
      app.use(labeling);
      app.get('/r.csv', (_req, res) => res.type('csv').send('card\\n4111 1111 1111 1111\\n'));
      const server = app.listen(0, '127.0.0.1', async () => {
        const url = 'http://127.0.0.1:' + server.address().port + '/r.csv';
        const first = await fetch(url);
        await first.text();
        await labeling.close();
        const second = await fetch(url);
        await second.text();
        console.log(first.status, second.status, second.headers.get('sensitivity-label'));
        server.closeAllConnections();
        server.close();
      });
    `);
    expect(r.stderr).toBe('');
    expect(r.exited).toBe(true);
    expect(r.stdout.trim()).toMatch(/^200 200 .*name="Confidential"/);
  });

  // Node refuses per-process V8 flags such as --expose-gc in a worker's explicit execArgv; the
  // worker must still start (inheriting, or without them), never fail the download.
  it.each([
    ['ESM, --expose-gc --input-type=module', ['--expose-gc', '--input-type=module'], expressScript('')],
    [
      'CommonJS, --expose-gc',
      ['--expose-gc'],
      `(async () => { const express = require('express'); const { expressLabeling, scanWorkersAvailable } = require('labelgate/express');
        ${quiet}
        const app = express();
        app.use(expressLabeling({ logger: quiet, scanInWorker: true }));
        app.get('/r.csv', (_req, res) => res.type('csv').send('card\\n4111 1111 1111 1111\\n'));
        const server = app.listen(0, '127.0.0.1', async () => {
          const res = await fetch('http://127.0.0.1:' + server.address().port + '/r.csv');
          await res.text();
          console.log(scanWorkersAvailable(), res.headers.get('sensitivity-label'));
          server.closeAllConnections();
          server.close(() => console.log('closed'));
        });
      })();`,
    ],
  ])('%s: the download is scanned in a worker and labeled', async (_name, flags, script) => {
    const r = await runScript(script, flags);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')[0]).toMatch(new RegExp(`^${workers} .*name="Confidential"`));
  });

  it('NODE_OPTIONS=--input-type=module (which a worker started from a file refuses): downloads are still scanned and labeled', async () => {
    const r = await runScript(expressScript(''), [], { ...process.env, NODE_OPTIONS: '--input-type=module' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')[0]).toMatch(new RegExp(`^${workers} .*name="Confidential"`));
  });

  it("closing one middleware never fails another middleware's download in flight", async () => {
    const r = await runScript(`
      import express from 'express';
      import { expressLabeling } from 'labelgate/express';
      ${quiet}
      const a = expressLabeling({ logger: quiet, scanInWorker: true });
      const b = expressLabeling({ logger: quiet, scanInWorker: true });
      const app = express();
      app.use(a);
      app.get('/slow.csv', (_req, res) => {
        res.type('csv');
        res.write('card\\n4111 1111 1111 1111\\n');
        // b closes while this download is captured and scanned.
        setTimeout(async () => { await b.close(); res.end('5555 5555 5555 4444\\n'); }, 100);
      });
      const server = app.listen(0, '127.0.0.1', async () => {
        const res = await fetch('http://127.0.0.1:' + server.address().port + '/slow.csv');
        const body = await res.text();
        console.log(res.status, body.length, res.headers.get('sensitivity-label'));
        await a.close();
        server.closeAllConnections();
        server.close();
      });
    `);
    expect(r.stderr).toBe('');
    expect(r.exited).toBe(true);
    expect(r.stdout.trim()).toMatch(/^200 \d+ .*name="Confidential"/);
  });
});
