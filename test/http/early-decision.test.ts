/**
 * Early decisions (Express 5 and 4, both hook modes): a text download whose label is settled by
 * what was captured so far streams the rest instead of holding it, and the client gets the label
 * before the app has finished writing. A download that is not settled is held whole as before.
 *
 * The streaming cases are gated: the app writes the rest only after the client has received the
 * response headers, so a labelgate that held the body would never answer (the test times out).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { SIT, classify, createLabeler } from '../../src/index.js';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { ResponseInterceptor } from '../../src/http/intercept-express.js';
import { EXPRESS_HOOK_MATRIX, builtPackage, captureLogs, luhnCards, parseSensitivityLabel, tempDir, testLabeler, testPolicy, waitFor, type Running, listen } from './helpers.js';

const CARDS = luhnCards(40);
const SSNS = ['536-90-4399', '234-56-7890', '345-67-8901'];
const KiB = 1024;

/** CSV rows without sensitive data (about 60 bytes each). */
function plainRows(from: number, n: number): string {
  let out = '';
  for (let i = from; i < from + n; i++) out += `${i},Customer ${i},order batch ${i % 7},${(i * 3.17).toFixed(2)}\n`;
  return out;
}

/** Rows that carry a card (and, if asked, an SSN) each. */
function cardRows(from: number, n: number, ssn = false): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `${from + i},Customer ${from + i},${CARDS[(from + i) % CARDS.length]},${ssn ? SSNS[i % SSNS.length] : ''}\n`;
  return out;
}

const HEADER = 'id,name,card_number,ssn\n';

/** A report: 12 card rows first (Secret needs 10), ~380 KiB of plain rows, then more that only the rest carries (SSNs). */
const FIRST = HEADER + cardRows(0, 12) + plainRows(100, 9000);
const REST = cardRows(20_000, 3, true) + plainRows(30_000, 4000);

/** 4 MB handed over at once: cards in the first rows, SSNs only near the end. */
const BIG = HEADER + cardRows(0, 12) + plainRows(100, 100_000) + cardRows(40_000, 3, true);

/** A report without anything sensitive (General, the default label): never settled early. */
const CLEAN_FIRST = HEADER + plainRows(0, 9000);
const CLEAN_REST = plainRows(10_000, 2000);

interface Gate {
  open: () => void;
  opened: Promise<void>;
}
function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** Write `text` in 16 KiB pieces, honouring backpressure. */
async function writeInPieces(res: http.ServerResponse, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  for (let o = 0; o < bytes.length; o += 16 * KiB) {
    if (!res.write(bytes.subarray(o, o + 16 * KiB))) await new Promise((r) => res.once('drain', r));
  }
}

/** A GET that reports when the response headers arrive (before the body is read). */
function request(
  port: number,
  path: string,
  options: { headers?: http.OutgoingHttpHeaders; onHeaders?: (res: http.IncomingMessage) => void; abortAfterHeaders?: boolean } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ port, path, host: '127.0.0.1', headers: options.headers }, (res) => {
      options.onHeaders?.(res);
      if (options.abortAfterHeaders) {
        res.once('data', () => {
          req.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.alloc(0) });
        });
        return;
      }
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', (err) => (options.abortAfterHeaders ? undefined : reject(err)));
  });
}

describe.each(EXPRESS_HOOK_MATRIX)('%s (%s hooks): early decisions', (_name, responseHooks, express) => {
  const dir = tempDir();
  const logs = captureLogs();
  let server: Running;
  /** Per request path: the gate the app waits on before writing the rest, and whether it ended. */
  const gates = new Map<string, Gate>();
  const ended = new Set<string>();
  const rowCallbacks: number[] = [];
  const emptyCallbacks: string[] = [];
  const pageModes: string[] = [];
  const PUMP_ROWS = 200_000;

  function gated(path: string, first: string, rest: string, setup?: (res: http.ServerResponse) => void) {
    return async (_req: unknown, res: http.ServerResponse) => {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      setup?.(res);
      await writeInPieces(res, first);
      await gates.get(path)!.opened;
      await writeInPieces(res, rest);
      ended.add(path);
      res.end();
    };
  }

  beforeAll(async () => {
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, responseHooks }));
    app.get('/settles.csv', gated('/settles.csv', FIRST, REST));
    app.get('/etag.csv', gated('/etag.csv', FIRST, REST, (res) => res.setHeader('etag', '"v1"')));
    app.get('/abort.csv', gated('/abort.csv', FIRST, REST));
    // After the decision: one row per res.write, each with a callback, honouring backpressure.
    // A writer that registers its 'drain' listener once (before labelgate's first tapped write)
    // and writes until write() says false: it must get every 'drain' it needs.
    app.get('/pump.csv', async (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      await writeInPieces(res, FIRST);
      await gates.get('/pump.csv')!.opened;
      let i = 0;
      const pump = () => {
        while (i < PUMP_ROWS) if (!res.write(plainRows(100_000 + i++, 1))) return;
        res.write('', () => emptyCallbacks.push('empty'));
        res.write(Buffer.alloc(0), () => emptyCallbacks.push('empty buffer'));
        res.end(() => emptyCallbacks.push('end'));
      };
      res.on('drain', pump);
      pump();
    });
    // Pages written with backpressure after the decision: the app must end up writing straight
    // through (mode 'tapped'), not into labelgate's queue for ever (which Node's 'drain' events
    // kept filling, and whose scanner backlog then had no bound).
    app.get('/pages.csv', async (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      await writeInPieces(res, FIRST);
      await gates.get('/pages.csv')!.opened;
      // As a database cursor does: a page per write, a turn of the loop every ten pages.
      for (let p = 0; p < 400; p++) {
        if (!res.write(plainRows(200_000 + p * 500, 500))) await new Promise((r) => res.once('drain', r));
        else if (p % 10 === 9) await new Promise((r) => setImmediate(r));
        pageModes.push(ResponseInterceptor.of(res)!.current());
      }
      res.end();
    });
    app.get('/rows.csv', async (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      await writeInPieces(res, FIRST);
      await gates.get('/rows.csv')!.opened;
      const rows = REST.split(/(?<=\n)/);
      let called = 0;
      for (const [i, row] of rows.entries()) {
        const ok = res.write(row, () => {
          // Callbacks run in write order.
          if (called++ !== i) rowCallbacks.push(-1);
        });
        if (!ok) await new Promise((r) => res.once('drain', r));
      }
      res.end(() => rowCallbacks.push(called));
    });
    app.get('/fixed.csv', labelRoute({ label: 'Confidential' }), gated('/fixed.csv', CLEAN_FIRST, CLEAN_REST));
    app.get('/banner.csv', labelRoute({ banner: true }), gated('/banner.csv', FIRST, REST, (res) => res.setHeader('content-length', Buffer.byteLength(FIRST + REST))));
    // Not gated: these must be held whole (the app ends without waiting for the client).
    const held = (first: string, rest: string) => async (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.setHeader('content-type', 'text/csv');
      await writeInPieces(res, first);
      await new Promise((r) => setTimeout(r, 20));
      await writeInPieces(res, rest);
      ended.add(req.url!);
      res.end();
    };
    app.get('/clean.csv', held(CLEAN_FIRST, CLEAN_REST));
    app.get('/held.csv', labelRoute({ earlyDecision: false }), held(FIRST, REST));
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    dir.cleanup();
  });

  /** Fetch a gated path: the gate opens when the response headers arrive. */
  function fetchGated(path: string, headers?: http.OutgoingHttpHeaders) {
    const g = gate();
    gates.set(path, g);
    let endedBeforeHeaders: boolean | undefined;
    const done = request(server.port, path, {
      headers,
      onHeaders: () => {
        endedBeforeHeaders = ended.has(path);
        g.open();
      },
    });
    return done.then((r) => ({ ...r, endedBeforeHeaders }));
  }

  async function auditOf(path: string): Promise<Record<string, unknown>> {
    await waitFor(() => logs.events().some((e) => (e.labelgate as { file?: string }).file === path.slice(1)), 5000, `audit of ${path}`);
    return logs.events().find((e) => (e.labelgate as { file?: string }).file === path.slice(1))!.labelgate as Record<string, unknown>;
  }

  it('a settled download streams: the label arrives before the app has finished, the body is byte-identical', async () => {
    const res = await fetchGated('/settles.csv');
    expect(res.status).toBe(200);
    expect(res.endedBeforeHeaders).toBe(false);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.body.toString('utf8')).toBe(FIRST + REST);

    const audit = await auditOf('/settles.csv');
    expect(audit.outcome).toBe('labeled');
    expect(audit.labelName).toBe('Secret');
    const total = Buffer.byteLength(FIRST + REST);
    expect(audit.settledAtBytes).toBeGreaterThanOrEqual(256 * KiB);
    expect(audit.settledAtBytes).toBeLessThanOrEqual(Buffer.byteLength(FIRST));
    expect(audit.bytesIn).toBe(total);
    expect(audit.bytesOut).toBe(total);
    // The rest was scanned on its way: the counts are those of the whole body (SSNs only occur in the rest).
    const whole = await classify(FIRST + REST, { delimiter: ',' });
    expect(audit.sensitiveTypes).toEqual(whole.map((r) => ({ id: r.sensitiveTypeId, count: r.count, confidence: r.confidenceLevel })));
    expect(whole.some((r) => r.sensitiveTypeId === SIT.usSsn)).toBe(true);
  });

  it('a download the content so far does not settle is held whole (Content-Length, headers only after the end)', async () => {
    const started = logs.events().length;
    const res = await request(server.port, '/clean.csv', { onHeaders: () => expect(ended.has('/clean.csv')).toBe(true) });
    expect(res.status).toBe(200);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('General');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(CLEAN_FIRST + CLEAN_REST));
    await waitFor(() => logs.events().length > started);
    const audit = (await auditOf('/clean.csv'));
    expect(audit.settledAtBytes).toBeUndefined();
  });

  it('earlyDecision: false holds a download even when its label is certain early', async () => {
    const res = await request(server.port, '/held.csv', { onHeaders: () => expect(ended.has('/held.csv')).toBe(true) });
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(FIRST + REST));
    expect((await auditOf('/held.csv')).settledAtBytes).toBeUndefined();
  });

  it('a route with a fixed label streams from 256 KiB on, without classifying', async () => {
    const res = await fetchGated('/fixed.csv');
    expect(res.endedBeforeHeaders).toBe(false);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Confidential');
    expect(res.body.toString('utf8')).toBe(CLEAN_FIRST + CLEAN_REST);
    const audit = await auditOf('/fixed.csv');
    expect(audit.settledAtBytes).toBeGreaterThanOrEqual(256 * KiB);
    expect(audit.sensitiveTypes).toEqual([]);
  });

  it('a banner line goes first, and the app\'s Content-Length grows by it', async () => {
    const res = await fetchGated('/banner.csv');
    expect(res.endedBeforeHeaders).toBe(false);
    const banner = 'SECRET - internal only\n';
    expect(res.body.toString('utf8')).toBe(banner + FIRST + REST);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(banner + FIRST + REST));
  });

  it('a matching If-None-Match gets a 304 as soon as the label is settled', async () => {
    const first = await fetchGated('/etag.csv');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\//);
    const again = await fetchGated('/etag.csv', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('a client that leaves after the label is audited as aborted (with the label), and nothing is left behind', async () => {
    const g = gate();
    gates.set('/abort.csv', g);
    await request(server.port, '/abort.csv', { onHeaders: () => g.open(), abortAfterHeaders: true });
    await waitFor(() => logs.events().some((e) => (e.labelgate as { file?: string }).file === 'abort.csv'), 5000, 'abort audit');
    const audit = logs.events().find((e) => (e.labelgate as { file?: string }).file === 'abort.csv')!.labelgate as Record<string, unknown>;
    expect(audit.outcome).toBe('aborted');
    expect(audit.labelName).toBe('Secret');
    expect(dir.files()).toEqual([]);
    // The server still serves.
    const res = await fetchGated('/settles.csv');
    expect(res.body.length).toBe(Buffer.byteLength(FIRST + REST));
  });

  it('rows written one at a time after the decision go out whole and in order, every callback runs in order', async () => {
    const res = await fetchGated('/rows.csv');
    expect(res.body.toString('utf8')).toBe(FIRST + REST);
    await waitFor(() => rowCallbacks.length > 0, 3000, 'end callback');
    expect(rowCallbacks).toEqual([REST.split(/(?<=\n)/).length]);
    const audit = await auditOf('/rows.csv');
    expect(audit.bytesOut).toBe(Buffer.byteLength(FIRST + REST));
  });

  it("a writer that listens for 'drain' once and writes until false gets every 'drain'; empty writes call back in order", async () => {
    const res = await fetchGated('/pump.csv');
    let expected = FIRST;
    for (let i = 0; i < PUMP_ROWS; i++) expected += plainRows(100_000 + i, 1);
    expect(res.body.toString('utf8')).toBe(expected);
    await waitFor(() => emptyCallbacks.length === 3, 3000, 'callbacks');
    expect(emptyCallbacks).toEqual(['empty', 'empty buffer', 'end']);
  }, 20_000);

  it('after the decision the app writes straight through, not into a queue', async () => {
    pageModes.length = 0;
    const res = await fetchGated('/pages.csv');
    expect(res.status).toBe(200);
    expect(pageModes.slice(-10)).toEqual(Array(10).fill('tapped'));
  });

  it('no planted value reaches the log', () => {
    const text = logs.text();
    for (const v of [...CARDS, ...SSNS]) expect(text).not.toContain(v);
  });
});

describe('early and held decisions agree (property)', () => {
  const dir = tempDir();
  let server: Running;
  const bodies = new Map<string, string>();
  beforeAll(async () => {
    const { default: express } = await import('express');
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), tempDir: dir.path, logger: captureLogs().logger }));
    const send = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const body = bodies.get(new URL(req.url!, 'http://x').searchParams.get('k')!)!;
      res.setHeader('content-type', 'text/csv');
      void writeInPieces(res, body).then(() => res.end());
    };
    app.get('/early.csv', send);
    app.get('/held.csv', labelRoute({ earlyDecision: false }), send);
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    dir.cleanup();
  });

  it('whatever rows carry cards, the streamed label is the label of the whole body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 11_999 }), { maxLength: 14 }), async (cardAt) => {
        const at = new Set(cardAt);
        let body = HEADER;
        for (let i = 0; i < 12_000; i++) body += at.has(i) ? cardRows(i, 1) : plainRows(i, 1);
        const k = String(bodies.size);
        bodies.set(k, body);
        const [early, held] = await Promise.all([
          request(server.port, `/early.csv?k=${k}`),
          request(server.port, `/held.csv?k=${k}`),
        ]);
        expect(early.body.toString('utf8')).toBe(body);
        expect(parseSensitivityLabel(early.headers['sensitivity-label'] as string).name).toBe(parseSensitivityLabel(held.headers['sensitivity-label'] as string).name);
        bodies.delete(k);
      }),
      { numRuns: 12 },
    );
  }, 60_000);
});

describe('with the scan worker (built package): results so far come from the worker', () => {
  const pkg = builtPackage();
  // The built package's interceptor, found as every copy of labelgate finds it: its one property.
  const built = { ...pkg, interceptorMode: (res: http.ServerResponse) => String((res as unknown as Record<symbol, { mode?: string }>)[Symbol.for('labelgate.interceptor')]?.mode) };
  const cursorModes: string[] = [];
  const dir = tempDir();
  const logs = captureLogs();
  let server: Running;
  const g = gate();
  let ended = false;
  let labeling: ReturnType<typeof built.express.expressLabeling>;
  beforeAll(async () => {
    const app = built.expressLib();
    app.use((labeling = built.express.expressLabeling({ labeler: built.index.createLabeler({ policy: testPolicy() }), logger: logs.logger, tempDir: dir.path, scanInWorker: true })));
    // A generated export as a database cursor yields it: pages of rows, a turn of the loop every
    // ten pages. After the decision the app must end up writing straight through ('tapped'), not
    // into labelgate's queue for ever (Node's 'drain' events kept it filling, and the scan
    // worker's backlog with it: 1 GB took 1 GB of memory).
    app.get('/cursor.csv', (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      let p = 0;
      const page = () => {
        while (p < 1500) {
          const ok = res.write(p === 0 ? FIRST : plainRows(300_000 + p * 500, 500));
          p++;
          if (p > 20) cursorModes.push(built.interceptorMode(res));
          if (!ok) return void res.once('drain', page);
          if (p % 10 === 0) return void setImmediate(page);
        }
        res.end();
      };
      page();
    });
    app.get('/sent-at-once.csv', (_req, res) => {
      res.type('csv').send(Buffer.from(BIG));
    });
    app.get('/worker.csv', async (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      await writeInPieces(res, FIRST);
      await g.opened;
      await writeInPieces(res, REST);
      ended = true;
      res.end();
    });
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    await labeling.close();
    dir.cleanup();
  });

  it('a generated export decided early is written straight through after the decision', async () => {
    const res = await request(server.port, '/cursor.csv');
    expect(res.status).toBe(200);
    expect(cursorModes.slice(-100)).toEqual(Array(100).fill('tapped'));
  }, 30_000);

  it('res.send of a large body: labeled from a prefix scanned first, sent whole with its Content-Length, audited with the counts of all of it', async () => {
    const res = await request(server.port, '/sent-at-once.csv');
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(BIG));
    expect(res.body.toString('utf8')).toBe(BIG);
    await waitFor(() => logs.events().some((e) => (e.labelgate as { file?: string }).file === 'sent-at-once.csv'), 5000, 'audit');
    const audit = logs.events().find((e) => (e.labelgate as { file?: string }).file === 'sent-at-once.csv')!.labelgate as Record<string, unknown>;
    const whole = await classify(BIG, { delimiter: ',' });
    expect(audit.sensitiveTypes).toEqual(whole.map((r) => ({ id: r.sensitiveTypeId, count: r.count, confidence: r.confidenceLevel })));
    expect(audit.settledAtBytes).toBe(Buffer.byteLength(BIG));
    expect(audit.bytesOut).toBe(Buffer.byteLength(BIG));
  });

  it('streams once settled, and audits the counts of the whole body', async () => {
    let endedBeforeHeaders: boolean | undefined;
    const res = await request(server.port, '/worker.csv', {
      onHeaders: () => {
        endedBeforeHeaders = ended;
        g.open();
      },
    });
    expect(endedBeforeHeaders).toBe(false);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(res.body.toString('utf8')).toBe(FIRST + REST);
    await waitFor(() => logs.events().some((e) => (e.labelgate as { file?: string }).file === 'worker.csv'), 5000, 'audit');
    const audit = logs.events().find((e) => (e.labelgate as { file?: string }).file === 'worker.csv')!.labelgate as Record<string, unknown>;
    const whole = await classify(FIRST + REST, { delimiter: ',' });
    expect(audit.sensitiveTypes).toEqual(whole.map((r) => ({ id: r.sensitiveTypeId, count: r.count, confidence: r.confidenceLevel })));
    expect(audit.settledAtBytes).toBeLessThanOrEqual(Buffer.byteLength(FIRST));
  });
});

describe('a route minimum above the settled label', () => {
  const dir = tempDir();
  const logs = captureLogs();
  let server: Running;
  const g = gate();
  beforeAll(async () => {
    const { default: express } = await import('express');
    const policy = testPolicy();
    // The only label above the auto labels has no protection here: the minimum can raise to it.
    policy.labels = [...policy.labels.filter((l) => l.name !== 'Protected' && l.name !== 'Secret'), { id: '0b8a3c0e-0000-4000-8000-000000000009', name: 'Restricted', sensitivity: 5 }];
    const app = express();
    app.use(expressLabeling({ labeler: createLabeler({ policy }), logger: logs.logger, tempDir: dir.path }));
    app.get('/hr.csv', labelRoute({ minimumLabel: 'Restricted' }), async (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      await writeInPieces(res, FIRST);
      await g.opened;
      await writeInPieces(res, REST);
      res.end();
    });
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    dir.cleanup();
  });

  it('streams with the minimum label; the audit names the types that settled the evaluated label, without an error', async () => {
    const res = await request(server.port, '/hr.csv', { onHeaders: () => g.open() });
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Restricted');
    await waitFor(() => logs.events().length > 0, 5000, 'audit');
    const audit = logs.events()[0]!.labelgate as Record<string, unknown>;
    expect(audit).toMatchObject({ outcome: 'labeled', labelName: 'Restricted' });
    expect(audit.error).toBeUndefined();
    expect(audit.settledAtBytes).toBeGreaterThan(0);
    expect(audit.responsibleSensitiveTypeIds).toEqual(expect.arrayContaining([SIT.creditCard, SIT.usSsn]));
  });
});

describe('Koa: a streamed body whose label is settled streams the rest', () => {
  const dir = tempDir();
  const logs = captureLogs();
  let server: Running;
  const gates = new Map<string, Gate>();
  const ended = new Set<string>();
  beforeAll(async () => {
    const { default: Koa } = await import('koa');
    const { koaLabeling } = await import('../../src/http/koa.js');
    const app = new Koa();
    app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path }));
    app.use((ctx) => {
      const path = ctx.path;
      const [first, rest] = path === '/clean.csv' ? [CLEAN_FIRST, CLEAN_REST] : [FIRST, REST];
      ctx.type = 'text/csv';
      if (path === '/length.csv') ctx.length = Buffer.byteLength(first + rest);
      const body = new PassThrough();
      ctx.body = body;
      void (async () => {
        const write = async (text: string) => {
          const bytes = Buffer.from(text);
          for (let o = 0; o < bytes.length; o += 16 * KiB) {
            if (!body.write(bytes.subarray(o, o + 16 * KiB))) await new Promise((r) => body.once('drain', r));
          }
        };
        await write(first);
        if (path !== '/clean.csv') await gates.get(path)!.opened;
        await write(rest);
        ended.add(path);
        body.end();
      })();
    });
    server = await listen(app.callback());
  });
  afterAll(async () => {
    await server.close();
    dir.cleanup();
  });

  it.each(['/settles.csv', '/length.csv'])('%s: the label arrives before the app has finished; the audit counts the whole body', async (path) => {
    const g = gate();
    gates.set(path, g);
    let endedBeforeHeaders: boolean | undefined;
    const res = await request(server.port, path, {
      onHeaders: () => {
        endedBeforeHeaders = ended.has(path);
        g.open();
      },
    });
    expect(endedBeforeHeaders).toBe(false);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(res.body.toString('utf8')).toBe(FIRST + REST);
    if (path === '/length.csv') expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(FIRST + REST));
    else expect(res.headers['content-length']).toBeUndefined();
    await waitFor(() => logs.events().some((e) => (e.labelgate as { file?: string }).file === path.slice(1)), 5000, 'audit');
    const audit = logs.events().find((e) => (e.labelgate as { file?: string }).file === path.slice(1))!.labelgate as Record<string, unknown>;
    const whole = await classify(FIRST + REST, { delimiter: ',' });
    expect(audit).toMatchObject({ outcome: 'labeled', labelName: 'Secret', bytesIn: Buffer.byteLength(FIRST + REST), bytesOut: Buffer.byteLength(FIRST + REST) });
    expect(audit.sensitiveTypes).toEqual(whole.map((r) => ({ id: r.sensitiveTypeId, count: r.count, confidence: r.confidenceLevel })));
    expect(audit.settledAtBytes).toBeGreaterThanOrEqual(256 * KiB);
  });

  it('an unsettled body is held whole', async () => {
    const res = await request(server.port, '/clean.csv', { onHeaders: () => expect(ended.has('/clean.csv')).toBe(true) });
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('General');
    expect(res.body.toString('utf8')).toBe(CLEAN_FIRST + CLEAN_REST);
  });
});

describe('review findings: a failing scan after the decision, estimated counts, a burst of rows', () => {
  const dir = tempDir();
  const logs = captureLogs();
  let server: Running;
  const gates = new Map<string, Gate>();
  const thrown: unknown[] = [];
  const customTypes = [{ id: 'aaaaaaaa-0000-4000-8000-000000000009', name: 'Digits then x', pattern: '\\d+x' }];
  const DIGITS = '1'.repeat(1200);
  let emailServer: Running;
  /** 8,000 distinct e-mail addresses: more than the scanner counts exactly (4,096). */
  const EMAILS = HEADER.replace('ssn', 'email') + Array.from({ length: 8000 }, (_, i) => `${i},Customer ${i},,customer${i}@example.com\n`).join('');

  beforeAll(async () => {
    const { default: express } = await import('express');
    const policy = testPolicy();
    // Secret for 6,750 e-mail addresses: only a count beyond the exact range can reach it.
    policy.labels = policy.labels.map((l) =>
      l.name === 'Secret' ? { ...l, autoLabeling: { mode: 'automatic' as const, conditions: [{ sensitiveTypeId: SIT.email, minCount: 6750, minConfidence: 65 }] } } : l,
    );
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, scanInWorker: false }));
    app.get('/budget.csv', labelRoute({ customTypes }), async (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      await writeInPieces(res, FIRST);
      await gates.get('/budget.csv')!.opened;
      try {
        // Long digit runs: the custom pattern goes over its time budget in the rest of the body.
        for (let i = 0; i < 600; i++) if (!res.write(`${i},${DIGITS}\n`)) await new Promise((r) => res.once('drain', r));
        res.end();
      } catch (err) {
        thrown.push(err);
        res.destroy();
      }
    });
    app.get('/burst.csv', (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      // One synchronous burst: the rows that settle the label come after the first attempt (256 KiB).
      for (const line of (HEADER + plainRows(100, 7500) + cardRows(0, 12) + plainRows(20_000, 1000)).split(/(?<=\n)/)) res.write(line);
      void gates.get('/burst.csv')!.opened.then(() => res.end(plainRows(30_000, 100)));
    });
    const emails = express();
    emails.use(expressLabeling({ labeler: createLabeler({ policy }), logger: logs.logger, tempDir: dir.path, scanInWorker: false }));
    emails.get('/emails.csv', async (_req, res) => {
      res.setHeader('content-type', 'text/csv');
      await writeInPieces(res, EMAILS);
      await new Promise((r) => setTimeout(r, 20));
      await writeInPieces(res, EMAILS.slice(HEADER.length + 6));
      res.end();
    });
    server = await listen(app);
    emailServer = await listen(emails);
  });
  afterAll(async () => {
    await server.close();
    await emailServer.close();
    dir.cleanup();
  });

  it('a scanner that fails on the rest (a custom type over its time budget) never throws into res.write: the body goes out whole, the audit says why its counts stop', async () => {
    const g = gate();
    gates.set('/budget.csv', g);
    const res = await request(server.port, '/budget.csv', { onHeaders: () => g.open() });
    expect(thrown).toEqual([]);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    let rest = '';
    for (let i = 0; i < 600; i++) rest += `${i},${DIGITS}\n`;
    expect(res.body.toString('utf8')).toBe(FIRST + rest);
    await waitFor(() => logs.lines().some((l) => (l.labelgate as { file?: string } | undefined)?.file === 'budget.csv'), 10_000, 'audit');
    const line = logs.lines().find((l) => (l.labelgate as { file?: string } | undefined)?.file === 'budget.csv')!;
    expect(line.level).toBe(50);
    expect(line.labelgate).toMatchObject({ outcome: 'labeled', labelName: 'Secret', error: { code: 'CLASSIFY_BUDGET' } });
  }, 20_000);

  it('counts beyond the exact range (an estimate) never settle a label: such a capture is held whole', async () => {
    const res = await request(emailServer.port, '/emails.csv');
    // The complete body (8,000 distinct addresses, an estimate either way) gets what the held path gives it.
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    await waitFor(() => logs.events().some((e) => (e.labelgate as { file?: string }).file === 'emails.csv'), 5000, 'audit');
    const audit = logs.events().find((e) => (e.labelgate as { file?: string }).file === 'emails.csv')!.labelgate as Record<string, unknown>;
    expect(audit.settledAtBytes).toBeUndefined();
  });

  it('rows written in one burst past the first attempt are looked at again at once, not at the next write', async () => {
    const g = gate();
    gates.set('/burst.csv', g);
    const res = await request(server.port, '/burst.csv', { onHeaders: () => g.open() });
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(res.headers['content-length']).toBeUndefined();
  });
});
