/**
 * Koa 3: a client that hangs up right after the last byte, HEAD on labeled routes, Cache-Control,
 * declared text types against magic bytes, and the audit's file identifier.
 */
import { describe, expect, it } from 'vitest';
import Koa from 'koa';
import { koaLabeling } from '../../src/http/koa.js';
import request from 'supertest';
import { Readable } from 'node:stream';
import { captureLogs, customersCsv, expectPipelinedPairAborted, get, listen, listenUnix, readAllThenHangUp, stallThenHangUp, tempDir, testLabeler, waitFor } from './helpers.js';

const CSV = customersCsv(400, { cards: 2 });

describe('Koa: delivery, HEAD, caching', () => {
  it.each([
    // memoryBytes below the body size: the labeled body streams from the temp file.
    ['streamed from its temp file', { memoryBytes: 1024 }],
    ['kept in memory (one end(bytes))', {}],
  ])('a client that closes the connection the moment it has every byte (%s): audited as labeled, not aborted', async (_name, options) => {
    const dir = tempDir();
    const logs = captureLogs();
    const app = new Koa();
    app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, ...options }));
    app.use((ctx) => {
      ctx.type = 'text/csv';
      ctx.body = CSV;
    });
    const server = await listen(app.callback());
    const rounds = 30;
    try {
      for (let i = 0; i < rounds; i++) {
        // Done reading: hang up at once, possibly before the server has called end().
        expect(await readAllThenHangUp(server.port, '/r.csv')).toBe(Buffer.byteLength(CSV));
      }
      await waitFor(() => logs.events().length === rounds, 3000, 'audit events');
      expect(logs.events().map((e) => (e.labelgate as { outcome: string }).outcome)).toEqual(Array(rounds).fill('labeled'));
      expect(logs.events().map((e) => (e.labelgate as { bytesOut: number }).bytesOut)).toEqual(Array(rounds).fill(Buffer.byteLength(CSV)));
      await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it.each([
    ['kept in memory (one end(bytes))', { earlyDecision: false }],
    ['streamed from its temp file', { earlyDecision: false, memoryBytes: 64 * 1024 }],
    ['with early decisions on', {}],
  ])('a client that stops reading a large labeled body (%s) and hangs up: aborted, with its label', async (_name, options) => {
    const logs = captureLogs();
    const dir = tempDir();
    const app = new Koa();
    const big = customersCsv(100_000, { cards: 3 });
    app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, ...options }));
    app.use((ctx) => {
      ctx.type = 'text/csv';
      ctx.body = big;
    });
    const server = await listenUnix(app.callback());
    try {
      const { headers, ended } = await stallThenHangUp(server.socketPath, '/r.csv');
      expect(headers['sensitivity-label']).toBeDefined();
      expect(ended).toBe(false);
      await waitFor(() => logs.events().length === 1, 3000, 'audit event');
      const event = logs.events()[0]!.labelgate as { outcome: string; labelName?: string; bytesOut: number };
      expect(event.outcome).toBe('aborted');
      expect(event.labelName).toBe('Confidential');
      expect(event.bytesOut).toBeLessThan(Buffer.byteLength(big));
      await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it.each([
    ['one Buffer', (body: Buffer) => body],
    ['a stream of 16 KiB chunks', (body: Buffer) => Readable.from(Array.from({ length: Math.ceil(body.length / 16384) }, (_, i) => body.subarray(i * 16384, (i + 1) * 16384)))],
  ])('fail open over the size limit (%s): the audit counts the whole body that passed', async (_name, bodyOf) => {
    const logs = captureLogs();
    const app = new Koa();
    const body = Buffer.from(customersCsv(20_000, { cards: 3 }));
    app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger, failMode: 'open', maxBytes: 64 * 1024, earlyDecision: false }));
    app.use((ctx) => {
      ctx.type = 'text/csv';
      ctx.body = bodyOf(body);
    });
    const server = await listen(app.callback());
    try {
      const res = await get(server.port, '/r.csv');
      expect(res.headers['sensitivity-label-status']).toBe('unlabeled');
      expect(res.body.equals(body)).toBe(true);
      await waitFor(() => logs.events().length === 1, 3000, 'audit event');
      expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'unlabeled', bytesIn: body.length, bytesOut: body.length });
    } finally {
      await server.close();
    }
  });

  it('a pipelined download whose connection closes before its turn: audited as aborted, its temp file removed', async () => {
    const logs = captureLogs();
    const dir = tempDir();
    const app = new Koa();
    const big = Buffer.from(customersCsv(100_000, { cards: 3 }));
    const second = Buffer.from(customersCsv(5_000, { cards: 3 }));
    const pieces = (b: Buffer) => Array.from({ length: Math.ceil(b.length / 65536) }, (_, i) => b.subarray(i * 65536, (i + 1) * 65536));
    app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, earlyDecision: false, memoryBytes: 64 * 1024 }));
    app.use((ctx) => {
      ctx.type = 'text/csv';
      ctx.body = Readable.from(pieces(ctx.path === '/big.csv' ? big : second));
    });
    const server = await listenUnix(app.callback());
    try {
      await expectPipelinedPairAborted(server.socketPath, logs, dir);
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it('HEAD of a labeled route: no length or ETag of the unlabeled body; GET: private cache, no 304 on no-cache', async () => {
    const app = new Koa();
    app.use(koaLabeling({ labeler: testLabeler(), logger: captureLogs().logger }));
    app.use((ctx) => {
      ctx.type = 'text/csv';
      ctx.etag = '"v1"';
      if (ctx.path === '/mine.csv') ctx.set('Cache-Control', 'no-store');
      ctx.body = CSV;
    });
    const server = await listen(app.callback());
    try {
      const head = await get(server.port, '/r.csv', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toMatch(/^text\/csv/);
      expect(head.headers['content-length']).toBeUndefined();
      expect(head.headers.etag).toBeUndefined();
      expect(head.headers['accept-ranges']).toBe('none');
      const full = await get(server.port, '/r.csv');
      expect(full.headers['sensitivity-label']).toBeDefined();
      expect(full.headers['cache-control']).toBe('private');
      expect((await get(server.port, '/mine.csv')).headers['cache-control']).toBe('no-store');
      expect((await get(server.port, '/r.csv', { headers: { 'if-none-match': full.headers.etag as string } })).status).toBe(304);
      const again = await get(server.port, '/r.csv', { headers: { 'if-none-match': full.headers.etag as string, 'cache-control': 'no-cache' } });
      expect(again.status).toBe(200);
      expect(again.body.toString()).toBe(CSV);
    } finally {
      await server.close();
    }
  });

  it('a text/csv body that starts with %PDF is labeled as the CSV it is; the audit masks digit runs in the file name', async () => {
    const logs = captureLogs();
    const app = new Koa();
    app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger }));
    app.use((ctx) => {
      ctx.type = 'text/csv';
      ctx.attachment('export-4111111111111111.csv');
      ctx.body = `%PDF-1.7 note,4111111111111111\n`;
    });
    const server = await listen(app.callback());
    try {
      const res = await get(server.port, '/x');
      expect(res.status).toBe(200);
      expect(res.headers['sensitivity-label']).toBeDefined();
      expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'labeled', format: 'csv', file: `export-${'#'.repeat(16)}.csv` });
      expect(logs.text()).not.toContain('4111111111111111');
    } finally {
      await server.close();
    }
  });
});

describe('Koa: the temp copy fails while failing open', () => {
  it('nothing of the body is sent (closed), no crash, the error is audited', async () => {
    const logs = captureLogs();
    const app = new Koa();
    // A temp directory that does not exist: spilling fails; the size limit then asks to fail open.
    app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: '/nonexistent/labelgate-test', failMode: 'open', memoryBytes: 16, maxBytes: 64 }));
    app.use((ctx) => {
      ctx.type = 'text/csv';
      ctx.body = Readable.from([Buffer.from(CSV.slice(0, 40)), Buffer.from(CSV.slice(40, 200))]);
    });
    const res = await request(app.callback()).get('/r.csv');
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.text).not.toContain(CSV.slice(0, 20));
    await waitFor(() => logs.events().length === 1, 3000, 'audit event');
    expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'blocked', error: { code: 'CAPTURE_FAILED' } });
  });
});
