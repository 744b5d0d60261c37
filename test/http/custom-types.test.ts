/**
 * Custom sensitive types of a route (or a caller) replace the policy's type with the same id, on
 * every path: captured text scanned inline or in a worker, PDF/OOXML scanned by the pipeline,
 * `labeler.stamp`. And an error in labelgate's own decide/start path (here: an engine handing out
 * an unusable custom type) goes to the fail mode; it never escapes from the app's `res.send`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { koaLabeling, labelRoute as koaLabelRoute } from '../../src/http/koa.js';
import { LocalEngine, createLabeler, loadPolicySync, type PolicyInput } from '../../src/index.js';
import type { CustomSensitiveType } from '../../src/policy/schema.js';
import { pdfkitFile } from '../helpers/documents.js';
import { EXPRESS_VERSIONS, LABEL, captureLogs, get, listen, parseSensitivityLabel, tempDir, testPolicy, waitFor } from './helpers.js';

const require = createRequire(import.meta.url);
const TYPE_ID = '0b5c7a8e-1111-4222-8333-444455556666';

/** The test policy plus a custom "Employee ID" type (EMP-123456) that makes a download Confidential. */
function policyWithCustomType(): PolicyInput {
  const base = testPolicy();
  return {
    ...base,
    customTypes: [{ id: TYPE_ID, name: 'Employee ID', pattern: 'EMP-\\d{6}' }],
    labels: base.labels.map((l) =>
      l.id === LABEL.confidential ? { ...l, autoLabeling: { mode: 'automatic', conditions: [{ sensitiveTypeId: TYPE_ID, minCount: 1, minConfidence: 60 }] } } : l,
    ),
  };
}

/** The route's version of the type: same id, another pattern. */
const ROUTE_TYPES = [{ id: TYPE_ID, name: 'Staff number', pattern: 'STAFF-\\d{5}' }];
const STAFF_CSV = 'staff\nSTAFF-12345\n';
const EMP_CSV = 'emp\nEMP-123456\n';
const STAFF_PDF = await pdfkitFile([['Staff list', 'STAFF-12345']]);

function labelName(res: { headers: Record<string, unknown> }): unknown {
  const v = res.headers['sensitivity-label'];
  return typeof v === 'string' ? parseSensitivityLabel(v).name : undefined;
}

const dir = tempDir();
afterAll(() => dir.cleanup());

describe.each(EXPRESS_VERSIONS)('%s: a route custom type with a policy type id', (_name, express) => {
  function app() {
    const logs = captureLogs();
    const errors: unknown[] = [];
    const a = express();
    a.use(expressLabeling({ policy: policyWithCustomType(), logger: logs.logger, tempDir: dir.path }));
    a.get('/staff.csv', labelRoute({ customTypes: ROUTE_TYPES }), (_req, res) => {
      res.type('csv').send(STAFF_CSV);
    });
    a.get('/emp.csv', labelRoute({ customTypes: ROUTE_TYPES }), (_req, res) => {
      res.type('csv').send(EMP_CSV);
    });
    a.get('/staff.pdf', labelRoute({ customTypes: ROUTE_TYPES }), (_req, res) => {
      res.type('pdf').send(STAFF_PDF);
    });
    a.get('/policy.csv', (_req, res) => {
      res.type('csv').send(EMP_CSV);
    });
    a.use((err: unknown, _req: unknown, res: { status(n: number): { end(s: string): void } }, _next: unknown) => {
      errors.push(err);
      res.status(599).end('app error handler');
    });
    return { app: a, logs, errors };
  }

  it('the route type replaces the policy type (CSV, scanned while captured)', async () => {
    const { app: a, errors } = app();
    const staff = await request(a).get('/staff.csv');
    expect(staff.status).toBe(200);
    expect(labelName(staff)).toBe('Confidential');
    // The policy's pattern does not apply on this route any more: the default label.
    const emp = await request(a).get('/emp.csv');
    expect(labelName(emp)).toBe('General');
    // Other routes keep the policy's type.
    const policy = await request(a).get('/policy.csv');
    expect(labelName(policy)).toBe('Confidential');
    expect(errors).toEqual([]);
  });

  it('the route type replaces the policy type (PDF, scanned by the pipeline)', async () => {
    const { app: a, errors } = app();
    const res = await request(a).get('/staff.pdf').buffer(true);
    expect(res.status).toBe(200);
    expect(labelName(res)).toBe('Confidential');
    expect(errors).toEqual([]);
  });
});

describe('built package: worker-thread scan with a route custom type of a policy type id', () => {
  it('labels with the route type', async () => {
    const { expressLabeling: builtLabeling, labelRoute: builtRoute } = require('labelgate/express') as typeof import('../../src/http/express.js');
    const express = require('express') as typeof import('express');
    const logs = captureLogs();
    const a = express();
    a.use(builtLabeling({ policy: policyWithCustomType(), logger: logs.logger, tempDir: dir.path, scanInWorker: true }));
    a.get('/staff.csv', builtRoute({ customTypes: ROUTE_TYPES }), (_req, res) => {
      res.type('csv').send(STAFF_CSV);
    });
    const res = await request(a).get('/staff.csv');
    expect(res.status).toBe(200);
    expect(labelName(res)).toBe('Confidential');
  });
});

describe('Koa: a route custom type with a policy type id', () => {
  it('the route type replaces the policy type', async () => {
    const logs = captureLogs();
    const a = new Koa();
    a.use(koaLabeling({ policy: policyWithCustomType(), logger: logs.logger, tempDir: dir.path }));
    const router = new Router();
    router.get('/staff.csv', koaLabelRoute({ customTypes: ROUTE_TYPES }), (ctx) => {
      ctx.type = 'text/csv';
      ctx.body = STAFF_CSV;
    });
    router.get('/staff.pdf', koaLabelRoute({ customTypes: ROUTE_TYPES }), (ctx) => {
      ctx.type = 'application/pdf';
      ctx.body = STAFF_PDF;
    });
    a.use(router.routes());
    const csv = await request(a.callback()).get('/staff.csv');
    expect(csv.status).toBe(200);
    expect(labelName(csv)).toBe('Confidential');
    const pdf = await request(a.callback()).get('/staff.pdf').buffer(true);
    expect(labelName(pdf)).toBe('Confidential');
  });
});

describe('labeler.stamp: the caller type replaces the policy type', () => {
  it('CSV and PDF', async () => {
    const labeler = createLabeler({ policy: policyWithCustomType() });
    const csv = await labeler.stamp(STAFF_CSV, { filename: 'staff.csv', customTypes: ROUTE_TYPES as CustomSensitiveType[] });
    expect(csv.label?.name).toBe('Confidential');
    const pdf = await labeler.stamp(STAFF_PDF, { filename: 'staff.pdf', customTypes: ROUTE_TYPES as CustomSensitiveType[] });
    expect(pdf.label?.name).toBe('Confidential');
  });
});

/** A custom engine (public `engine` option) whose custom types the scanner cannot compile. */
class BrokenTypesEngine extends LocalEngine {
  override customTypes(): CustomSensitiveType[] {
    return [{ id: 'not-a-guid', name: 'Broken', pattern: 'X' } as CustomSensitiveType];
  }
}

describe.each(EXPRESS_VERSIONS)('%s: an error while starting the capture', (_name, express) => {
  function app(failMode: 'closed' | 'open') {
    const logs = captureLogs();
    const errors: unknown[] = [];
    const a = express();
    const labeler = createLabeler({ engine: new BrokenTypesEngine(loadPolicySync(testPolicy())) });
    a.use(expressLabeling({ labeler, logger: logs.logger, tempDir: dir.path, failMode }));
    a.get('/r.csv', (_req, res) => {
      res.type('csv').send(EMP_CSV);
    });
    a.get('/w.csv', (_req, res) => {
      res.type('csv');
      res.write('emp\n');
      res.end('EMP-123456\n');
    });
    a.use((err: unknown, _req: unknown, res: { status(n: number): { end(s: string): void } }, _next: unknown) => {
      errors.push(err);
      res.status(599).end('app error handler');
    });
    return { app: a, logs, errors };
  }

  it('closed: problem+json, the app error handler is not involved, the connection is not cut', async () => {
    const { app: a, logs, errors } = app('closed');
    const server = await listen(a);
    try {
      for (const path of ['/r.csv', '/w.csv']) {
        const res = await get(server.port, path);
        expect(res.status).toBe(500);
        expect(res.headers['content-type']).toBe('application/problem+json');
        expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ code: 'INPUT_INVALID' });
      }
      expect(errors).toEqual([]);
      await waitFor(() => logs.events().length === 2, 3000, 'audit events');
      expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'blocked', error: { code: 'INPUT_INVALID' } });
    } finally {
      await server.close();
    }
  });

  it('open: the original bytes, marked unlabeled', async () => {
    const { app: a, errors } = app('open');
    for (const path of ['/r.csv', '/w.csv']) {
      const res = await request(a).get(path);
      expect(res.status).toBe(200);
      expect(res.text).toBe(EMP_CSV);
      expect(res.headers['sensitivity-label-status']).toBe('unlabeled');
    }
    expect(errors).toEqual([]);
  });
});

describe('Koa: an error while starting the capture', () => {
  it.each(['closed', 'open'] as const)('%s', async (failMode) => {
    const logs = captureLogs();
    const a = new Koa();
    const labeler = createLabeler({ engine: new BrokenTypesEngine(loadPolicySync(testPolicy())) });
    a.use(koaLabeling({ labeler, logger: logs.logger, tempDir: dir.path, failMode }));
    a.use((ctx) => {
      ctx.type = 'text/csv';
      ctx.body = EMP_CSV;
    });
    const res = await request(a.callback()).get('/r.csv');
    if (failMode === 'closed') {
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ code: 'INPUT_INVALID' });
    } else {
      expect(res.status).toBe(200);
      expect(res.text).toBe(EMP_CSV);
      expect(res.headers['sensitivity-label-status']).toBe('unlabeled');
    }
  });
});
