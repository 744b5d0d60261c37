/**
 * Express 5 and 4: declared text types against magic bytes, `writeHead` header forms, HEAD of a
 * file whose labeled bytes differ, Cache-Control, request headers after the response, and the
 * audit's file identifier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expressLabeling } from '../../src/http/express.js';
import { fixture } from '../helpers/documents.js';
import { EXPRESS_HOOK_MATRIX, EXPRESS_VERSIONS, PLANTED, captureLogs, customersCsv, get, listen, parseSensitivityLabel, tempDir, testLabeler, waitFor, type Running } from './helpers.js';

const CSV = customersCsv(40, { cards: 2 });
const CARD = PLANTED.cards[0];

describe('magic bytes never override a declared text type', () => {
  it.each([
    ['%PDF', `%PDF-1.7 my note,${CARD}\nbob,5555555555554444\n`],
    ['PK\\x03\\x04', `PK\x03\x04 note,${CARD}\nbob,5555555555554444\n`],
  ])('labeler.stamp: a text/csv body starting with %s is a CSV', async (_name, body) => {
    const out = await testLabeler().stamp(body, { contentType: 'text/csv; charset=utf-8' });
    expect(out.format).toBe('csv');
    expect(out.label?.name).toBe('Confidential');
    expect(out.body.toString('utf8')).toBe(body);
  });

  it('without a declared type (or with octet-stream) magic bytes still decide', async () => {
    const pdf = fixture('memo.pdf');
    expect((await testLabeler().stamp(pdf, { contentType: 'application/octet-stream', label: 'General' })).format).toBe('pdf');
    expect((await testLabeler().stamp(pdf, { filename: 'memo.bin', label: 'General' })).format).toBe('pdf');
  });
});

describe.each(EXPRESS_HOOK_MATRIX)('%s (%s hooks): wire details', (_name, responseHooks, express) => {
  const dir = tempDir();
  const files = tempDir();
  const pdfPath = join(files.path, 'memo.pdf');
  const logs = captureLogs();
  const seen: Record<string, string | undefined>[] = [];
  let server: Running;

  beforeAll(async () => {
    writeFileSync(pdfPath, fixture('memo.pdf'));
    const app = express();
    // What a request logger registered before labelgate sees once the response is done.
    app.use((req, res, next) => {
      res.on('finish', () => seen.push({ url: req.url, range: req.headers.range, inm: req.headers['if-none-match'], ims: req.headers['if-modified-since'] }));
      next();
    });
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, responseHooks }));
    app.get('/notes.csv', (_req, res) => {
      res.type('csv').send(`%PDF-1.7 my note,${CARD}\nbob,5555555555554444\n`);
    });
    app.get('/zipnotes.csv', (_req, res) => {
      res.type('csv').send(`PK\x03\x04 note,${CARD}\n`);
    });
    app.get('/reports/memo.pdf', (_req, res) => {
      res.sendFile(pdfPath);
    });
    app.get('/export.csv', (_req, res) => {
      res.type('csv').send(CSV);
    });
    app.get('/mine.csv', (_req, res) => {
      res.set('Cache-Control', 'no-store').type('csv').send(CSV);
    });
    app.get('/page.csv', (_req, res) => {
      res.type('html').send('<p>not a report</p>');
    });
    app.get('/cards/:n', (req, res) => {
      res.attachment(`card-${req.params.n}-2026.csv`).type('csv').send(CSV);
    });
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    dir.cleanup();
    files.cleanup();
  });

  it.each(['/notes.csv', '/zipnotes.csv'])('%s: served as the CSV it declares, labeled, bytes unchanged', async (path) => {
    const res = await get(server.port, path);
    expect(res.status).toBe(200);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Confidential');
    expect(res.body.toString()).toContain(CARD);
    expect(logs.events().at(-1)!.labelgate).toMatchObject({ outcome: 'labeled', format: 'csv' });
  });

  it('HEAD of a file whose labeled bytes differ: no length or ETag of the unlabeled file', async () => {
    const full = await get(server.port, '/reports/memo.pdf');
    const original = readFileSync(pdfPath);
    expect(full.body.length).not.toBe(original.length);
    expect(full.headers['content-length']).toBe(String(full.body.length));
    const head = await get(server.port, '/reports/memo.pdf', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBeUndefined();
    expect(head.headers.etag).toBeUndefined();
    expect(head.headers['accept-ranges']).toBe('none');
  });

  it('labeled responses are kept out of shared caches; the app\'s own no-store stays', async () => {
    const csv = await get(server.port, '/export.csv');
    expect(csv.headers['cache-control']).toBe('private');
    // res.sendFile says `public, max-age=0` by default: not for a labeled file.
    const pdf = await get(server.port, '/reports/memo.pdf');
    expect(pdf.headers['sensitivity-label']).toBeDefined();
    expect(pdf.headers['cache-control']).toBe('private, max-age=0');
    const mine = await get(server.port, '/mine.csv');
    expect(mine.headers['cache-control']).toBe('no-store');
    const notModified = await get(server.port, '/export.csv', { headers: { 'if-none-match': csv.headers.etag as string } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers['cache-control']).toBe('private');
  });

  it('Cache-Control: no-cache in the request: never a 304, labeled or not', async () => {
    const csv = await get(server.port, '/export.csv');
    const revalidate = await get(server.port, '/export.csv', { headers: { 'if-none-match': csv.headers.etag as string, 'cache-control': 'no-cache' } });
    expect(revalidate.status).toBe(200);
    expect(revalidate.body.toString()).toBe(CSV);
    const page = await get(server.port, '/page.csv');
    expect(page.headers['sensitivity-label']).toBeUndefined();
    expect((await get(server.port, '/page.csv', { headers: { 'if-none-match': page.headers.etag as string } })).status).toBe(304);
    const fresh = await get(server.port, '/page.csv', { headers: { 'if-none-match': page.headers.etag as string, 'cache-control': 'max-age=0, no-cache' } });
    expect(fresh.status).toBe(200);
  });

  it('request headers set aside for the handler are back on req when the response is done', async () => {
    const headers = { range: 'bytes=0-9', 'if-none-match': '"nope"', 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' };
    for (const path of ['/export.csv', '/page.csv']) {
      seen.length = 0;
      await get(server.port, path, { headers });
      expect(seen).toEqual([{ url: path, range: headers.range, inm: headers['if-none-match'], ims: headers['if-modified-since'] }]);
    }
  });

  it('the audit masks long digit runs in the file identifier', async () => {
    const res = await get(server.port, `/cards/${CARD}`);
    expect(res.status).toBe(200);
    const event = logs.events().at(-1)!.labelgate as { file: string };
    expect(event.file).toBe(`card-${'#'.repeat(CARD.length)}-####.csv`);
    expect(logs.text()).not.toContain(CARD);
  });
});

describe.each(EXPRESS_HOOK_MATRIX)('%s (%s hooks): replaying a captured body', (_name, responseHooks, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());
  /** ~6 MB of CSV in 40 KB writes, with cards: more than the socket takes at once. */
  const BIG = Buffer.from(`name,card_number\n${`Ada Lovelace,${CARD}\n`.repeat(200_000)}`);

  it.each([
    ['in memory (written without waiting for drain, corked)', 64 * 1024 * 1024],
    ['spilled to its temp file (read back with backpressure)', 1024 * 1024],
  ])('%s: a client that reads late gets every byte, labeled; one that hangs up leaves nothing behind', async (_how, memoryBytes) => {
    const logs = captureLogs();
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, memoryBytes, responseHooks }));
    app.get('/big.csv', (_req, res) => {
      res.type('csv');
      for (let o = 0; o < BIG.length; o += 40_000) res.write(BIG.subarray(o, o + 40_000));
      res.end();
    });
    const server = await listen(app);
    try {
      const late = await new Promise<{ label: unknown; body: Buffer }>((resolve, reject) => {
        http.get({ port: server.port, host: '127.0.0.1', path: '/big.csv' }, (res) => {
          res.pause();
          const parts: Buffer[] = [];
          setTimeout(() => {
            res.on('data', (c: Buffer) => parts.push(c));
            res.resume();
          }, 300);
          res.on('end', () => resolve({ label: res.headers['sensitivity-label'], body: Buffer.concat(parts) }));
        }).on('error', reject);
      });
      expect(parseSensitivityLabel(late.label as string).name).toBe('Confidential');
      expect(late.body.equals(BIG)).toBe(true);
      // Hang up after the first megabyte of the replay.
      await new Promise<void>((resolve) => {
        const req = http.get({ port: server.port, host: '127.0.0.1', path: '/big.csv' }, (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => {
            n += c.length;
            if (n > 1_000_000) {
              req.destroy();
              resolve();
            }
          });
        });
        req.on('error', () => {});
      });
      await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
      const again = await get(server.port, '/big.csv');
      expect(again.body.equals(BIG)).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe.each(EXPRESS_VERSIONS)('%s: a replay the client does not read', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());
  const BODY = Buffer.from(`name,card_number\n${`Ada Lovelace,${CARD}\n`.repeat(200_000)}`); // ~6 MB

  it('keeps its memory charged to totalMemoryBytes until Node has written it out, and a hang-up before that is audited as aborted', async () => {
    const logs = captureLogs();
    let releaseSecond: () => void = () => {};
    const secondMayEnd = new Promise<void>((resolve) => (releaseSecond = resolve));
    let firstEnded = false;
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, memoryBytes: 16 * 1024 * 1024, totalMemoryBytes: 8 * 1024 * 1024 }));
    const write = (res: http.ServerResponse) => {
      for (let o = 0; o < BODY.length; o += 64 * 1024) res.write(BODY.subarray(o, o + 64 * 1024));
    };
    app.get('/first.csv', (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      write(res);
      res.end(() => {});
      firstEnded = true;
    });
    app.get('/second.csv', (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      write(res);
      void secondMayEnd.then(() => res.end());
    });
    const server = await listen(app);
    const stalled = net.connect(server.port, '127.0.0.1');
    try {
      // A client that never reads: the labeled replay of the first body cannot be written out.
      stalled.pause();
      stalled.write('GET /first.csv HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor(() => firstEnded, 3000, 'first body captured');
      await new Promise((r) => setTimeout(r, 100));
      expect(dir.files()).toEqual([]);
      // The first body (6 MB) still holds the memory: the second capture finds 8 MiB minus that and spills.
      const second = get(server.port, '/second.csv');
      await waitFor(() => dir.files().length === 1, 3000, 'second capture spilled to a temp file');
      releaseSecond();
      const res = await second;
      expect(res.body.equals(BODY)).toBe(true);
      expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Confidential');
      // The first client hangs up with most of its body never written out: aborted, not delivered.
      stalled.destroy();
      await waitFor(() => logs.events().length === 2, 3000, 'both downloads audited');
      const outcomes = logs.events().map((e) => (e.labelgate as { outcome: string; file?: string }).outcome);
      expect(outcomes.sort()).toEqual(['aborted', 'labeled']);
      await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
    } finally {
      stalled.destroy();
      await server.close();
    }
  });
});

describe.each(EXPRESS_VERSIONS)('%s: writeHead header forms', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  /** Runs `handler` under plain Node and under labelgate and returns both responses. */
  async function both(handler: (res: http.ServerResponse) => void, path: string) {
    const mw = expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path });
    const out = [];
    for (const use of [false, true]) {
      const app = express();
      if (use) app.use(mw);
      app.get(path, (_req, res) => handler(res));
      const server = await listen(app);
      try {
        out.push(await get(server.port, path));
      } finally {
        await server.close();
      }
    }
    return { plain: out[0]!, labeled: out[1]! };
  }

  it('a flat raw header array replaces earlier setHeader values (out of scope: as plain Node)', async () => {
    const { plain, labeled } = await both((res) => {
      res.setHeader('Content-Type', 'text/html');
      res.setHeader('X-A', '1');
      res.setHeader('Content-Length', '999');
      res.writeHead(200, ['Content-Type', 'text/plain', 'X-A', '2', 'Content-Length', '2']);
      res.end('hi');
    }, '/page');
    expect(plain.headers['content-type']).toBe('text/plain');
    expect(labeled.headers['content-type']).toBe(plain.headers['content-type']);
    expect(labeled.headers['x-a']).toBe('2');
    expect(labeled.headers['content-length']).toBe('2');
    expect(labeled.body.toString()).toBe('hi');
  });

  it('in scope: one Content-Length and one ETag, of the labeled body', async () => {
    const body = Buffer.from(customersCsv(20, { cards: 1 }));
    const { labeled } = await both((res) => {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('ETag', '"old"');
      res.setHeader('Content-Length', '5');
      res.writeHead(200, ['Content-Type', 'text/csv', 'ETag', '"v1"', 'Content-Length', String(body.length)]);
      res.end(body);
    }, '/r.csv');
    expect(labeled.headers['sensitivity-label']).toBeDefined();
    expect(labeled.headers['content-type']).toBe('text/csv');
    expect(labeled.headers['content-length']).toBe(String(labeled.body.length));
    expect(labeled.headers.etag).toMatch(/^W\/"lg-[^,]+"$/);
  });

  it('an odd-length raw header array is rejected as by Node (the app\'s error handler answers)', async () => {
    const { plain, labeled } = await both((res) => {
      res.writeHead(200, ['Content-Type', 'text/csv', 'X-A']);
      res.end('a,b\n');
    }, '/odd.csv');
    expect(plain.status).toBe(500);
    expect(labeled.status).toBe(500);
    expect(labeled.headers['sensitivity-label']).toBeUndefined();
  });

  it('the object form and the statusMessage overload', async () => {
    const body = customersCsv(20, { cards: 1 });
    const { plain, labeled } = await new Promise<{ plain: http.IncomingMessage; labeled: http.IncomingMessage }>((resolve, reject) => {
      void (async () => {
        const results: http.IncomingMessage[] = [];
        for (const use of [false, true]) {
          const app = express();
          if (use) app.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path }));
          app.get('/r.csv', (_req, res) => {
            res.setHeader('Content-Type', 'text/html');
            res.writeHead(200, 'Fine Thanks', { 'Content-Type': 'text/csv', 'X-B': 'b', 'Content-Length': Buffer.byteLength(body) });
            res.end(body);
          });
          const server = await listen(app);
          const msg = await new Promise<http.IncomingMessage>((ok, fail) => {
            http.get({ port: server.port, host: '127.0.0.1', path: '/r.csv' }, (r) => r.resume().on('end', () => ok(r))).on('error', fail);
          });
          await server.close();
          results.push(msg);
        }
        resolve({ plain: results[0]!, labeled: results[1]! });
      })().catch(reject);
    });
    expect(plain.statusMessage).toBe('Fine Thanks');
    expect(labeled.statusMessage).toBe('Fine Thanks');
    expect(labeled.headers['content-type']).toBe('text/csv');
    expect(labeled.headers['x-b']).toBe('b');
    expect(labeled.headers['sensitivity-label']).toBeDefined();
  });
});

describe.each(EXPRESS_VERSIONS)('%s: res.flushHeaders() before the body', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('an in-scope CSV is still held and labeled; an out-of-scope response flushes as usual', async () => {
    const logs = captureLogs();
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path }));
    app.get('/flushed.csv', (_req, res) => {
      res.type('csv');
      res.flushHeaders();
      // Headers were not sent: labelgate holds them until the body is labeled.
      res.setHeader('X-After-Flush', String(res.headersSent));
      res.write(CSV.slice(0, 100));
      res.end(CSV.slice(100));
    });
    app.get('/flushed.html', (_req, res) => {
      res.type('html');
      res.flushHeaders();
      res.end(String(res.headersSent));
    });
    const server = await listen(app);
    try {
      const csv = await get(server.port, '/flushed.csv');
      expect(csv.status).toBe(200);
      expect(csv.body.toString('utf8')).toBe(CSV);
      expect(csv.headers['x-after-flush']).toBe('false');
      expect(parseSensitivityLabel(String(csv.headers['sensitivity-label'])).name).toBe('Confidential');
      expect(csv.headers['content-length']).toBe(String(Buffer.byteLength(CSV)));
      const html = await get(server.port, '/flushed.html');
      expect(html.body.toString('utf8')).toBe('true');
      expect(html.headers['sensitivity-label']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
