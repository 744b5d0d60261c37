/**
 * Koa 3 (+ @koa/router): every body type, pass-through, HEAD/304/206, per-route options, fail
 * modes, client aborts, concurrency, header injection and the audit log.
 */
import { afterAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { Readable } from 'node:stream';
import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import { koaLabeling, labelRoute, type KoaLabelingOptions } from '../../src/http/koa.js';
import { createLabeler } from '../../src/index.js';
import {
  EVIL_NAME,
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
  tempDir,
  testLabeler,
  testPolicy,
  waitFor,
} from './helpers.js';

const CSV = customersCsv(60, { cards: 1, ssns: 1 });
const PLAIN = customersCsv(60);
const BIG = customersCsv(20_000, { cards: 3 });

function labelName(res: { headers: Record<string, unknown> }): string | number | undefined {
  const v = res.headers['sensitivity-label'];
  return typeof v === 'string' ? parseSensitivityLabel(v).name : undefined;
}

function chunksOf(text: string, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < text.length; i += size) out.push(Buffer.from(text.slice(i, i + size)));
  return out;
}

const dir = tempDir();
afterAll(() => dir.cleanup());

function appWith(options: KoaLabelingOptions = {}) {
  const logs = captureLogs();
  const app = new Koa();
  app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, ...options }));
  return { app, logs };
}

describe('Koa: body types', () => {
  const { app, logs } = appWith({ memoryBytes: 4096 });
  const router = new Router();
  router.get('/string.csv', (ctx) => {
    ctx.type = 'text/csv';
    ctx.body = CSV;
  });
  router.get('/buffer', (ctx) => {
    ctx.attachment('export.csv');
    ctx.body = Buffer.from(CSV);
  });
  router.get('/stream.csv', (ctx) => {
    ctx.type = 'csv';
    ctx.body = Readable.from(chunksOf(BIG, 999));
  });
  router.get('/web-stream.csv', (ctx) => {
    ctx.type = 'csv';
    const parts = chunksOf(CSV, 50);
    ctx.body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = parts.shift();
        if (next) controller.enqueue(new Uint8Array(next));
        else controller.close();
      },
    });
  });
  router.get('/blob', (ctx) => {
    ctx.attachment('blob.csv');
    ctx.body = new Blob([CSV], { type: 'text/csv' });
  });
  router.get('/json', (ctx) => {
    ctx.attachment('orders.json');
    ctx.body = { orders: [{ card: PLANTED.cards[0] }] };
  });
  router.get('/response', (ctx) => {
    ctx.body = new Response(CSV, { headers: { 'content-type': 'text/csv' } });
  });
  router.get('/plain.csv', (ctx) => {
    ctx.type = 'csv';
    ctx.body = PLAIN;
  });
  app.use(router.routes());

  it.each([
    ['/string.csv', CSV],
    ['/buffer', CSV],
    ['/stream.csv', BIG],
    ['/web-stream.csv', CSV],
    ['/blob', CSV],
    ['/response', CSV],
  ])('%s: labeled Confidential, byte-identical, exact Content-Length', async (path, expected) => {
    const res = await request(app.callback()).get(path);
    expect(res.status).toBe(200);
    expect(res.text).toBe(expected);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string)).toEqual({ id: LABEL.confidential, name: 'Confidential', sensitivity: 2, method: 'standard' });
    expect(res.headers.msip_labels).toContain(`MSIP_Label_${LABEL.confidential}_SiteId=`);
  });

  it('JSON values sent as attachments are serialized and labeled', async () => {
    const res = await request(app.callback()).get('/json');
    expect(res.body).toEqual({ orders: [{ card: PLANTED.cards[0] }] });
    expect(labelName(res)).toBe('Confidential');
  });

  it('default label for a report without sensitive data; audit uses the router path', async () => {
    const res = await request(app.callback()).get('/plain.csv');
    expect(labelName(res)).toBe('General');
    const event = logs.events().at(-1)!.labelgate as Record<string, unknown>;
    expect(event).toMatchObject({ route: '/plain.csv', labelName: 'General', actionSource: 'default', format: 'csv' });
  });

  it('leaves no temp file behind', async () => {
    await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
  });
});

describe('Koa: pass-through, HEAD, 304, 206', () => {
  const { app, logs } = appWith();
  let release: () => void = () => {};
  app.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/api/orders') ctx.body = { orders: [{ card: PLANTED.cards[1] }] };
    if (ctx.path === '/page') {
      ctx.type = 'html';
      const body = new Readable({ read() {} });
      body.push('<p>first</p>');
      new Promise<void>((r) => (release = r)).then(() => {
        body.push('<p>rest</p>');
        body.push(null);
      });
      ctx.body = body;
    }
    if (ctx.path === '/tagged.csv') {
      ctx.type = 'csv';
      ctx.etag = 'v1';
      ctx.body = CSV;
    }
    if (ctx.path === '/partial.csv') {
      ctx.status = 206;
      ctx.type = 'csv';
      ctx.set('Content-Range', `bytes 0-9/${CSV.length}`);
      ctx.body = CSV.slice(0, 10);
    }
  });

  it('JSON API responses and non-report streams are untouched and not buffered', async () => {
    const api = await request(app.callback()).get('/api/orders');
    expect(api.body).toEqual({ orders: [{ card: PLANTED.cards[1] }] });
    expect(api.headers['sensitivity-label']).toBeUndefined();
    const server = await listen(app.callback());
    try {
      const page = await get(server.port, '/page', { onFirstByte: () => release() });
      expect(page.body.toString()).toBe('<p>first</p><p>rest</p>');
    } finally {
      await server.close();
    }
    expect(logs.events()).toEqual([]);
  });

  it('HEAD is untouched', async () => {
    const res = await request(app.callback()).head('/tagged.csv');
    expect(res.status).toBe(200);
    expect(res.headers['sensitivity-label']).toBeUndefined();
  });

  it('labeled ETag, and 304 only for it', async () => {
    const first = await request(app.callback()).get('/tagged.csv');
    expect(first.headers.etag).toMatch(/^W\/"lg-/);
    const again = await request(app.callback()).get('/tagged.csv').set('If-None-Match', first.headers.etag as string);
    expect(again.status).toBe(304);
    const stale = await request(app.callback()).get('/tagged.csv').set('If-None-Match', '"v1"');
    expect(stale.status).toBe(200);
    expect(stale.text).toBe(CSV);
  });

  it('a 206 for a report is refused (closed): 416 problem, no bytes', async () => {
    const res = await request(app.callback()).get('/partial.csv');
    expect(res.status).toBe(416);
    expect(res.body).toMatchObject({ code: 'PARTIAL_CONTENT' });
    expect(res.headers['content-range']).toBeUndefined();
  });
});

describe('Koa: @koa/router labelRoute', () => {
  it('refines the global middleware per route', async () => {
    const { app } = appWith();
    const router = new Router();
    router.get('/hr/export.csv', labelRoute({ minimumLabel: 'Confidential' }), (ctx) => {
      ctx.type = 'csv';
      ctx.body = PLAIN;
    });
    router.get('/public.csv', labelRoute({ label: 'Public' }), (ctx) => {
      ctx.type = 'csv';
      ctx.body = CSV;
    });
    router.get('/raw.csv', labelRoute({ enabled: false }), (ctx) => {
      ctx.type = 'csv';
      ctx.body = CSV;
    });
    const many = `card\n${luhnCards(11).join('\n')}\n`;
    router.get('/banner.csv', labelRoute({ banner: true }), (ctx) => {
      ctx.type = 'csv';
      ctx.body = many;
    });
    app.use(router.routes());
    expect(labelName(await request(app.callback()).get('/hr/export.csv'))).toBe('Confidential');
    expect(labelName(await request(app.callback()).get('/public.csv'))).toBe('Public');
    expect(labelName(await request(app.callback()).get('/raw.csv'))).toBeUndefined();
    const banner = await request(app.callback()).get('/banner.csv');
    expect(banner.text).toBe(`SECRET - internal only\n${many}`);
    expect(banner.headers['content-length']).toBe(String(Buffer.byteLength(banner.text)));
  });

  it('works on its own', async () => {
    const app = new Koa();
    const router = new Router();
    router.get('/solo.csv', labelRoute({ labeler: testLabeler(), tempDir: dir.path, logger: captureLogs().logger }), (ctx) => {
      ctx.type = 'csv';
      ctx.body = CSV;
    });
    app.use(router.routes());
    expect(labelName(await request(app.callback()).get('/solo.csv'))).toBe('Confidential');
  });
});

describe('Koa: fail modes', () => {
  function bigApp(options: KoaLabelingOptions) {
    const { app, logs } = appWith({ maxBytes: 64 * 1024, memoryBytes: 16 * 1024, ...options });
    app.use((ctx) => {
      ctx.type = 'csv';
      ctx.length = Buffer.byteLength(BIG);
      ctx.body = Readable.from(chunksOf(BIG, 4096));
    });
    return { app, logs };
  }

  it('closed: 507 problem, no bytes', async () => {
    const { app, logs } = bigApp({});
    const res = await request(app.callback()).get('/big.csv');
    expect(res.status).toBe(507);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.text).not.toContain('Customer');
    await waitFor(() => logs.events().length === 1, 3000, 'audit');
    expect(logs.events()[0]!.level).toBe(50);
  });

  it('open: original bytes with Sensitivity-Label-Status: unlabeled', async () => {
    const { app, logs } = bigApp({ failMode: 'open' });
    const res = await request(app.callback()).get('/big.csv');
    expect(res.status).toBe(200);
    expect(res.text).toBe(BIG);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(BIG)));
    expect(res.headers['sensitivity-label-status']).toBe('unlabeled');
    await waitFor(() => logs.events().length === 1, 3000, 'audit');
    expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'unlabeled', error: { code: 'SIZE_LIMIT' } });
  });

  it('label: fail-safe label, original bytes', async () => {
    const { app } = bigApp({ failMode: 'label', failSafeLabel: 'Secret' });
    const res = await request(app.callback()).get('/big.csv');
    expect(res.text).toBe(BIG);
    expect(labelName(res)).toBe('Secret');
    expect(res.headers['sensitivity-label-status']).toBe('fail-safe');
  });

  it('policy unavailable: 503 closed, fail-safe label in label mode', async () => {
    const labeler = createLabeler({ engine: new UnreachableGraphEngine(testPolicy()) });
    for (const [options, status] of [
      [{ labeler }, 503],
      [{ labeler, failMode: 'label', failSafeLabel: 'Confidential' }, 200],
    ] as const) {
      const { app } = appWith(options);
      app.use((ctx) => {
        ctx.type = 'csv';
        ctx.body = CSV;
      });
      const res = await request(app.callback()).get('/x.csv');
      expect(res.status).toBe(status);
      if (status === 200) expect(labelName(res)).toBe('Confidential');
      else expect(res.body.code).toBe('GRAPH_UNAVAILABLE');
    }
  });

  it("a stream error is the app's error (500 from Koa), with the temp file removed", async () => {
    const { app } = appWith({ memoryBytes: 1024 });
    app.silent = true;
    app.use((ctx) => {
      ctx.type = 'csv';
      ctx.body = Readable.from(
        (async function* () {
          yield Buffer.from(BIG.slice(0, 50_000));
          throw new Error('database cursor failed');
        })(),
      );
    });
    const res = await request(app.callback()).get('/x.csv');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('Customer');
    await waitFor(() => dir.files().length === 0, 3000, 'temp file removed');
  });
});

describe('Koa: aborts, concurrency, header safety, audit', () => {
  it('client abort during capture: temp file removed, aborted event, server fine', async () => {
    const { app, logs } = appWith({ memoryBytes: 1024 });
    let produced = 0;
    app.use((ctx) => {
      ctx.type = 'csv';
      ctx.body = new Readable({
        read() {
          setTimeout(() => {
            produced++;
            this.push(`${produced},${PLANTED.ssns[0]},row\n`.repeat(50));
          }, 2);
        },
      });
    });
    const server = await listen(app.callback());
    try {
      const req = http.get({ port: server.port, host: '127.0.0.1', path: '/export.csv' });
      req.on('error', () => {});
      await waitFor(() => produced > 20 && dir.files().length === 1, 3000, 'spill');
      req.destroy();
      await waitFor(() => dir.files().length === 0, 3000, 'temp file removed');
      await waitFor(() => logs.events().length === 1, 3000, 'audit');
      expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'aborted' });
      const count = produced;
      await new Promise((r) => setTimeout(r, 50));
      expect(produced - count).toBeLessThanOrEqual(1);
    } finally {
      await server.close();
    }
  });

  it('concurrent downloads', async () => {
    const { app } = appWith({ memoryBytes: 2048 });
    const bodies = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? customersCsv(80 + i, { cards: 1 }) : customersCsv(80 + i)));
    app.use((ctx) => {
      const i = Number(ctx.path.slice(1));
      ctx.attachment(`r${i}.csv`);
      ctx.body = Readable.from(chunksOf(bodies[i]!, 300));
    });
    const results = await Promise.all(bodies.map((_, i) => request(app.callback()).get(`/${i}`)));
    results.forEach((res, i) => {
      expect(res.text).toBe(bodies[i]);
      expect(labelName(res)).toBe(i % 2 === 0 ? 'Confidential' : 'General');
    });
    await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
  });

  it('label names cannot inject headers', async () => {
    const logs = captureLogs();
    const app = new Koa();
    app.use(koaLabeling({ labeler: testLabeler({ confidentialName: EVIL_NAME }), logger: logs.logger, tempDir: dir.path }));
    app.use((ctx) => {
      ctx.type = 'csv';
      ctx.body = CSV;
    });
    const server = await listen(app.callback());
    try {
      const res = await get(server.port, '/x.csv');
      expect(res.headers['x-injected']).toBeUndefined();
      expect(res.headers['sensitivity-label']).toMatch(/^[\x20-\x7e]*$/);
      expect(labelName(res)).toBe(EVIL_NAME);
    } finally {
      await server.close();
    }
  });

  it('audit: user from ctx.state.user, request id, no planted value in the log', async () => {
    const { app, logs } = appWith();
    app.use(async (ctx, next) => {
      ctx.state.user = { email: 'erin@contoso.example' };
      await next();
    });
    app.use((ctx) => {
      ctx.attachment('everything.csv');
      ctx.body = `${allPlanted().join(';')}\n${CSV}`;
    });
    await request(app.callback()).get('/x').set('x-request-id', 'koa-1');
    const event = logs.events()[0]!.labelgate as Record<string, unknown>;
    expect(event).toMatchObject({ user: 'erin@contoso.example', requestId: 'koa-1', file: 'everything.csv', labelName: 'Confidential' });
    for (const value of allPlanted()) expect(logs.text()).not.toContain(value);
  });
});
