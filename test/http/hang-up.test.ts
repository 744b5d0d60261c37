/**
 * A client that stops reading and hangs up while the rest of a labeled body is still waiting to
 * be written out (Express 5 and 4, both hook modes). Served on a Unix socket, whose small buffers
 * leave most of a multi-MB body unwritten, as a slow network does. Node emits 'finish' also for
 * writes a destroyed socket dropped, so "the app called end()" or 'finish' alone never means
 * delivered: each case must be audited `aborted`, with its label, and count less than the body.
 */
import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { Readable } from 'node:stream';
import Koa from 'koa';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { koaLabeling } from '../../src/http/koa.js';
import net from 'node:net';
import { EXPRESS_HOOK_MATRIX, expectPipelinedPairAborted, captureLogs, customersCsv, listen, listenUnix, readAllThenHangUp, stallThenHangUp, tempDir, testLabeler, waitFor } from './helpers.js';

/** An Express app behind expressLabeling (test labeler, captured logs, its own temp directory). */
function labeledApp(express: (typeof EXPRESS_HOOK_MATRIX)[number][2], responseHooks: 'auto' | 'per-response', options: { memoryBytes?: number } = {}) {
  const logs = captureLogs();
  const dir = tempDir();
  const app = express();
  app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, responseHooks, ...options }));
  return { app, logs, dir };
}

/** ~7.7 MB with three cards (Confidential). */
const BIG = customersCsv(100_000, { cards: 3 });

/** Write it all without waiting for 'drain', then end(): everything is handed to Node at once. */
function writeAllAndEnd(res: http.ServerResponse): void {
  const bytes = Buffer.from(BIG);
  for (let o = 0; o < bytes.length; o += 64 * 1024) res.write(bytes.subarray(o, o + 64 * 1024));
  res.end();
}

describe.each(EXPRESS_HOOK_MATRIX)('%s (%s hooks): a client that hangs up on a labeled body', (_name, responseHooks, express) => {
  const cases: [string, string, string, boolean][] = [
    // [route, description, expected label name, labeled]
    ['/held.csv', 'held whole, then sent from memory', 'Confidential', true],
    ['/spilled.csv', 'held whole, then sent from its temp file', 'Confidential', true],
    ['/send.csv', 'one res.send of the whole body', 'Confidential', true],
    ['/fixed.csv', 'a fixed label, decided early, the rest streamed', 'Secret', true],
    ['/open.csv', 'fail open: the captured part and the rest, unlabeled', '', false],
    ['/tapped.csv', 'decided early, then the rest written while the client has stopped reading', 'Secret', true],
  ];

  it.each(cases)('%s (%s): audited as aborted', async (path, _what, labelName, labeled) => {
    const { app, logs, dir } = labeledApp(express, responseHooks);
    app.get('/held.csv', labelRoute({ earlyDecision: false, memoryBytes: 16 * 1024 * 1024 }), (_req, res) => {
      res.type('csv');
      writeAllAndEnd(res);
    });
    app.get('/spilled.csv', labelRoute({ earlyDecision: false, memoryBytes: 64 * 1024 }), (_req, res) => {
      res.type('csv');
      writeAllAndEnd(res);
    });
    app.get('/send.csv', (_req, res) => {
      res.type('csv').send(Buffer.from(BIG));
    });
    app.get('/fixed.csv', labelRoute({ label: 'Secret' }), (_req, res) => {
      res.type('csv');
      writeAllAndEnd(res);
    });
    app.get('/tapped.csv', labelRoute({ label: 'Secret' }), async (_req, res) => {
      res.type('csv');
      const bytes = Buffer.from(BIG);
      res.write(bytes.subarray(0, 300 * 1024));
      // Decided early meanwhile: the rest goes out through the tap (gathered into blocks).
      await new Promise((r) => setTimeout(r, 100));
      for (let o = 300 * 1024; o < bytes.length; o += 64 * 1024) res.write(bytes.subarray(o, o + 64 * 1024));
      res.end();
    });
    // Over its size limit after 256 KiB: fails open, the rest passes unlabeled.
    app.get('/open.csv', labelRoute({ failMode: 'open', maxBytes: 256 * 1024, earlyDecision: false }), (_req, res) => {
      res.type('csv');
      writeAllAndEnd(res);
    });
    const server = await listenUnix(app);
    try {
      const { headers, ended } = await stallThenHangUp(server.socketPath, path);
      expect(ended).toBe(false);
      if (labeled) expect(headers['sensitivity-label']).toContain(labelName);
      else expect(headers['sensitivity-label-status']).toBe('unlabeled');
      await waitFor(() => logs.events().length === 1, 5000, 'audit event');
      const event = logs.events()[0]!.labelgate as { outcome: string; labelName?: string; bytesOut: number; bytesIn: number };
      expect(event.outcome).toBe('aborted');
      // The app handed over the whole body at once: all of it came in, whichever way it went.
      expect(event.bytesIn).toBe(Buffer.byteLength(BIG));
      if (labeled) expect(event.labelName).toBe(labelName);
      expect(event.bytesOut).toBeLessThan(Buffer.byteLength(BIG));
      await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
      // One event only, also after Node's late 'finish'.
      await new Promise((r) => setTimeout(r, 100));
      expect(logs.events()).toHaveLength(1);
    } finally {
      await server.close();
      dir.cleanup();
    }
  });
});

describe.each(EXPRESS_HOOK_MATRIX)('%s (%s hooks): a client that has every declared byte, or a connection that dies under pipelined requests', (_name, responseHooks, express) => {
  /** ~370 KB. */
  const BODY = Buffer.from(customersCsv(5000, { cards: 3 }));

  /** The app declares its length and writes it all, but calls end() only a moment later (as after a file stream's last read). */
  function lateEnd(res: http.ServerResponse): void {
    res.setHeader('content-type', 'text/csv');
    res.setHeader('content-length', String(BODY.length));
    res.write(BODY);
    setTimeout(() => res.end(), 100);
  }

  it.each([
    ['/open-late.csv', 'unlabeled'],
    ['/fixed-late.csv', 'labeled'],
  ])('%s: a client that reads every declared byte and hangs up before the app calls end() got it all: %s', async (path, outcome) => {
    const { app, logs, dir } = labeledApp(express, responseHooks);
    app.get('/open-late.csv', labelRoute({ failMode: 'open', maxBytes: 64 * 1024, earlyDecision: false }), (_req, res) => lateEnd(res));
    app.get('/fixed-late.csv', labelRoute({ label: 'Secret' }), (_req, res) => lateEnd(res));
    const server = await listen(app);
    const rounds = 10;
    try {
      for (let i = 0; i < rounds; i++) expect(await readAllThenHangUp(server.port, path)).toBe(BODY.length);
      await waitFor(() => logs.events().length === rounds, 3000, 'audit events');
      const events = logs.events().map((e) => e.labelgate as { outcome: string; bytesIn: number; bytesOut: number });
      expect(events.map((e) => e.outcome)).toEqual(Array(rounds).fill(outcome));
      expect(events.map((e) => e.bytesIn)).toEqual(Array(rounds).fill(BODY.length));
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it('a pipelined download written in full before its turn, then cut off: aborted (writes Node made before the response had its socket are not counted once the connection is gone)', async () => {
    const { app, logs, dir } = labeledApp(express, responseHooks);
    app.get('/slow', (_req, res) => void setTimeout(() => res.type('txt').send('ok'), 200));
    app.get('/late.csv', labelRoute({ label: 'Secret' }), (_req, res) => {
      res.type('csv');
      res.setHeader('content-length', String(BIG.length));
      const bytes = Buffer.from(BIG);
      for (let o = 0; o < bytes.length; o += 65536) res.write(bytes.subarray(o, o + 65536));
      setTimeout(() => res.end(), 1500);
    });
    const server = await listenUnix(app);
    try {
      const socket = net.connect(server.socketPath);
      socket.on('error', () => {});
      let got = 0;
      socket.on('data', (c: Buffer) => {
        got += c.length;
        if (got >= 128 * 1024) socket.pause();
      });
      socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /late.csv HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((r) => setTimeout(r, 800));
      socket.destroy();
      await waitFor(() => logs.events().length === 1, 5000, 'audit event');
      const event = logs.events()[0]!.labelgate as { outcome: string; labelName?: string; bytesOut: number };
      expect(event.outcome).toBe('aborted');
      expect(event.labelName).toBe('Secret');
      expect(event.bytesOut).toBeLessThan(Buffer.byteLength(BIG));
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it('a pipelined download the app destroys before its turn, then the connection closes: audited as aborted, its temp file removed', async () => {
    const { app, logs, dir } = labeledApp(express, responseHooks, { memoryBytes: 1024 });
    app.get('/slow', (_req, res) => void setTimeout(() => res.type('txt').send('ok'), 1000));
    app.get('/x.csv', labelRoute({ label: 'Secret', earlyDecision: false }), (_req, res) => {
      res.type('csv');
      for (let o = 0; o < BODY.length; o += 65536) res.write(BODY.subarray(o, o + 65536));
      // The app gives up on it while it still waits for its turn (Node emits nothing then).
      setTimeout(() => res.destroy(), 100);
    });
    const server = await listenUnix(app);
    try {
      const socket = net.connect(server.socketPath);
      socket.on('error', () => {});
      socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /x.csv HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((r) => setTimeout(r, 300));
      socket.destroy();
      await waitFor(() => logs.events().length === 1, 3000, 'audit event');
      expect((logs.events()[0]!.labelgate as { outcome: string }).outcome).toBe('aborted');
      await waitFor(() => dir.files().length === 0, 3000, 'temp file removed');
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it('many labeled downloads pipelined on one connection: one audit event each, and no listener warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const { app, logs, dir } = labeledApp(express, responseHooks);
    app.get('/r.csv', (_req, res) => void res.type('csv').send(BODY));
    const server = await listenUnix(app);
    const n = 15;
    try {
      const socket = net.connect(server.socketPath);
      let got = 0;
      const all = new Promise<void>((resolve) => socket.on('data', (c: Buffer) => (got += c.length) >= n * BODY.length && resolve()));
      socket.write('GET /r.csv HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(n));
      await all;
      socket.destroy();
      await waitFor(() => logs.events().length === n, 5000, 'audit events');
      expect(logs.events().map((e) => (e.labelgate as { outcome: string }).outcome)).toEqual(Array(n).fill('labeled'));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await server.close();
      dir.cleanup();
    }
  });

  it('a pipelined download whose connection closes before its turn: audited as aborted, its temp file removed', async () => {
    const { app, logs, dir } = labeledApp(express, responseHooks);
    app.get('/big.csv', (_req, res) => void res.type('csv').send(BIG));
    // Spilled to its temp file: it waits for the first response to get the connection.
    app.get('/second.csv', labelRoute({ memoryBytes: 64 * 1024, earlyDecision: false }), (_req, res) => void res.type('csv').send(BODY));
    const server = await listenUnix(app);
    try {
      await expectPipelinedPairAborted(server.socketPath, logs, dir);
    } finally {
      await server.close();
      dir.cleanup();
    }
  });
});

/**
 * The tail: a client that reads all but the last few hundred KB of a labeled body from its temp
 * file, stops, and hangs up. Whatever Node still held unwritten at that moment makes the download
 * `aborted` — also after the app (or labelgate's replay) called end(). What already sat in the
 * kernel's socket buffers cannot be told from a delivery by any server (docs/http.md).
 */
describe('a client that hangs up on the tail of a labeled body', () => {
  const BODY = Buffer.from(customersCsv(30_000, { cards: 3 }));
  const stops = [300_000, 340_000, 380_000, 420_000, 460_000];

  async function sweep(handler: http.RequestListener, logs: ReturnType<typeof captureLogs>): Promise<void> {
    const server = await listenUnix(handler);
    try {
      for (const stopBefore of stops) {
        const before = logs.events().length;
        const seen = await new Promise<{ got: number; length: number; unwrittenInNode: number }>((resolve) => {
          const req = http.get({ socketPath: server.socketPath, path: '/r.csv', agent: false }, (res) => {
            const length = Number(res.headers['content-length']);
            let got = 0;
            let stopped = false;
            res.on('data', (c: Buffer) => {
              got += c.length;
              if (stopped || got < length - stopBefore) return;
              stopped = true;
              res.pause();
              setTimeout(() => {
                const unwrittenInNode = serverSide.at(-1)?.writableLength ?? 0;
                req.destroy();
                resolve({ got, length, unwrittenInNode });
              }, 250);
            });
          });
          req.on('error', () => {});
        });
        await waitFor(() => logs.events().length > before, 3000, 'audit event');
        const outcome = (logs.events()[before]!.labelgate as { outcome: string }).outcome;
        if (seen.unwrittenInNode > 0) expect(outcome, `stop ${stopBefore}: ${seen.unwrittenInNode} bytes unwritten in Node`).toBe('aborted');
        if (seen.got === seen.length) expect(outcome).toBe('labeled');
      }
    } finally {
      await server.close();
    }
  }
  // The server's side of each connection (its writableLength is what Node has not written out).
  const serverSide: net.Socket[] = [];
  const watching = (handler: http.RequestListener): http.RequestListener => (req, res) => {
    serverSide.push(req.socket as net.Socket);
    handler(req, res);
  };

  it('Express (labeled body replayed from its temp file)', async () => {
    const logs = captureLogs();
    const dir = tempDir();
    const express = EXPRESS_HOOK_MATRIX[0]![2];
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path }));
    app.get('/r.csv', labelRoute({ earlyDecision: false, memoryBytes: 64 * 1024 }), (_req, res) => {
      res.type('csv');
      for (let o = 0; o < BODY.length; o += 65536) res.write(BODY.subarray(o, o + 65536));
      res.end();
    });
    try {
      await sweep(watching(app), logs);
    } finally {
      dir.cleanup();
    }
  });

  it('Koa (labeled body streamed from its temp file)', async () => {
    const logs = captureLogs();
    const dir = tempDir();
    const app = new Koa();
    app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, earlyDecision: false, memoryBytes: 64 * 1024 }));
    app.use((ctx) => {
      ctx.type = 'text/csv';
      const parts: Buffer[] = [];
      for (let o = 0; o < BODY.length; o += 65536) parts.push(BODY.subarray(o, o + 65536));
      ctx.body = Readable.from(parts);
    });
    try {
      await sweep(watching(app.callback()), logs);
    } finally {
      dir.cleanup();
    }
  });
});
