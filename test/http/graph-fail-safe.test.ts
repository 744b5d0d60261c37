/**
 * `failMode: 'label'` on a Microsoft 365 tenant (the Graph emulator) while Graph is down: the
 * fail-safe label is applied from the cached label policy — headers, `msip_labels` and the MSIP
 * metadata inside PDF and XLSX files, no markings — and audited as `fail-safe` from the `cache`
 * with the original error. Without a cached policy or a known tenant id it fails closed, saying
 * why; an existing higher label is kept; routes without the fail-safe label still fail closed.
 * Express and Koa, real apps under supertest; nothing of labelgate is mocked.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestListener } from 'node:http';
import express from 'express';
import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import { expressLabeling } from '../../src/http/express.js';
import { koaLabeling } from '../../src/http/koa.js';
import type { Labeler } from '../../src/labeler.js';
import type { GraphOptions } from '../../src/graph/options.js';
import { createLabeler } from '../../src/index.js';
import { bufferBody } from '../../src/formats/body.js';
import { handlerById } from '../../src/formats/registry.js';
import { DEFAULT_FORMAT_LIMITS } from '../../src/formats/types.js';
import { parseMsipHeader, parseMsipMetadata, type MsipLabelEntry } from '../../src/evaluate/msip.js';
import { GraphEmulator } from '../graph-emulator/server.js';
import { CONTOSO_POLICY, CONTOSO_SITE_ID, LABEL } from '../graph-emulator/tenant.js';
import { staticCredential } from '../graph/helpers.js';
import { CARD, pdfkitFile, xlsxShared } from '../helpers/documents.js';
import { captureLogs, luhnCards, parseSensitivityLabel, tempDir, waitFor, type LogCapture } from './helpers.js';

/** labelPolicySettings.id that is not the tenant id: the tenant id must come from elsewhere. */
const POLICY_ID = '9d8c7b6a-5f4e-4d3c-8b2a-190817263544';
const FAIL_SAFE = 'Confidential - All Employees';
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface File {
  type: string;
  bytes: Buffer;
}

const files = new Map<string, File>();
const dir = tempDir();

beforeAll(async () => {
  const pdf = await pdfkitFile([['Payroll export', `Card ${CARD}`]]);
  files.set('report.pdf', { type: 'application/pdf', bytes: pdf });
  files.set('report.xlsx', { type: XLSX_TYPE, bytes: await xlsxShared([['Payroll export', 'card'], ['Alice', CARD]]) });
  // Files that already carry a Contoso label, stamped while Graph was fine (same policy, locally).
  const contoso = createLabeler({ policy: CONTOSO_POLICY });
  files.set('finance.pdf', { type: 'application/pdf', bytes: (await contoso.stamp(pdf, { filename: 'finance.pdf', label: 'Confidential - Finance' })).body });
  files.set('public.pdf', { type: 'application/pdf', bytes: (await contoso.stamp(pdf, { filename: 'public.pdf', label: 'Public' })).body });
});
afterAll(() => dir.cleanup());

/** `report-<n>.csv`: n distinct card numbers, so every n is a new evaluation (no cached answer). */
function fileFor(name: string): File | undefined {
  const csv = /^report-(\d+)\.csv$/.exec(name);
  if (csv) return { type: 'text/csv', bytes: Buffer.from(`name,card\n${luhnCards(Number(csv[1])).map((c, i) => `Payroll ${i},${c}`).join('\n')}\n`) };
  return files.get(name);
}

interface TestApp {
  handler: RequestListener;
  logs: LogCapture;
  labeler: Labeler;
}

type Options = { graph?: Partial<GraphOptions> };

/** `/safe/*` has the fail-safe label; `/strict/*` fails closed (the default). */
function labelingOptions(emulator: GraphEmulator, logs: LogCapture, options: Options) {
  return {
    graph: {
      credential: staticCredential(),
      baseUrl: emulator.baseUrl,
      timeoutMs: 300,
      retry: { maxRetries: 1, maxWaitMs: 300 },
      circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 },
      logger: logs.logger,
      ...options.graph,
    },
    logger: logs.logger,
    tempDir: dir.path,
    routes: [{ path: '/safe/*', failMode: 'label' as const, failSafeLabel: FAIL_SAFE }],
  };
}

const FRAMEWORKS: [string, (emulator: GraphEmulator, options: Options) => TestApp][] = [
  [
    'Express',
    (emulator, options) => {
      const logs = captureLogs();
      const app = express();
      const labeling = expressLabeling(labelingOptions(emulator, logs, options));
      app.use(labeling);
      app.get(['/safe/:file', '/strict/:file'], (req, res) => {
        const name = String(req.params.file);
        const file = fileFor(name);
        if (!file) return void res.sendStatus(404);
        res.attachment(name).type(file.type).send(file.bytes);
      });
      return { handler: app, logs, labeler: labeling.labeler };
    },
  ],
  [
    'Koa',
    (emulator, options) => {
      const logs = captureLogs();
      const app = new Koa();
      const labeling = koaLabeling(labelingOptions(emulator, logs, options));
      const router = new Router();
      const send = (ctx: Koa.ParameterizedContext & { params: Record<string, string> }) => {
        const file = fileFor(ctx.params.file!);
        if (!file) return;
        ctx.attachment(ctx.params.file!);
        ctx.type = file.type;
        ctx.body = file.bytes;
      };
      router.get('/safe/:file', send);
      router.get('/strict/:file', send);
      app.use(labeling);
      app.use(router.routes());
      return { handler: app.callback(), logs, labeler: labeling.labeler };
    },
  ],
];

function binary(test: request.Test): request.Test {
  return test.buffer(true).parse((res, cb) => {
    const parts: Buffer[] = [];
    res.on('data', (c: Buffer) => parts.push(c));
    res.on('end', () => cb(null, Buffer.concat(parts)));
  });
}

async function labelsInside(bytes: Buffer, format: 'pdf' | 'xlsx'): Promise<MsipLabelEntry[]> {
  return parseMsipMetadata(await handlerById(format)!.readLabel(bufferBody(bytes), { limits: DEFAULT_FORMAT_LIMITS }));
}

function headerLabels(res: request.Response): MsipLabelEntry[] {
  return parseMsipMetadata(parseMsipHeader(res.headers.msip_labels as string));
}

/** The audit event of the n-th download (written on 'finish', which may follow the client's read). */
async function auditEvent(logs: LogCapture, n: number): Promise<Record<string, unknown>> {
  await waitFor(() => logs.events().length >= n, 3000, `audit event ${n}`);
  return logs.events()[n - 1]!.labelgate as Record<string, unknown>;
}

/** The fail-safe label as Graph-less metadata: Contoso's tenant, standard, no markings. */
function expectFailSafeEntry(entries: MsipLabelEntry[]): void {
  const ours = entries.filter((e) => e.siteId === CONTOSO_SITE_ID);
  expect(ours).toHaveLength(1);
  expect(ours[0]).toMatchObject({ labelId: LABEL.confidentialAll, enabled: true, siteId: CONTOSO_SITE_ID, method: 'Standard', name: FAIL_SAFE, contentBits: 0 });
  expect(ours[0]!.actionId).toMatch(/^[0-9a-f-]{36}$/);
}

const OUTAGES: [string, (emulator: GraphEmulator) => void, Options][] = [
  ['Graph answers 500', (e) => e.inject({ kind: 'status', status: 500, code: 'InternalServerError' }, { times: 10_000 }), {}],
  // With an expired label policy: it is served stale-if-error.
  ['connections dropped, policy expired', (e) => e.inject({ kind: 'drop' }, { times: 10_000 }), { graph: { cache: { policyTtlMs: 1, staleWhileRevalidateMs: 0 } } }],
  ['circuit breaker open (Retry-After beyond the budget)', (e) => e.inject({ kind: 'status', status: 503, retryAfter: '60' }), {}],
];

describe.each(FRAMEWORKS)('%s on a Graph tenant that goes down', (_name, makeApp) => {
  let emulator: GraphEmulator;
  beforeEach(async () => {
    emulator = await GraphEmulator.start({ settingsId: POLICY_ID });
  });
  afterEach(() => emulator.close());

  /** A working app that has labeled one download (policy cached, tenant id seen in Graph's answer). */
  async function warmApp(options: Options = {}): Promise<TestApp> {
    const app = makeApp(emulator, options);
    const res = await request(app.handler).get('/strict/report-1.csv');
    expect(res.status).toBe(200);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).id).toBe(LABEL.confidentialFinance);
    expect(await auditEvent(app.logs, 1)).toMatchObject({ outcome: 'labeled', decisionSource: 'graph' });
    return app;
  }

  function expectNoContentLogged(logs: LogCapture): void {
    const text = logs.text();
    expect(text).not.toContain('Payroll');
    expect(text).not.toContain(CARD);
    for (const card of luhnCards(3)) expect(text).not.toContain(card);
  }

  it.each(OUTAGES)('%s: the fail-safe label from the cache (CSV headers); other routes fail closed', async (_outage, fail, options) => {
    const app = await warmApp(options);
    try {
      fail(emulator);
      const res = await request(app.handler).get('/safe/report-2.csv');
      expect(res.status).toBe(200);
      expect(res.text).toBe(fileFor('report-2.csv')!.bytes.toString());
      expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string)).toEqual({ id: LABEL.confidentialAll, name: FAIL_SAFE, sensitivity: 3, method: 'standard' });
      expect(res.headers['sensitivity-label-status']).toBe('fail-safe');
      expectFailSafeEntry(headerLabels(res));
      expect(await auditEvent(app.logs, 2)).toMatchObject({
        outcome: 'fail-safe',
        decisionSource: 'cache',
        labelId: LABEL.confidentialAll,
        labelName: FAIL_SAFE,
        change: 'applied',
        status: 200,
        error: { code: 'GRAPH_UNAVAILABLE' },
      });
      expect(app.logs.lines().filter((l) => l.event === 'graph.fail_safe.offline')).toHaveLength(1);

      // Normal labeling never falls back to the cache: a route without the fail-safe label fails closed.
      const strict = await request(app.handler).get('/strict/report-3.csv');
      expect(strict.status).toBe(503);
      expect(strict.headers['content-type']).toBe('application/problem+json');
      expect(strict.body).toMatchObject({ code: 'GRAPH_UNAVAILABLE', status: 503 });
      expect(strict.text).not.toContain('Payroll');
      expect(await auditEvent(app.logs, 3)).toMatchObject({ outcome: 'blocked', error: { code: 'GRAPH_UNAVAILABLE' } });
      expectNoContentLogged(app.logs);
    } finally {
      await app.labeler.close();
    }
  });

  it('circuit open: PDF and XLSX get the MSIP metadata inside the file, without one call to Graph', async () => {
    const app = await warmApp();
    try {
      emulator.inject({ kind: 'status', status: 503, retryAfter: '60' });
      await request(app.handler).get('/strict/report-4.csv').expect(503);
      const calls = emulator.calls();
      for (const [name, format] of [['report.pdf', 'pdf'], ['report.xlsx', 'xlsx']] as const) {
        const res = await binary(request(app.handler).get(`/safe/${name}`));
        expect(res.status, name).toBe(200);
        expect(res.headers['sensitivity-label-status']).toBe('fail-safe');
        expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).id).toBe(LABEL.confidentialAll);
        const body = res.body as Buffer;
        expect(res.headers['content-length']).toBe(String(body.length));
        expectFailSafeEntry(await labelsInside(body, format));
        // The header carries exactly what the file carries.
        expect(headerLabels(res)).toEqual(await labelsInside(body, format));
      }
      const events = app.logs.events().slice(2).map((e) => e.labelgate as Record<string, unknown>);
      expect(events).toMatchObject([
        { outcome: 'fail-safe', format: 'pdf', decisionSource: 'cache', error: { code: 'GRAPH_UNAVAILABLE' } },
        { outcome: 'fail-safe', format: 'xlsx', decisionSource: 'cache', error: { code: 'GRAPH_UNAVAILABLE' } },
      ]);
      expect(emulator.calls()).toBe(calls);
      expectNoContentLogged(app.logs);
    } finally {
      await app.labeler.close();
    }
  });

  it('an existing higher label is kept; a lower one is replaced', async () => {
    const app = await warmApp();
    try {
      emulator.inject({ kind: 'status', status: 500 }, { times: 10_000 });
      const finance = files.get('finance.pdf')!.bytes;
      const kept = await binary(request(app.handler).get('/safe/finance.pdf'));
      expect(kept.status).toBe(200);
      expect((kept.body as Buffer).equals(finance)).toBe(true);
      expect(parseSensitivityLabel(kept.headers['sensitivity-label'] as string)).toMatchObject({ id: LABEL.confidentialFinance, name: 'Confidential - Finance' });
      expect(kept.headers['sensitivity-label-status']).toBe('fail-safe');
      expect(await auditEvent(app.logs, 2)).toMatchObject({ outcome: 'fail-safe', change: 'kept', actionSource: 'existing', decisionSource: 'cache', labelId: LABEL.confidentialFinance });

      const replaced = await binary(request(app.handler).get('/safe/public.pdf'));
      expect(replaced.status).toBe(200);
      const inside = await labelsInside(replaced.body as Buffer, 'pdf');
      expectFailSafeEntry(inside);
      expect(inside.map((e) => e.labelId)).not.toContain(LABEL.public);
      expect(await auditEvent(app.logs, 3)).toMatchObject({ outcome: 'fail-safe', change: 'applied', labelId: LABEL.confidentialAll });
    } finally {
      await app.labeler.close();
    }
  });

  it('cold cache (Graph down since start-up): closed, and the log says the policy is not cached', async () => {
    const app = makeApp(emulator, {});
    try {
      emulator.inject({ kind: 'status', status: 500 }, { times: 10_000 });
      const res = await request(app.handler).get('/safe/report-5.csv');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body).toMatchObject({ code: 'GRAPH_UNAVAILABLE' });
      expect(res.text).not.toContain('Payroll');
      const event = await auditEvent(app.logs, 1);
      expect(event).toMatchObject({ outcome: 'blocked', error: { code: 'GRAPH_UNAVAILABLE' } });
      expect((event.error as { message: string }).message).toContain(
        'fail-safe label: the fail-safe label cannot be applied without the label policy, which is neither reachable nor cached',
      );
    } finally {
      await app.labeler.close();
    }
  });

  it('tenant id unknown (only the label list was loaded): closed, asking for graph.tenantId; with it: the fail-safe label', async () => {
    const unknown = makeApp(emulator, {});
    const configured = makeApp(emulator, { graph: { tenantId: CONTOSO_SITE_ID.toUpperCase() } });
    try {
      // Start-up check as the README suggests; no download has been labeled yet.
      await unknown.labeler.listLabels();
      await configured.labeler.listLabels();
      emulator.inject({ kind: 'status', status: 500 }, { times: 10_000 });

      const closed = await request(unknown.handler).get('/safe/report-6.csv');
      expect(closed.status).toBe(503);
      const event = await auditEvent(unknown.logs, 1);
      expect(event).toMatchObject({ outcome: 'blocked', error: { code: 'GRAPH_UNAVAILABLE' } });
      expect((event.error as { message: string }).message).toContain('Set graph.tenantId to your directory (tenant) id GUID');

      const labeled = await request(configured.handler).get('/safe/report-6.csv');
      expect(labeled.status).toBe(200);
      expect(labeled.headers['sensitivity-label-status']).toBe('fail-safe');
      expectFailSafeEntry(headerLabels(labeled));
    } finally {
      await unknown.labeler.close();
      await configured.labeler.close();
    }
  });
});
