/**
 * Express 5 and 4: fail modes, client aborts, backpressure, concurrency, header injection through
 * label names, and the audit log (which must never contain a planted sensitive value).
 */
import { afterAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import request from 'supertest';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { createLabeler, type ProtectHook } from '../../src/index.js';
import {
  EVIL_NAME,
  EXPRESS_VERSIONS,
  LABEL,
  PLANTED,
  UnreachableGraphEngine,
  allPlanted,
  captureLogs,
  customersCsv,
  get,
  listen,
  luhnCards,
  parseSensitivityLabel,
  readAllThenHangUp,
  tempDir,
  testLabeler,
  testPolicy,
  waitFor,
} from './helpers.js';

const CSV = customersCsv(40, { cards: 3, ssns: 2 });
const BIG = customersCsv(20_000, { cards: 5 });

describe.each(EXPRESS_VERSIONS)('%s: fail modes', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  function appWith(options: Parameters<typeof expressLabeling>[0]) {
    const logs = captureLogs();
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, ...options }));
    app.get('/big.csv', (_req, res) => {
      res.type('csv');
      const lines = BIG.split(/(?<=\n)/);
      for (let i = 0; i < lines.length; i += 500) res.write(lines.slice(i, i + 500).join(''));
      res.end();
    });
    app.get('/small.csv', (_req, res) => {
      res.attachment('small.csv').send(CSV);
    });
    app.get('/protected.csv', labelRoute({ label: 'Protected' }), (_req, res) => {
      res.type('csv').send(CSV);
    });
    return { app, logs };
  }

  it('totalDiskBytes: a download that would take more temp-file space than is left is refused (507); space comes back after each download', async () => {
    // Each download spills past 16 KiB; BIG is ~740 KB.
    const size = Buffer.byteLength(BIG);
    expect(size).toBeGreaterThan(512 * 1024);
    const small = appWith({ memoryBytes: 16 * 1024, totalDiskBytes: 512 * 1024 });
    const refused = await request(small.app).get('/big.csv');
    expect(refused.status).toBe(507);
    expect(refused.text).not.toContain('Customer');
    expect(small.logs.events()[0]!.labelgate).toMatchObject({ outcome: 'blocked', error: { code: 'SIZE_LIMIT', message: expect.stringMatching(/totalDiskBytes/) } });
    await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
    // Room for one BIG at a time: downloads one after another all fit, so each gave its space back.
    const one = appWith({ memoryBytes: 16 * 1024, totalDiskBytes: size + 1024 });
    for (let i = 0; i < 3; i++) {
      const res = await request(one.app).get('/big.csv');
      expect(res.status).toBe(200);
      expect(res.text).toBe(BIG);
      await waitFor(() => dir.files().length === 0, 3000, 'temp file removed');
    }
    expect(() => expressLabeling({ labeler: testLabeler(), totalDiskBytes: -1 })).toThrow(/totalDiskBytes/);
  });

  it('closed (default), size limit: problem+json 507 and not one byte of the body', async () => {
    const { app, logs } = appWith({ maxBytes: 64 * 1024, memoryBytes: 16 * 1024 });
    const res = await request(app).get('/big.csv');
    expect(res.status).toBe(507);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ type: 'urn:labelgate:problem:size-limit', title: expect.any(String), status: 507, code: 'SIZE_LIMIT' });
    expect(res.text).not.toContain('Customer');
    expect(res.headers['sensitivity-label']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    const event = logs.events()[0]!;
    expect(event.level).toBe(50);
    expect(event.labelgate).toMatchObject({ outcome: 'blocked', status: 507, error: { code: 'SIZE_LIMIT' } });
    await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
  });

  it('open, size limit: the original bytes, marked unlabeled, logged as an error', async () => {
    const { app, logs } = appWith({ maxBytes: 64 * 1024, memoryBytes: 16 * 1024, failMode: 'open' });
    const res = await request(app).get('/big.csv');
    expect(res.status).toBe(200);
    expect(res.text).toBe(BIG);
    expect(res.headers['sensitivity-label-status']).toBe('unlabeled');
    expect(res.headers['sensitivity-label']).toBeUndefined();
    await waitFor(() => logs.events().length === 1, 3000, 'audit event');
    const event = logs.events()[0]!;
    expect(event.level).toBe(50);
    expect(event.labelgate).toMatchObject({ outcome: 'unlabeled', error: { code: 'SIZE_LIMIT' }, bytesOut: Buffer.byteLength(BIG) });
  });

  it('label, size limit: the fail-safe label in headers, original bytes', async () => {
    const { app, logs } = appWith({ maxBytes: 64 * 1024, memoryBytes: 16 * 1024, failMode: 'label', failSafeLabel: 'Confidential' });
    const res = await request(app).get('/big.csv');
    expect(res.status).toBe(200);
    expect(res.text).toBe(BIG);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string)).toMatchObject({ id: LABEL.confidential });
    expect(res.headers['sensitivity-label-status']).toBe('fail-safe');
    await waitFor(() => logs.events().length === 1, 3000, 'audit event');
    expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'fail-safe', labelName: 'Confidential', error: { code: 'SIZE_LIMIT' } });
  });

  it('closed, policy unavailable: 503 problem', async () => {
    const labeler = createLabeler({ engine: new UnreachableGraphEngine(testPolicy()) });
    const { app } = appWith({ labeler });
    const res = await request(app).get('/small.csv');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'GRAPH_UNAVAILABLE', status: 503 });
    expect(res.text).not.toContain('Customer');
    expect(res.headers['content-disposition']).toBeUndefined();
  });

  it('label, policy unavailable: the fail-safe label via evaluateApplication (no classification)', async () => {
    const labeler = createLabeler({ engine: new UnreachableGraphEngine(testPolicy()) });
    const { app, logs } = appWith({ labeler, failMode: 'label', failSafeLabel: LABEL.secret });
    const res = await request(app).get('/small.csv');
    expect(res.status).toBe(200);
    expect(res.text).toBe(CSV);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(CSV)));
    expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'fail-safe', sensitiveTypes: [], error: { code: 'GRAPH_UNAVAILABLE' } });
  });

  it('protection required without a protect hook: closed 500, label mode falls back to the fail-safe label', async () => {
    const closed = await request(appWith({}).app).get('/protected.csv');
    expect(closed.status).toBe(500);
    expect(closed.body).toMatchObject({ code: 'PROTECTION_UNAVAILABLE' });
    const label = await request(appWith({ failMode: 'label', failSafeLabel: 'Secret' }).app).get('/protected.csv');
    expect(label.status).toBe(200);
    expect(parseSensitivityLabel(label.headers['sensitivity-label'] as string).name).toBe('Secret');
  });

  it('a protect hook carries out protection', async () => {
    const protect: ProtectHook = async ({ bytes }) => Buffer.concat([Buffer.from('PROTECTED:'), bytes]);
    const labeler = createLabeler({ policy: testPolicy(), protect });
    const res = await request(appWith({ labeler }).app).get('/protected.csv');
    expect(res.status).toBe(200);
    expect(res.text).toBe(`PROTECTED:${CSV}`);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
  });

  it('label mode whose fail-safe label fails too: closed', async () => {
    const { app } = appWith({ failMode: 'label', failSafeLabel: 'Protected' });
    const res = await request(app).get('/protected.csv');
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('PROTECTION_UNAVAILABLE');
  });

  it('a handler that turns a capture into an error response never leaks the captured bytes', async () => {
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path, failMode: 'open' }));
    app.get('/broken.csv', (_req, res) => {
      res.type('csv');
      res.write(CSV);
      res.statusCode = 500;
      res.end('failed');
    });
    const res = await request(app).get('/broken.csv');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('Customer');
  });
});

describe.each(EXPRESS_VERSIONS)('%s: streaming, aborts, concurrency', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('honours backpressure: write() returns false while the temp file drains, then drain fires', async () => {
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path, memoryBytes: 64 * 1024 }));
    const chunk = Buffer.from(`${'1,2,3,4,'.repeat(127)}abcdefg\n`);
    let falses = 0;
    let drains = 0;
    let callbacks = 0;
    let ended = false;
    app.get('/slow.csv', (_req, res) => {
      res.type('csv');
      // Drains while the app writes; once it has ended, the socket's own drains may follow.
      res.on('drain', () => {
        if (!ended) drains++;
      });
      let i = 0;
      const pump = () => {
        while (i < 4096) {
          i++;
          if (!res.write(chunk, () => callbacks++)) {
            falses++;
            res.once('drain', pump);
            return;
          }
        }
        ended = true;
        res.end();
      };
      pump();
    });
    const res = await request(app).get('/slow.csv');
    expect(res.status).toBe(200);
    expect(res.text.length).toBe(4096 * 1024);
    expect(falses).toBeGreaterThan(0);
    expect(drains).toBe(falses);
    expect(callbacks).toBe(4096);
    await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
  });

  it('client abort mid-download: no temp file left, no crash, server keeps serving', async () => {
    const logs = captureLogs();
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, memoryBytes: 1024 }));
    let wrote = 0;
    let stop = false;
    app.get('/export.csv', (_req, res) => {
      res.type('csv');
      const timer = setInterval(() => {
        if (stop || res.destroyed) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(`${wrote},${PLANTED.cards[0]},row\n`.repeat(100));
        wrote++;
      }, 2);
    });
    app.get('/ok.csv', (_req, res) => {
      res.type('csv').send(CSV);
    });
    const server = await listen(app);
    try {
      await new Promise<void>((resolve) => {
        const req = http.get({ port: server.port, host: '127.0.0.1', path: '/export.csv' });
        req.on('error', () => resolve());
        waitFor(() => wrote > 20 && dir.files().length === 1, 3000, 'spill to a temp file').then(() => {
          req.destroy();
          resolve();
        });
      });
      await waitFor(() => dir.files().length === 0, 3000, 'temp file removed after abort');
      stop = true;
      await waitFor(() => logs.events().length === 1, 3000, 'audit event');
      expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'aborted', bytesOut: 0 });
      expect(logs.events()[0]!.labelgate).not.toHaveProperty('status');
      const ok = await get(server.port, '/ok.csv');
      expect(ok.status).toBe(200);
      expect(ok.headers['sensitivity-label']).toBeDefined();
    } finally {
      stop = true;
      await server.close();
    }
  });

  it('client abort while the labeled body is being sent: temp file removed', async () => {
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path, memoryBytes: 1024 }));
    const big = Buffer.alloc(16 * 1024 * 1024, 'a,b,c\n');
    app.get('/huge.csv', (_req, res) => {
      res.type('csv').send(big);
    });
    const server = await listen(app);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ port: server.port, host: '127.0.0.1', path: '/huge.csv' }, (res) => {
          expect(res.headers['sensitivity-label']).toBeDefined();
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (e) => (req.destroyed ? resolve() : reject(e)));
      });
      await waitFor(() => dir.files().length === 0, 5000, 'temp file removed after abort');
    } finally {
      await server.close();
    }
  });

  it('a client that closes the connection the moment it has every byte: audited as labeled, not aborted', async () => {
    const logs = captureLogs();
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, memoryBytes: 1024 }));
    app.get('/r.csv', (_req, res) => {
      res.type('csv').send(CSV);
    });
    const server = await listen(app);
    const rounds = 30;
    try {
      for (let i = 0; i < rounds; i++) {
        // Done reading: hang up at once, possibly before the server has called end().
        await readAllThenHangUp(server.port, '/r.csv');
      }
      await waitFor(() => logs.events().length === rounds, 3000, 'audit events');
      expect(logs.events().map((e) => (e.labelgate as { outcome: string }).outcome)).toEqual(Array(rounds).fill('labeled'));
      expect(logs.events().map((e) => (e.labelgate as { bytesOut: number }).bytesOut)).toEqual(Array(rounds).fill(Buffer.byteLength(CSV)));
    } finally {
      await server.close();
    }
  });

  it('concurrent downloads each get their own label and their own bytes', async () => {
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path, memoryBytes: 2048 }));
    const bodies = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? `card\n${luhnCards(12 + i).join('\n')}\n` : i % 3 === 1 ? customersCsv(100 + i, { cards: 1 }) : customersCsv(100 + i)));
    const expected = bodies.map((_, i) => (i % 3 === 0 ? 'Secret' : i % 3 === 1 ? 'Confidential' : 'General'));
    app.get('/r/:i', (req, res) => {
      const body = bodies[Number(req.params.i)]!;
      res.attachment(`r${req.params.i}.csv`);
      let offset = 0;
      const step = () => {
        if (offset >= body.length) return void res.end();
        res.write(body.slice(offset, offset + 700));
        offset += 700;
        setImmediate(step);
      };
      step();
    });
    const results = await Promise.all(bodies.map((_, i) => request(app).get(`/r/${i}`)));
    results.forEach((res, i) => {
      expect(res.text).toBe(bodies[i]);
      expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe(expected[i]);
    });
    await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
  });
});

describe.each(EXPRESS_VERSIONS)('%s: header safety and audit', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('a label name with CR/LF, quotes and non-ASCII cannot inject or break a header', async () => {
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler({ confidentialName: EVIL_NAME }), logger: captureLogs().logger, tempDir: dir.path }));
    app.get('/x.csv', (_req, res) => {
      res.type('csv').send(CSV);
    });
    const server = await listen(app);
    try {
      const res = await get(server.port, '/x.csv');
      expect(res.status).toBe(200);
      expect(res.headers['x-injected']).toBeUndefined();
      const header = res.headers['sensitivity-label'] as string;
      expect(header).toMatch(/^[\x20-\x7e]*$/);
      expect(parseSensitivityLabel(header).name).toBe(EVIL_NAME);
      const msip = res.headers.msip_labels as string;
      expect(msip).toMatch(/^[\x20-\x7e]*$/);
      const namePair = msip.split('; ').find((p) => p.includes('_Name='))!;
      expect(decodeURIComponent(namePair.split('=')[1]!)).toBe(EVIL_NAME);
      expect(res.body.toString()).toBe(CSV);
    } finally {
      await server.close();
    }
  });

  it('the audit event names types and counts, never a planted value', async () => {
    const logs = captureLogs();
    const app = express();
    app.use(
      expressLabeling({
        labeler: testLabeler(),
        logger: logs.logger,
        tempDir: dir.path,
        user: (req) => (req.headers['x-user'] as string | undefined) ?? undefined,
      }),
    );
    const body = `${allPlanted().join(',')}\n${CSV}`;
    app.get('/pii.csv', (_req, res) => {
      res.attachment('pii-export.csv').send(body);
    });
    app.get('/pii-blocked.csv', labelRoute({ maxBytes: 10 }), (_req, res) => {
      res.type('csv').send(body);
    });
    await request(app).get('/pii.csv').set('x-user', 'dave@contoso.example').set('x-request-id', 'abc-123');
    await request(app).get('/pii-blocked.csv');
    const events = logs.events().map((e) => e.labelgate as Record<string, unknown>);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ user: 'dave@contoso.example', requestId: 'abc-123', file: 'pii-export.csv', labelName: 'Confidential' });
    expect((events[0]!.sensitiveTypes as unknown[]).length).toBeGreaterThan(0);
    expect(events[0]!.responsibleSensitiveTypeIds).not.toEqual([]);
    expect(events[1]).toMatchObject({ outcome: 'blocked', error: { code: 'SIZE_LIMIT' } });
    const text = logs.text();
    for (const value of allPlanted()) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(value.replace(/-/g, ''));
    }
    expect(text).not.toContain('Customer 1');
  });

  it('uses pino-http style req.log and req.id when no logger is configured', async () => {
    const logs = captureLogs();
    const app = express();
    app.use((req, _res, next) => {
      Object.assign(req, { log: logs.logger.child({ from: 'pino-http' }), id: 77 });
      next();
    });
    app.use(expressLabeling({ labeler: testLabeler(), tempDir: dir.path }));
    app.get('/y.csv', (_req, res) => {
      res.type('csv').send(CSV);
    });
    await request(app).get('/y.csv');
    const event = logs.events()[0]!;
    expect(event.from).toBe('pino-http');
    expect((event.labelgate as { requestId: string }).requestId).toBe('77');
  });
});
