/**
 * The published entry points (built by `npm run build`, which `npm test` runs first):
 * `labelgate/express` and `labelgate/koa` load through `require` (CJS) and `import` (ESM).
 */
import { describe, expect, it, vi } from 'vitest';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import express from 'express';
import request from 'supertest';
import http from 'node:http';
import { get, listen, tempDir, waitFor } from './helpers.js';

const require = createRequire(import.meta.url);

describe('package entry points', () => {
  it('require("labelgate/express") works end to end (CommonJS)', async () => {
    const { expressLabeling, labelRoute } = require('labelgate/express') as typeof import('../../src/http/express.js');
    const { createLabeler } = require('labelgate') as typeof import('../../src/index.js');
    expect(typeof labelRoute).toBe('function');
    const app = express();
    const lines: string[] = [];
    app.use(expressLabeling({ labeler: createLabeler(), logger: { info: (o) => lines.push(JSON.stringify(o)), warn: () => {}, error: () => {} } }));
    app.get('/r.csv', (_req, res) => {
      res.type('csv').send('card\n4111 1111 1111 1111\n');
    });
    const res = await request(app).get('/r.csv');
    expect(res.headers['sensitivity-label']).toContain('name="Confidential"');
    expect(lines).toHaveLength(1);
  });

  it('the built package classifies in a worker thread, with the same results as inline', async () => {
    const { expressLabeling, scanWorkersAvailable } = require('labelgate/express') as typeof import('../../src/http/express.js');
    expect(scanWorkersAvailable()).toBe(availableParallelism() > 1);
    const csv = `name,card,ssn\n${Array.from({ length: 3000 }, (_, i) => `c${i},${i % 100 === 0 ? '4111111111111111' : ''},${i === 7 ? '536-90-4399' : ''}`).join('\n')}\n`;
    const labels: unknown[] = [];
    for (const scanInWorker of [true, false]) {
      const events: Record<string, unknown>[] = [];
      const app = express();
      app.use(expressLabeling({ scanInWorker, memoryBytes: 4096, logger: { info: (o) => events.push(o as Record<string, unknown>), warn: () => {}, error: () => {} } }));
      app.get('/r.csv', (_req, res) => {
        res.type('csv');
        for (let i = 0; i < csv.length; i += 1000) res.write(csv.slice(i, i + 1000));
        res.end();
      });
      const res = await request(app).get('/r.csv');
      expect(res.text).toBe(csv);
      // The audit event is written once the last byte is handed to the socket, which can be just
      // after the client has read the whole response.
      await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 2000 });
      labels.push([res.headers['sensitivity-label'], (events[0]!.labelgate as { sensitiveTypes: unknown }).sensitiveTypes]);
    }
    expect(labels[0]).toEqual(labels[1]);
  });

  it('worker-thread classification: a client abort mid-capture leaves no temp file and the next download works', async () => {
    const { expressLabeling } = require('labelgate/express') as typeof import('../../src/http/express.js');
    const dir = tempDir();
    const app = express();
    app.use(expressLabeling({ tempDir: dir.path, memoryBytes: 1024, logger: { info: () => {}, warn: () => {}, error: () => {} } }));
    let rows = 0;
    app.get('/slow.csv', (_req, res) => {
      res.type('csv');
      const timer = setInterval(() => {
        if (res.destroyed) return void clearInterval(timer);
        res.write('id,card\n1,4111111111111111\n'.repeat(200));
        rows++;
      }, 2);
    });
    app.get('/ok.csv', (_req, res) => {
      res.type('csv').send('card\n4111111111111111\n');
    });
    const server = await listen(app);
    try {
      const req = http.get({ port: server.port, host: '127.0.0.1', path: '/slow.csv' });
      req.on('error', () => {});
      await waitFor(() => rows > 10 && dir.files().length === 1, 3000, 'spill');
      req.destroy();
      await waitFor(() => dir.files().length === 0, 3000, 'temp file removed');
      const ok = await get(server.port, '/ok.csv');
      expect(ok.headers['sensitivity-label']).toContain('Confidential');
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it('import("labelgate/koa") and require("labelgate/koa") expose the same API', async () => {
    const cjs = require('labelgate/koa') as typeof import('../../src/http/koa.js');
    // A variable specifier: type-checking must not need dist/ (it is built after the typecheck).
    const specifier = 'labelgate/koa';
    const esm = (await import(specifier)) as typeof import('../../src/http/koa.js');
    expect(typeof cjs.koaLabeling).toBe('function');
    expect(typeof esm.koaLabeling).toBe('function');
    expect(typeof esm.labelRoute).toBe('function');
  });

  it('each entry exports exactly its public API, the same from import and require (no internal class leaks out of a refactor)', async () => {
    const expected: Record<string, string[]> = {
      'labelgate/express': ['expressLabeling', 'labelRoute', 'scanWorkersAvailable'],
      'labelgate/koa': ['koaLabeling', 'labelRoute', 'scanWorkersAvailable'],
    };
    for (const [entry, names] of Object.entries(expected)) {
      const cjs = Object.keys(require(entry) as object).sort();
      const esm = Object.keys((await import(entry)) as object)
        .filter((k) => k !== 'default' && k !== 'module.exports')
        .sort();
      expect(cjs, `${entry} (require)`).toEqual([...names].sort());
      expect(esm, `${entry} (import)`).toEqual([...names].sort());
    }
  });
});
