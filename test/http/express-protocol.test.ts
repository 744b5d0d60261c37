/**
 * Express 5 and 4: out-of-scope pass-through (byte-identical, never buffered), HEAD, conditional
 * requests (304) and Range requests around labeled routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { EXPRESS_VERSIONS, captureLogs, customersCsv, get, listen, parseSensitivityLabel, tempDir, testLabeler, type Running } from './helpers.js';

const CSV = customersCsv(200, { cards: 2 });

describe.each(EXPRESS_VERSIONS)('%s: pass-through', (_name, express) => {
  const dir = tempDir();
  let server: Running;
  let release: () => void = () => {};
  const binary = randomBytes(3 * 1024 * 1024 + 17);
  const logs = captureLogs();

  beforeAll(async () => {
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, memoryBytes: 1024 }));
    app.get('/api/orders', (_req, res) => {
      res.json({ orders: [{ id: 1, card: '4111111111111111' }] });
    });
    app.get('/blob', (_req, res) => {
      res.type('application/octet-stream');
      for (let i = 0; i < binary.length; i += 65536) res.write(binary.subarray(i, i + 65536));
      res.end();
    });
    app.get('/stream', (_req, res) => {
      // Writes a first chunk, then waits until the client has received it: a middleware that
      // buffered the response would deadlock here.
      res.type('text/html');
      res.write('<p>first</p>');
      new Promise<void>((r) => (release = r)).then(() => res.end('<p>rest</p>'));
    });
    app.get('/missing.csv', (_req, res) => {
      res.status(404).type('csv').send('not,found\n4111111111111111,x\n');
    });
    app.get('/redirect.csv', (_req, res) => {
      res.redirect('/elsewhere');
    });
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    dir.cleanup();
  });

  it('JSON API responses are untouched (no label headers, original ETag)', async () => {
    const res = await get(server.port, '/api/orders');
    expect(res.status).toBe(200);
    expect(res.headers['sensitivity-label']).toBeUndefined();
    expect(res.headers.etag).toMatch(/^W\/"[0-9a-f]+-/);
    expect(JSON.parse(res.body.toString())).toEqual({ orders: [{ id: 1, card: '4111111111111111' }] });
  });

  it('binary responses pass byte-identical without a temp file', async () => {
    const res = await get(server.port, '/blob');
    expect(res.body.equals(binary)).toBe(true);
    expect(res.headers['sensitivity-label']).toBeUndefined();
    expect(dir.files()).toEqual([]);
  });

  it('out-of-scope streams are not buffered: the first byte arrives before the handler ends', async () => {
    const res = await get(server.port, '/stream', { onFirstByte: () => release() });
    expect(res.body.toString()).toBe('<p>first</p><p>rest</p>');
  });

  it('non-2xx responses pass untouched even for report types', async () => {
    const missing = await get(server.port, '/missing.csv');
    expect(missing.status).toBe(404);
    expect(missing.headers['sensitivity-label']).toBeUndefined();
    expect(missing.body.toString()).toContain('4111111111111111');
    const redirect = await get(server.port, '/redirect.csv');
    expect(redirect.status).toBe(302);
  });

  it('writes no audit event for out-of-scope responses', () => {
    expect(logs.events()).toEqual([]);
  });
});

describe.each(EXPRESS_VERSIONS)('%s: HEAD, 304 and Range', (_name, express) => {
  const dir = tempDir();
  const files = tempDir();
  const csvPath = join(files.path, 'orders.csv');
  const app = express();

  beforeAll(() => {
    writeFileSync(csvPath, CSV);
    app.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path, routes: [{ path: '/configured/*', formats: ['json'] }] }));
    app.get('/files/orders.csv', (_req, res) => {
      res.sendFile(csvPath);
    });
    app.get('/send.csv', (_req, res) => {
      res.type('csv').send(CSV);
    });
    // The same representations, unlabeled: what a client could have cached from elsewhere.
    app.get('/raw/files/orders.csv', labelRoute({ enabled: false }), (_req, res) => {
      res.sendFile(csvPath);
    });
    app.get('/raw/send.csv', labelRoute({ enabled: false }), (_req, res) => {
      res.type('csv').send(CSV);
    });
    // No report extension in the URL and not in the match table: Range is not removed up front.
    app.get('/download/:id', (_req, res) => {
      res.download(csvPath, 'orders.csv');
    });
    app.get('/download-open/:id', labelRoute({ failMode: 'open' }), (_req, res) => {
      res.download(csvPath, 'orders.csv');
    });
    app.get('/configured/data', (_req, res) => {
      res.json({ a: 1 });
    });
    app.get('/configured/export', (_req, res) => {
      res.type('text/html').send('<b>report</b>');
    });
  });
  afterAll(() => {
    dir.cleanup();
    files.cleanup();
  });

  it.each(['/files/orders.csv', '/send.csv', '/download/1'])('HEAD %s: no length or validators of the unlabeled file', async (path) => {
    const res = await request(app).head(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['last-modified']).toBeUndefined();
    expect(res.headers['accept-ranges']).toBe('none');
    expect(res.headers['cache-control']).toMatch(/^private(, max-age=0)?$/);
    expect(res.headers['sensitivity-label']).toBeUndefined();
  });

  it.each(['/files/orders.csv', '/send.csv'])('%s: 304 only for the labeled ETag, never for the unlabeled one', async (path) => {
    const first = await request(app).get(path);
    expect(first.status).toBe(200);
    const labeledTag = first.headers.etag as string;
    expect(labeledTag).toMatch(/^W\/"lg-/);

    const again = await request(app).get(path).set('If-None-Match', labeledTag);
    expect(again.status).toBe(304);
    expect(again.text ?? '').toBe('');
    expect(again.headers.etag).toBe(labeledTag);
    expect(parseSensitivityLabel(again.headers['sensitivity-label'] as string).name).toBe('Confidential');

    // The ETag of the unlabeled file must not validate a cached unlabeled copy.
    const raw = await request(app).get(`/raw${path}`);
    expect(raw.headers['sensitivity-label']).toBeUndefined();
    const unlabeledTag = raw.headers.etag as string;
    expect(unlabeledTag).toBeDefined();
    expect(unlabeledTag).not.toBe(labeledTag);
    const stale = await request(app).get(path).set('If-None-Match', unlabeledTag);
    expect(stale.status).toBe(200);
    expect(stale.text).toBe(CSV);
    expect(stale.headers['sensitivity-label']).toBeDefined();

    const since = await request(app).get(path).set('If-Modified-Since', new Date(Date.now() + 60_000).toUTCString());
    expect(since.status).toBe(200);
    expect(since.headers['sensitivity-label']).toBeDefined();
  });

  it('Range on a report URL: the whole labeled file, never a slice', async () => {
    const res = await request(app).get('/files/orders.csv').set('Range', 'bytes=0-9');
    expect(res.status).toBe(200);
    expect(res.text).toBe(CSV);
    expect(res.headers['content-range']).toBeUndefined();
    expect(res.headers['accept-ranges']).toBe('none');
    expect(res.headers['sensitivity-label']).toBeDefined();
  });

  it('Range or an unlabeled ETag on res.download without a report URL: the whole labeled file', async () => {
    const ranged = await request(app).get('/download/1').set('Range', 'bytes=0-9');
    expect(ranged.status).toBe(200);
    expect(ranged.text).toBe(CSV);
    expect(ranged.headers['content-range']).toBeUndefined();
    expect(ranged.headers['accept-ranges']).toBe('none');
    expect(ranged.headers['sensitivity-label']).toBeDefined();
    const raw = await request(app).get('/raw/files/orders.csv');
    const stale = await request(app).get('/download/1').set('If-None-Match', raw.headers.etag as string);
    expect(stale.status).toBe(200);
    expect(stale.text).toBe(CSV);
    expect(stale.headers['sensitivity-label']).toBeDefined();
  });

  it('labelRoute guards its route: Range there gives the whole labeled file', async () => {
    const res = await request(app).get('/download-open/1').set('Range', 'bytes=0-9');
    expect(res.status).toBe(200);
    expect(res.text).toBe(CSV);
    expect(res.headers['sensitivity-label']).toBeDefined();
  });

  it('a 206 the handler builds itself is never served, even with fail mode open: 416, no bytes', async () => {
    const open = express();
    open.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path, failMode: 'open' }));
    open.get('/slice/:id', (_req, res) => {
      res.status(206).set('Content-Range', `bytes 0-9/${Buffer.byteLength(CSV)}`).attachment('orders.csv').type('csv').send(CSV.slice(0, 10));
    });
    open.get('/download/:id', (_req, res) => {
      res.download(csvPath, 'orders.csv');
    });
    const res = await request(open).get('/slice/1').set('Range', 'bytes=0-9');
    expect(res.status).toBe(416);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 416, code: 'PARTIAL_CONTENT' });
    expect(JSON.stringify(res.body)).not.toContain(CSV.slice(0, 10));
    expect(res.headers['content-disposition']).toBeUndefined();
    const full = await request(open).get('/download/1').set('Range', 'bytes=0-9');
    expect(full.status).toBe(200);
    expect(full.text).toBe(CSV);
    expect(full.headers['sensitivity-label']).toBeDefined();
  });

  it('a 416 from the handler passes through with its Content-Range', async () => {
    const app416 = express();
    app416.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path }));
    app416.get('/r.csv', (_req, res) => {
      res.status(416).set('Content-Range', 'bytes */1234').type('csv').end();
    });
    const res = await request(app416).get('/r.csv').set('Range', 'bytes=5000-');
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */1234');
  });

  it('guarded routes whose response is out of scope keep their 304 and Range behaviour', async () => {
    const first = await request(app).get('/configured/export');
    expect(first.headers['sensitivity-label']).toBeUndefined();
    const again = await request(app).get('/configured/export').set('If-None-Match', first.headers.etag as string);
    expect(again.status).toBe(304);
    const json = await request(app).get('/configured/data');
    expect(json.headers['sensitivity-label']).toBeDefined();
  });

  it('leaves no temp file behind', () => {
    expect(dir.files()).toEqual([]);
  });
});
