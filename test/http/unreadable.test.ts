/**
 * In-scope content labelgate cannot read (archives, compressed files, legacy Office, images) cannot
 * be classified: it goes to the route's fail mode (closed by default) instead of being stamped with
 * the policy's default label. Only a route that fixes a label (or sets a minimum label) labels it by
 * headers only, audited as `labeled-unclassified`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import JSZip from 'jszip';
import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { koaLabeling, labelRoute as koaLabelRoute } from '../../src/http/koa.js';
import { EXPRESS_VERSIONS, captureLogs, customersCsv, parseSensitivityLabel, tempDir, testLabeler, waitFor } from './helpers.js';

const CSV = customersCsv(30, { cards: 3, ssns: 2 });
const ZIP = await new JSZip().file('customers.csv', CSV).generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
const GZ = gzipSync(CSV);
// A legacy (OLE compound file) .xls: magic bytes, then the table.
const XLS = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.from(CSV)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);

function binary(test: request.Test): request.Test {
  return test.buffer(true).parse((res, cb) => {
    const parts: Buffer[] = [];
    res.on('data', (c: Buffer) => parts.push(c));
    res.on('end', () => cb(null, Buffer.concat(parts)));
  });
}

function labelName(res: { headers: Record<string, unknown> }): unknown {
  const v = res.headers['sensitivity-label'];
  return typeof v === 'string' ? parseSensitivityLabel(v).name : undefined;
}

const UNREADABLE: [string, string, Buffer, string][] = [
  ['/export.zip', 'customers.zip', ZIP, 'application/zip'],
  ['/export.csv.gz', 'customers.csv.gz', GZ, 'application/gzip'],
  ['/export.xls', 'customers.xls', XLS, 'application/vnd.ms-excel'],
  ['/photo.png', 'photo.png', PNG, 'image/png'],
];

const dir = tempDir();
afterAll(() => dir.cleanup());

describe.each(EXPRESS_VERSIONS)('%s: unreadable in-scope content', (_name, express) => {
  function appWith(options: Parameters<typeof expressLabeling>[0] = {}) {
    const logs = captureLogs();
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, ...options }));
    for (const [path, name, bytes, type] of UNREADABLE) {
      app.get(path, (_req, res) => {
        res.attachment(name).type(type).send(bytes);
      });
    }
    app.get('/fixed.zip', labelRoute({ label: 'Confidential' }), (_req, res) => {
      res.attachment('customers.zip').send(ZIP);
    });
    app.get('/minimum.zip', labelRoute({ minimumLabel: 'Secret' }), (_req, res) => {
      res.attachment('customers.zip').send(ZIP);
    });
    app.get('/plain.csv', (_req, res) => {
      res.attachment('customers.csv').send(CSV);
    });
    return { app, logs };
  }

  it.each(UNREADABLE)('%s fails closed with FORMAT_UNSUPPORTED, not the default label', async (path) => {
    const { app, logs } = appWith();
    const res = await request(app).get(path);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ code: 'FORMAT_UNSUPPORTED' });
    expect(res.headers['sensitivity-label']).toBeUndefined();
    expect(res.headers['content-disposition']).toBeUndefined();
    await waitFor(() => logs.events().length === 1, 3000, 'audit event');
    expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'blocked', error: { code: 'FORMAT_UNSUPPORTED' } });
  });

  it('a route with a fixed label labels it by headers only, audited labeled-unclassified', async () => {
    const { app, logs } = appWith();
    const res = await binary(request(app).get('/fixed.zip'));
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(ZIP)).toBe(true);
    expect(labelName(res)).toBe('Confidential');
    expect(res.headers['content-length']).toBe(String(ZIP.length));
    await waitFor(() => logs.events().length === 1, 3000, 'audit event');
    expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'labeled-unclassified', format: 'binary', labelName: 'Confidential', sensitiveTypes: [] });
    expect(logs.events()[0]!.level).toBe(30);
  });

  it('a route with a minimum label applies that label by headers only', async () => {
    const { app, logs } = appWith();
    const res = await binary(request(app).get('/minimum.zip'));
    expect(res.status).toBe(200);
    expect(labelName(res)).toBe('Secret');
    await waitFor(() => logs.events().length === 1, 3000, 'audit event');
    expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'labeled-unclassified', labelName: 'Secret' });
  });

  it('fail open: the original bytes, marked unlabeled', async () => {
    const { app, logs } = appWith({ failMode: 'open' });
    const res = await binary(request(app).get('/export.zip'));
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(ZIP)).toBe(true);
    expect(res.headers['sensitivity-label-status']).toBe('unlabeled');
    expect(res.headers['sensitivity-label']).toBeUndefined();
    await waitFor(() => logs.events().length === 1, 3000, 'audit event');
    expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'unlabeled', error: { code: 'FORMAT_UNSUPPORTED' } });
  });

  it('fail-safe label: the fail-safe label, whole body with its length', async () => {
    const { app } = appWith({ failMode: 'label', failSafeLabel: 'Secret' });
    const res = await binary(request(app).get('/export.zip'));
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(ZIP)).toBe(true);
    expect(labelName(res)).toBe('Secret');
    expect(res.headers['sensitivity-label-status']).toBe('fail-safe');
    expect(res.headers['content-length']).toBe(String(ZIP.length));
  });

  it('readable content is still classified (the CSV next to them)', async () => {
    const { app } = appWith();
    const res = await request(app).get('/plain.csv');
    expect(res.status).toBe(200);
    // Classified (cards and SSNs): not the policy's default label (General).
    expect(labelName(res)).toBe('Confidential');
  });
});

describe('Koa: unreadable in-scope content', () => {
  const logs = captureLogs();
  const app = new Koa();
  app.use(koaLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path }));
  const router = new Router();
  router.get('/export.zip', (ctx) => {
    ctx.attachment('customers.zip');
    ctx.body = ZIP;
  });
  router.get('/fixed.zip', koaLabelRoute({ label: 'Confidential' }), (ctx) => {
    ctx.attachment('customers.zip');
    ctx.body = ZIP;
  });
  app.use(router.routes());
  const server = app.callback();

  it('fails closed with FORMAT_UNSUPPORTED', async () => {
    const res = await request(server).get('/export.zip');
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'FORMAT_UNSUPPORTED' });
    expect(res.headers['sensitivity-label']).toBeUndefined();
  });

  it('a fixed label: headers only, labeled-unclassified', async () => {
    const before = logs.events().length;
    const res = await binary(request(server).get('/fixed.zip'));
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(ZIP)).toBe(true);
    expect(labelName(res)).toBe('Confidential');
    await waitFor(() => logs.events().length === before + 1, 3000, 'audit event');
    expect(logs.events().at(-1)!.labelgate).toMatchObject({ outcome: 'labeled-unclassified', format: 'binary' });
  });
});
