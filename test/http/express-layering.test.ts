/**
 * How labelgate sits among other response wrappers: an outer wrapper registered before it (the
 * `compression` position) sees the labeled bytes; inner wrappers run before the capture; mounted
 * sub-apps (which swap the response prototype), even of another Express copy, stay covered.
 */
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import type { RequestHandler } from 'express';
import request from 'supertest';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { EXPRESS_VERSIONS, captureLogs, isHooked, luhnCards, parseSensitivityLabel, tempDir, testLabeler } from './helpers.js';

const dir = tempDir();
afterAll(() => dir.cleanup());
const MANY = `card\n${luhnCards(12).join('\n')}\n`;

/** A wrapper in the style of `compression`: own write/end properties, records what passes through. */
function recordingWrapper(seen: string[]): RequestHandler {
  return (_req, res, next) => {
    const write = res.write;
    const end = res.end;
    res.write = function (this: typeof res, chunk: unknown, ...rest: unknown[]) {
      if (chunk) seen.push(String(chunk));
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    res.end = function (this: typeof res, chunk?: unknown, ...rest: unknown[]) {
      if (chunk && typeof chunk !== 'function') seen.push(String(chunk));
      return (end as (...a: unknown[]) => typeof res).call(this, chunk, ...rest);
    } as typeof res.end;
    next();
  };
}

describe.each(EXPRESS_VERSIONS)('%s: layering', (_name, express) => {
  const options = () => ({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path });

  it('an outer wrapper (registered before) sees the labeled bytes, banner included', async () => {
    const seen: string[] = [];
    const app = express();
    app.use(recordingWrapper(seen));
    app.use(expressLabeling(options()));
    app.get('/r.csv', labelRoute({ banner: true }), (_req, res) => {
      res.type('csv').send(MANY);
    });
    const res = await request(app).get('/r.csv');
    expect(res.text).toBe(`SECRET - internal only\n${MANY}`);
    expect(seen.join('')).toBe(res.text);
  });

  it('an inner wrapper (registered after) transforms the body before it is captured', async () => {
    const app = express();
    app.use(expressLabeling(options()));
    app.use((_req, res, next) => {
      const end = res.end;
      res.end = function (this: typeof res, chunk?: unknown, ...rest: unknown[]) {
        return (end as (...a: unknown[]) => typeof res).call(this, typeof chunk === 'string' ? chunk.replace(/\d{16}/g, 'XXXX') : chunk, ...rest);
      } as typeof res.end;
      next();
    });
    app.get('/r.csv', (_req, res) => {
      res.type('csv').end(MANY);
    });
    const res = await request(app).get('/r.csv');
    expect(res.text).not.toMatch(/\d{16}/);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('General');
  });

  it.each(EXPRESS_VERSIONS)('a mounted %s sub-app is covered', async (_sub, subExpress) => {
    const app = express();
    app.use(expressLabeling(options()));
    const sub = subExpress();
    sub.get('/r.csv', (_req, res) => {
      res.type('csv').send(MANY);
    });
    app.use('/sub', sub);
    const res = await request(app).get('/sub/r.csv');
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(res.text).toBe(MANY);
  });

  it('a mounted sub-app is covered when an outer wrapper forces own-property interception', async () => {
    const app = express();
    app.use(recordingWrapper([]));
    app.use(expressLabeling(options()));
    const sub = express();
    sub.get('/r.csv', (_req, res) => {
      res.type('csv').send(MANY);
    });
    app.use('/sub', sub);
    const res = await request(app).get('/sub/r.csv');
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
  });

  it.each(EXPRESS_VERSIONS)('an app of %s called as a plain handler (not mounted with app.use) is covered', async (_sub, subExpress) => {
    const app = express();
    app.use(expressLabeling(options()));
    const viaRouter = subExpress();
    viaRouter.get('/r.csv', (_req, res) => {
      res.type('csv').send(MANY);
    });
    const asHandler = subExpress();
    asHandler.use((_req, res) => {
      res.type('csv').send(MANY);
    });
    const router = express.Router();
    router.use(viaRouter as unknown as RequestHandler);
    app.use('/router', router);
    app.get('/handler.csv', asHandler as unknown as RequestHandler);
    for (const path of ['/router/r.csv', '/handler.csv']) {
      const res = await request(app).get(path);
      expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name, path).toBe('Secret');
      expect(res.text).toBe(MANY);
    }
  });
});

const SR_PROTO = http.ServerResponse.prototype;
const LAYER = Symbol.for('labelgate.responseLayer.v1');
const ownHooks = (res: object) => ['writeHead', 'write', 'end'].filter((k) => Object.prototype.hasOwnProperty.call(res, k));

describe.each(EXPRESS_VERSIONS)('%s: how a response is hooked', (_name, express) => {
  const options = () => ({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path });

  it("by default through one gated layer beneath Express's response object: nothing is stored on the response", async () => {
    const seen: { own: string[]; registered: boolean }[] = [];
    const app = express();
    app.use(expressLabeling(options()));
    app.get('/r.csv', (_req, res) => {
      res.type('csv').send(MANY);
      seen.push({ own: ownHooks(res), registered: isHooked(res) });
    });
    const res = await request(app).get('/r.csv');
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(seen).toEqual([{ own: [], registered: true }]);
    // The chain: app.response → Express's response → labelgate's layer → http.ServerResponse.prototype.
    const expressResponse = Object.getPrototypeOf(app.response) as object;
    const layer = Object.getPrototypeOf(expressResponse) as Record<symbol, unknown>;
    expect(layer[LAYER]).toBe(true);
    expect(Object.getPrototypeOf(layer)).toBe(SR_PROTO);
  });

  it('the layer is inert for apps without labelgate: same bytes, same headers, no registration', async () => {
    const labeled = express();
    labeled.use(expressLabeling(options()));
    labeled.get('/r.csv', (_req, res) => res.type('csv').send(MANY));
    await request(labeled).get('/r.csv'); // the layer is in place from here on
    const registered: boolean[] = [];
    const other = express();
    other.get('/r.csv', (_req, res) => {
      res.type('csv');
      res.write(MANY.slice(0, 10));
      res.end(MANY.slice(10));
      registered.push(isHooked(res));
    });
    const res = await request(other).get('/r.csv');
    expect(res.headers['sensitivity-label']).toBeUndefined();
    expect(res.headers['msip_labels']).toBeUndefined();
    expect(res.text).toBe(MANY);
    expect(registered).toEqual([false]);
  });

  it("from a server's second request on, responses are created with labelgate's property (its slot); the server's listeners are untouched", async () => {
    const SLOT = Symbol.for('labelgate.interceptor');
    const seen: { slotBeforeApp: boolean; hooked: boolean; isServerResponse: boolean; name: string }[] = [];
    const app = express();
    // What every response looks like when Express hands it to the app (before any middleware).
    app.use((_req, res, next) => {
      seen.push({ slotBeforeApp: Object.prototype.hasOwnProperty.call(res, SLOT), hooked: false, isServerResponse: res instanceof http.ServerResponse, name: res.constructor.name });
      next();
    });
    app.use(expressLabeling(options()));
    app.use(expressLabeling(options())); // a second middleware on the same server changes nothing more
    app.get('/r.csv', (_req, res) => {
      seen[seen.length - 1]!.hooked = isHooked(res);
      res.type('csv').send(MANY);
    });
    app.get('/api', (_req, res) => {
      res.json({ ok: true });
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const first = await request(server).get('/r.csv');
      expect(parseSensitivityLabel(first.headers['sensitivity-label'] as string).name).toBe('Secret');
      expect(server.listeners('request')).toEqual([app]);
      for (let i = 0; i < 2; i++) {
        const r = await request(server).get('/r.csv');
        expect(parseSensitivityLabel(r.headers['sensitivity-label'] as string).name).toBe('Secret');
        expect(r.text).toBe(MANY);
      }
      // Code that takes "the app" as the server's first request listener and wraps it still gets the app.
      const orig = server.listeners('request')[0] as (req: unknown, res: unknown) => void;
      server.removeAllListeners('request');
      server.on('request', (req, res) => orig(req, res));
      const wrapped = await request(server).get('/r.csv');
      expect(parseSensitivityLabel(wrapped.headers['sensitivity-label'] as string).name).toBe('Secret');
      const json = await request(server).get('/api');
      expect(json.body).toEqual({ ok: true });
      expect(json.headers['sensitivity-label']).toBeUndefined();
      // The first response got the property the slow way (added after Express swapped its
      // prototype); every later one was created with it, and was labeled all the same.
      expect(seen.map((x) => x.slotBeforeApp)).toEqual([false, true, true, true, true]);
      expect(seen.slice(0, 4).map((x) => x.hooked)).toEqual([true, true, true, true]);
      expect(seen.every((x) => x.isServerResponse && x.name === 'ServerResponse')).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a server created with its own response class keeps it (and the plain property add)', async () => {
    class AppResponse extends http.ServerResponse {}
    const made: boolean[] = [];
    const app = express();
    app.use(expressLabeling(options()));
    app.get('/r.csv', (_req, res) => {
      made.push(isHooked(res));
      res.type('csv').send(MANY);
    });
    const server = http.createServer({ ServerResponse: AppResponse }, app);
    const classes: unknown[] = [];
    server.prependListener('request', (_req, res) => classes.push(res.constructor));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      for (let i = 0; i < 2; i++) {
        const r = await request(server).get('/r.csv');
        expect(parseSensitivityLabel(r.headers['sensitivity-label'] as string).name).toBe('Secret');
      }
      expect(classes).toEqual([AppResponse, AppResponse]);
      expect(made).toEqual([true, true]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("responseHooks: 'per-response' wraps the response itself and leaves Express's prototypes alone", async () => {
    const seen: string[][] = [];
    const app = express();
    app.use(expressLabeling({ ...options(), responseHooks: 'per-response' }));
    app.get('/r.csv', (_req, res, next) => {
      seen.push(ownHooks(res));
      next();
    }, (_req, res) => res.type('csv').send(MANY));
    const res = await request(app).get('/r.csv');
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(seen).toEqual([['writeHead', 'write', 'end']]);
    expect(() => expressLabeling({ ...options(), responseHooks: 'global' as never })).toThrow(/responseHooks/);
  });

  it('an app that defines its own res.end on app.response gets own-property wrappers (its end may not call down the chain)', async () => {
    const seen: string[][] = [];
    const app = express();
    const below = Object.getPrototypeOf(app.response) as { end: (...a: unknown[]) => unknown };
    (app.response as unknown as Record<string, unknown>).end = function (this: unknown, ...args: unknown[]) {
      return below.end.apply(this, args);
    };
    app.use(expressLabeling(options()));
    app.get('/r.csv', (_req, res, next) => {
      seen.push(ownHooks(res));
      next();
    }, (_req, res) => res.type('csv').send(MANY));
    const res = await request(app).get('/r.csv');
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(seen).toEqual([['writeHead', 'write', 'end']]);
  });
});
