/**
 * `labelRoute` reaching the middleware:
 * - across the two builds of the dual package (ESM `expressLabeling` with the CommonJS
 *   `labelRoute`, and the reverse; Koa too): the route's options apply, they are not dropped;
 * - a label the middleware's policy does not have (a typo) is a configuration error on the route's
 *   first request: LABEL_NOT_FOUND naming the route and the labels there are, logged once, thrown
 *   to the app's error handling on every request of the route; never a fallback to other labels.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { koaLabeling, labelRoute as koaLabelRoute } from '../../src/http/koa.js';
import { EXPRESS_VERSIONS, captureLogs, parseSensitivityLabel, tempDir, testPolicy } from './helpers.js';

type ExpressModule = typeof import('../../src/http/express.js');
type KoaModule = typeof import('../../src/http/koa.js');

const require = createRequire(import.meta.url);
// Variable specifiers: type-checking must not need dist/ (it is built after the typecheck).
const expressSpecifier = 'labelgate/express';
const koaSpecifier = 'labelgate/koa';
const builds = {
  express: { cjs: require(expressSpecifier) as ExpressModule, esm: (await import(expressSpecifier)) as ExpressModule },
  koa: { cjs: require(koaSpecifier) as KoaModule, esm: (await import(koaSpecifier)) as KoaModule },
};

const dir = tempDir();
afterAll(() => dir.cleanup());

function labelName(res: { headers: Record<string, unknown> }): unknown {
  const v = res.headers['sensitivity-label'];
  return typeof v === 'string' ? parseSensitivityLabel(v).name : undefined;
}

const CSV = 'a,b\n1,2\n';

describe('the dual package: labelRoute of one build refines the middleware of the other', () => {
  it('the two builds really are two copies', () => {
    expect(builds.express.cjs.labelRoute).not.toBe(builds.express.esm.labelRoute);
    expect(builds.koa.cjs.labelRoute).not.toBe(builds.koa.esm.labelRoute);
  });

  describe.each(EXPRESS_VERSIONS)('%s', (_name, express) => {
    it.each([
      ['ESM middleware, CJS labelRoute', 'esm', 'cjs'],
      ['CJS middleware, ESM labelRoute', 'cjs', 'esm'],
    ] as const)('%s', async (_label, middlewareBuild, routeBuild) => {
      const logs = captureLogs();
      const a = express();
      a.use(builds.express[middlewareBuild].expressLabeling({ policy: testPolicy(), logger: logs.logger, tempDir: dir.path }));
      a.get('/fixed.csv', builds.express[routeBuild].labelRoute({ label: 'Secret' }), (_req, res) => {
        res.type('csv').send(CSV);
      });
      a.get('/off.csv', builds.express[routeBuild].labelRoute({ enabled: false }), (_req, res) => {
        res.type('csv').send(CSV);
      });
      const fixed = await request(a).get('/fixed.csv');
      expect(fixed.status).toBe(200);
      expect(labelName(fixed)).toBe('Secret');
      const off = await request(a).get('/off.csv');
      expect(off.headers['sensitivity-label']).toBeUndefined();
      expect(off.text).toBe(CSV);
    });
  });

  it.each([
    ['ESM middleware, CJS labelRoute', 'esm', 'cjs'],
    ['CJS middleware, ESM labelRoute', 'cjs', 'esm'],
  ] as const)('Koa: %s', async (_label, middlewareBuild, routeBuild) => {
    const logs = captureLogs();
    const a = new Koa();
    a.use(builds.koa[middlewareBuild].koaLabeling({ policy: testPolicy(), logger: logs.logger, tempDir: dir.path }));
    const router = new Router();
    router.get('/fixed.csv', builds.koa[routeBuild].labelRoute({ label: 'Secret' }), (ctx) => {
      ctx.type = 'text/csv';
      ctx.body = CSV;
    });
    a.use(router.routes());
    const res = await request(a.callback()).get('/fixed.csv');
    expect(res.status).toBe(200);
    expect(labelName(res)).toBe('Secret');
    // Labeled once: by the middleware, with the middleware's policy and logger.
    expect(logs.events()).toHaveLength(1);
  });

  /** GET /r.csv through a labelRoute, after `leave` put another labelgate's target where it would; the app's error handler answers. */
  async function labelRouteAfter(leave: (req: object, res: object) => void): Promise<{ status: number; errors: unknown[] }> {
    const express = EXPRESS_VERSIONS[0]![1];
    const errors: unknown[] = [];
    const a = express();
    a.use((req, res, next) => {
      leave(req, res);
      next();
    });
    a.get('/r.csv', labelRoute({ label: 'Secret' }), (_req, res) => {
      res.type('csv').send(CSV);
    });
    a.use((err: unknown, _req: unknown, res: { status(n: number): { end(s: string): void } }, _next: unknown) => {
      errors.push(err);
      res.status(500).end('error');
    });
    const res = await request(a).get('/r.csv');
    return { status: res.status, errors };
  }

  it('a labelRoute facing a middleware of an unknown route protocol says so instead of dropping its options', async () => {
    // What a future labelgate version's middleware would leave on a response it defers.
    const { status, errors } = await labelRouteAfter((_req, res) => {
      Object.defineProperty(res, Symbol.for('labelgate.interceptor'), { value: { mode: 'deferred', viaPrototype: false, routeTarget: { version: 99, refine() {} } } });
    });
    expect(status).toBe(500);
    expect(errors[0]).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/route protocol 99/) });
  });

  it('a labelRoute facing an older middleware (protocol 1 deferred on the request) says so instead of labeling with another policy', async () => {
    const { status, errors } = await labelRouteAfter((req) => {
      Object.defineProperty(req, Symbol.for('labelgate.route'), { value: { version: 1, refine() {} } });
    });
    expect(status).toBe(500);
    expect(errors[0]).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/route protocol 1\b/) });
  });
});

function configEvents(logs: ReturnType<typeof captureLogs>) {
  return logs.events().filter((e) => (e.labelgate as { event?: string }).event === 'labelgate.config');
}

describe.each(EXPRESS_VERSIONS)('%s: a label the policy does not have', (_name, express) => {
  function app(routeOptions: Parameters<typeof labelRoute>[0]) {
    const logs = captureLogs();
    const errors: unknown[] = [];
    let handled = 0;
    const a = express();
    a.use(expressLabeling({ policy: testPolicy(), logger: logs.logger, tempDir: dir.path }));
    a.get('/hr.csv', labelRoute(routeOptions), (_req, res) => {
      handled++;
      res.type('csv').send(CSV);
    });
    a.use((err: unknown, _req: unknown, res: { status(n: number): { end(s: string): void } }, _next: unknown) => {
      errors.push(err);
      res.status(500).end('misconfigured');
    });
    return { app: a, logs, errors, handled: () => handled };
  }

  it.each([
    ['minimumLabel', { minimumLabel: 'Confidental' }, 'Confidental'],
    ['label', { label: 'Top Secret' }, 'Top Secret'],
    ['label (an id)', { label: '0b8a3c0e-0000-4000-8000-0000000000ff' }, '0b8a3c0e-0000-4000-8000-0000000000ff'],
  ])('%s: LABEL_NOT_FOUND on every request, naming the route and the labels; logged once', async (key, options, value) => {
    const { app: a, logs, errors, handled } = app(options);
    for (let i = 0; i < 2; i++) {
      const res = await request(a).get('/hr.csv');
      expect(res.status).toBe(500);
      expect(res.text).toBe('misconfigured');
    }
    expect(handled()).toBe(0);
    expect(errors).toHaveLength(2);
    const err = errors[0] as { code: string; message: string };
    expect(err.code).toBe('LABEL_NOT_FOUND');
    expect(err.message).toContain(`labelRoute options (route GET /hr.csv).${key.split(' ')[0]}: "${value}" is not a label of the policy`);
    expect(err.message).toContain('labels: "Public", "General", "Confidential", "Secret", "Protected"');
    const config = configEvents(logs);
    expect(config).toHaveLength(1);
    expect(config[0]!.labelgate).toMatchObject({ error: { code: 'LABEL_NOT_FOUND' } });
    // No download was attempted, so no download was audited.
    expect(logs.events()).toHaveLength(1);
  });

  it('a label of the middleware\'s policy (not of the embedded default policy) is accepted', async () => {
    const { app: a, errors } = app({ label: 'Secret' });
    const res = await request(a).get('/hr.csv');
    expect(labelName(res)).toBe('Secret');
    expect(errors).toEqual([]);
  });

  it('standalone labelRoute (no middleware) checks against its own labeler', async () => {
    const { createLabeler } = await import('../../src/index.js');
    const errors: unknown[] = [];
    const a = express();
    const logs = captureLogs();
    a.get('/hr.csv', labelRoute({ labeler: createLabeler({ policy: testPolicy() }), logger: logs.logger, minimumLabel: 'Confidental' }), (_req, res) => {
      res.type('csv').send(CSV);
    });
    a.use((err: unknown, _req: unknown, res: { status(n: number): { end(s: string): void } }, _next: unknown) => {
      errors.push(err);
      res.status(500).end('misconfigured');
    });
    expect((await request(a).get('/hr.csv')).status).toBe(500);
    expect(errors[0]).toMatchObject({ code: 'LABEL_NOT_FOUND' });
    expect(configEvents(logs)).toHaveLength(1);
  });
});

describe('Koa: a label the policy does not have', () => {
  it('LABEL_NOT_FOUND to Koa\'s error handling, logged once', async () => {
    const logs = captureLogs();
    const errors: unknown[] = [];
    const a = new Koa();
    a.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        errors.push(err);
        ctx.status = 500;
        ctx.body = 'misconfigured';
      }
    });
    a.use(koaLabeling({ policy: testPolicy(), logger: logs.logger, tempDir: dir.path }));
    const router = new Router();
    router.get('/hr.csv', koaLabelRoute({ minimumLabel: 'Confidental' }), (ctx) => {
      ctx.type = 'text/csv';
      ctx.body = CSV;
    });
    a.use(router.routes());
    for (let i = 0; i < 2; i++) expect((await request(a.callback()).get('/hr.csv')).status).toBe(500);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'LABEL_NOT_FOUND', message: expect.stringContaining('(route GET /hr.csv).minimumLabel: "Confidental"') });
    expect(configEvents(logs)).toHaveLength(1);
  });
});
