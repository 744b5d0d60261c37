/**
 * Express 5 and 4: every way a handler sends a body is labeled, byte-identical for text formats,
 * with correct Content-Length, ETag and the label headers; per-route options.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import PDFDocument from 'pdfkit';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { handlerById } from '../../src/formats/registry.js';
import { classify } from '../../src/classify/index.js';
import { customTypeSchema } from '../../src/policy/schema.js';
import { EXPRESS_HOOK_MATRIX, EXPRESS_VERSIONS, LABEL, captureLogs, customersCsv, isHooked, luhnCards, parseSensitivityLabel, tempDir, testLabeler, testPolicy, waitFor } from './helpers.js';

const CSV_CONFIDENTIAL = customersCsv(50, { cards: 1 });
const CSV_PLAIN = customersCsv(50);

function labelOf(res: { headers: Record<string, unknown> }): Record<string, string | number> {
  const v = res.headers['sensitivity-label'];
  expect(typeof v).toBe('string');
  return parseSensitivityLabel(v as string);
}

function pdfBytes(): Promise<Buffer> {
  return new Promise((resolve) => {
    const doc = new PDFDocument({ info: { Title: 'Orders' } });
    const parts: Buffer[] = [];
    doc.on('data', (c: Buffer) => parts.push(c));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.text('Order report');
    doc.end();
  });
}

describe.each(EXPRESS_HOOK_MATRIX)('%s (%s hooks): send styles', (_name, responseHooks, express) => {
  const dir = tempDir();
  const files = tempDir();
  const csvPath = join(files.path, 'customers.csv');
  let pdf: Buffer;

  beforeAll(async () => {
    writeFileSync(csvPath, CSV_CONFIDENTIAL);
    pdf = await pdfBytes();
  });
  afterAll(() => {
    dir.cleanup();
    files.cleanup();
  });

  function app() {
    const logs = captureLogs();
    const a = express();
    a.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, responseHooks }));
    a.get('/send.csv', (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    a.get('/send-buffer', (_req, res) => {
      res.attachment('export.csv').send(Buffer.from(CSV_CONFIDENTIAL));
    });
    a.get('/json-attachment', (_req, res) => {
      res.attachment('customers.json').json({ customers: [{ card: '4111 1111 1111 1111' }] });
    });
    a.get('/write-end', (_req, res) => {
      res.setHeader('Content-Type', 'text/csv');
      const lines = CSV_CONFIDENTIAL.split(/(?<=\n)/);
      for (const line of lines.slice(0, -1)) res.write(line);
      res.end(lines.at(-1));
    });
    a.get('/write-head', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/csv', 'X-App': 'kept' });
      res.write(CSV_CONFIDENTIAL.slice(0, 100), 'utf8');
      res.end(CSV_CONFIDENTIAL.slice(100));
    });
    a.get('/write-head-raw', (_req, res) => {
      res.writeHead(201, 'Made', ['Content-Type', 'text/csv', 'X-Raw', 'a']);
      res.end(CSV_CONFIDENTIAL);
    });
    a.get('/pipe', (_req, res) => {
      res.type('text/csv');
      Readable.from(CSV_CONFIDENTIAL.match(/[\s\S]{1,37}/g)!.map((s) => Buffer.from(s))).pipe(res);
    });
    a.get('/send-file', (_req, res) => {
      res.sendFile(csvPath);
    });
    a.get('/download', (_req, res) => {
      res.download(csvPath, 'renamed.csv');
    });
    a.get('/attachment-send', (_req, res) => {
      res.attachment('notes.txt');
      res.send('contact alice.planted@example.com, SSN 536-90-4399');
    });
    a.get('/plain.csv', (_req, res) => {
      res.type('csv').send(CSV_PLAIN);
    });
    a.get('/report.pdf', (_req, res) => {
      res.type('application/pdf').send(pdf);
    });
    a.get('/callbacks', (_req, res) => {
      res.type('csv');
      const called: string[] = [];
      res.write('a,b\n', () => called.push('write'));
      res.end('4111111111111111,x\n', () => {
        called.push('end');
        res.req.app.set('callbacks', called);
      });
    });
    return { app: a, logs };
  }

  it.each([
    ['/send.csv', CSV_CONFIDENTIAL],
    ['/send-buffer', CSV_CONFIDENTIAL],
    ['/write-end', CSV_CONFIDENTIAL],
    ['/write-head', CSV_CONFIDENTIAL],
    ['/pipe', CSV_CONFIDENTIAL],
    ['/send-file', CSV_CONFIDENTIAL],
    ['/download', CSV_CONFIDENTIAL],
  ])('%s: labeled Confidential, body byte-identical, Content-Length exact', async (path, expected) => {
    const { app: a } = app();
    const res = await request(a).get(path).buffer(true).parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts)));
    });
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(Buffer.from(expected))).toBe(true);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
    expect(labelOf(res)).toEqual({ id: LABEL.confidential, name: 'Confidential', sensitivity: 2, method: 'standard' });
    expect(res.headers.msip_labels).toContain(`MSIP_Label_${LABEL.confidential}_Enabled=true`);
    expect(res.headers['accept-ranges']).toBe('none');
    expect(res.headers['last-modified']).toBeUndefined();
  });

  it('keeps headers given to writeHead (object and raw array) and a custom status', async () => {
    const { app: a } = app();
    const obj = await request(a).get('/write-head');
    expect(obj.headers['x-app']).toBe('kept');
    const raw = await request(a).get('/write-head-raw');
    expect(raw.status).toBe(201);
    expect(raw.headers['x-raw']).toBe('a');
    expect(labelOf(raw).name).toBe('Confidential');
  });

  it('labels JSON and text only when sent as attachments', async () => {
    const { app: a } = app();
    const json = await request(a).get('/json-attachment');
    expect(labelOf(json).name).toBe('Confidential');
    expect(json.body).toEqual({ customers: [{ card: '4111 1111 1111 1111' }] });
    const text = await request(a).get('/attachment-send');
    expect(labelOf(text).name).toBe('Confidential');
    expect(text.headers['content-disposition']).toMatch(/^attachment; filename="?notes\.txt"?$/);
  });

  it('applies the default label when nothing sensitive is found', async () => {
    const { app: a } = app();
    const res = await request(a).get('/plain.csv');
    expect(labelOf(res)).toMatchObject({ id: LABEL.general, name: 'General' });
  });

  it('replaces the ETag with a labeled one that differs from the unlabeled representation', async () => {
    const { app: a } = app();
    const labeled = await request(a).get('/send.csv');
    const bare = express();
    bare.get('/send.csv', (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    const unlabeled = await request(bare).get('/send.csv');
    expect(unlabeled.headers.etag).toMatch(/^W\//);
    expect(labeled.headers.etag).toMatch(/^W\/"lg-[A-Za-z0-9_-]+"$/);
    expect(labeled.headers.etag).not.toBe(unlabeled.headers.etag);
    // Stable across downloads of the same content and label.
    expect((await request(a).get('/send.csv')).headers.etag).toBe(labeled.headers.etag);
  });

  it('calls write and end callbacks of captured responses', async () => {
    const { app: a } = app();
    const res = await request(a).get('/callbacks');
    expect(res.status).toBe(200);
    expect(a.get('callbacks')).toEqual(['write', 'end']);
  });

  it('labels a PDF (inside the file through the PDF handler; headers only without one)', async () => {
    const { app: a } = app();
    const res = await request(a).get('/report.pdf').buffer(true).parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts)));
    });
    expect(res.status).toBe(200);
    expect(labelOf(res).name).toBe('General');
    const body = res.body as Buffer;
    expect(body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(res.headers['content-length']).toBe(String(body.length));
    if (!handlerById('pdf')) expect(body.equals(pdf)).toBe(true);
    else expect(body.toString('latin1')).toContain(`MSIP_Label_${LABEL.general}_Enabled`);
  });

  it('writes one audit event per labeled download', async () => {
    const { app: a, logs } = app();
    await request(a).get('/send.csv').set('x-request-id', 'req-42');
    const events = logs.events();
    expect(events).toHaveLength(1);
    expect(events[0]!.labelgate).toMatchObject({
      event: 'labelgate.download',
      outcome: 'labeled',
      route: '/send.csv',
      requestId: 'req-42',
      file: 'send.csv',
      format: 'csv',
      status: 200,
      labelId: LABEL.confidential,
      labelName: 'Confidential',
      actionSource: 'automatic',
      decisionSource: 'local',
      bytesIn: Buffer.byteLength(CSV_CONFIDENTIAL),
      bytesOut: Buffer.byteLength(CSV_CONFIDENTIAL),
    });
  });

  it('leaves no temp file behind', async () => {
    expect(dir.files()).toEqual([]);
  });
});

describe.each(EXPRESS_VERSIONS)('%s: per-route options', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('labelRoute: fixed label (no classification), minimum label, banner', async () => {
    const a = express();
    a.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path }));
    a.get('/fixed.csv', labelRoute({ label: 'Public' }), (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    a.get('/hr.csv', labelRoute({ minimumLabel: 'Confidential' }), (_req, res) => {
      res.type('csv').send(CSV_PLAIN);
    });
    const many = `card\n${luhnCards(12).join('\n')}\n`;
    a.get('/banner.csv', labelRoute({ banner: true }), (_req, res) => {
      res.type('csv').send(many);
    });
    const fixed = await request(a).get('/fixed.csv');
    expect(labelOf(fixed).name).toBe('Public');
    const hr = await request(a).get('/hr.csv');
    expect(labelOf(hr).name).toBe('Confidential');
    const banner = await request(a).get('/banner.csv');
    expect(labelOf(banner).name).toBe('Secret');
    expect(banner.text).toBe(`SECRET - internal only\n${many}`);
    expect(banner.headers['content-length']).toBe(String(Buffer.byteLength(banner.text)));
  });

  it('labelRoute({ enabled: false }) and routesOnly leave responses untouched', async () => {
    const a = express();
    a.use(expressLabeling({ labeler: testLabeler(), routesOnly: true, routes: [{ path: '/configured/*' }], tempDir: dir.path, logger: captureLogs().logger }));
    a.get('/configured/x.csv', (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    a.get('/other.csv', (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    const b = express();
    b.use(expressLabeling({ labeler: testLabeler(), tempDir: dir.path, logger: captureLogs().logger }));
    b.get('/off.csv', labelRoute({ enabled: false }), (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    expect(labelOf(await request(a).get('/configured/x.csv')).name).toBe('Confidential');
    expect((await request(a).get('/other.csv')).headers['sensitivity-label']).toBeUndefined();
    const off = await request(b).get('/off.csv');
    expect(off.headers['sensitivity-label']).toBeUndefined();
    expect(off.text).toBe(CSV_CONFIDENTIAL);
  });

  it('routesOnly: labelRoute routes are labeled with the middleware\'s settings; other responses are not even wrapped', async () => {
    const logs = captureLogs();
    const wrapped: Record<string, boolean> = {};
    const a = express();
    a.use(expressLabeling({ labeler: testLabeler(), routesOnly: true, tempDir: dir.path, logger: logs.logger }));
    const note = (name: string) => (_req: unknown, res: { write: unknown }, next: () => void) => {
      // labelgate marks every response it hooks (whichever way it hooks it) with one shared symbol.
      wrapped[name] = isHooked(res as object);
      next();
    };
    a.get('/hr.csv', labelRoute({ minimumLabel: 'Confidential' }), note('hr'), (_req, res) => {
      res.type('csv').send('name\nAda\n');
    });
    a.get('/cards.csv', labelRoute({}), note('cards'), (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    a.get('/other.csv', note('other'), (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    const hr = await request(a).get('/hr.csv');
    expect(labelOf(hr).name).toBe('Confidential');
    expect(labelOf(await request(a).get('/cards.csv')).name).toBe('Confidential');
    const other = await request(a).get('/other.csv');
    expect(other.headers['sensitivity-label']).toBeUndefined();
    expect(other.text).toBe(CSV_CONFIDENTIAL);
    expect(wrapped).toEqual({ hr: true, cards: true, other: false });
    // The middleware's logger got the audit events (its settings, not a standalone labelRoute's).
    await waitFor(() => logs.events().length === 2, 3000, 'audit events');
  });

  it('routesOnly: the first middleware owns the request while it defers; a router-level one with other settings steps aside', async () => {
    const first = captureLogs();
    const second = captureLogs();
    const a = express();
    a.use(expressLabeling({ labeler: testLabeler(), routesOnly: true, tempDir: dir.path, logger: first.logger }));
    const router = express.Router();
    router.use(expressLabeling({ labeler: testLabeler(), tempDir: dir.path, logger: second.logger, failMode: 'open' }));
    router.get('/big.csv', labelRoute({ maxBytes: 5 }), (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    a.use('/r', router);
    const res = await request(a).get('/r/big.csv');
    // The first middleware's fail mode (closed): not one byte of the body.
    expect(res.status).toBe(507);
    expect(res.text).not.toContain(CSV_CONFIDENTIAL.slice(0, 20));
    await waitFor(() => first.events().length === 1, 3000, 'audit event');
    expect(first.events()[0]!.labelgate).toMatchObject({ outcome: 'blocked' });
    expect(second.events()).toEqual([]);
  });

  it('match table: formats, methods, custom sensitive types, identifier and user callbacks', async () => {
    const employeeType = customTypeSchema.parse({ id: '6b1f0d8e-1234-4abc-8def-0123456789ab', name: 'Employee id', pattern: 'EMP-\\d{6}', confidenceWithoutKeyword: 85 });
    const logs = captureLogs();
    const a = express();
    a.use(
      expressLabeling({
        labeler: testLabeler(),
        logger: logs.logger,
        tempDir: dir.path,
        routes: [
          {
            path: '/api/customers/:id/export',
            methods: ['GET'],
            name: 'customer export',
            formats: ['json'],
            customTypes: [{ id: employeeType.id, name: employeeType.name, pattern: employeeType.pattern, confidenceWithoutKeyword: 85 }],
            identifier: (req) => `customer-${req.url?.split('/')[3]}.json`,
            user: () => 'carol@contoso.example',
          },
        ],
      }),
    );
    a.get('/api/customers/:id/export', (_req, res) => {
      res.json({ employee: 'EMP-123456' });
    });
    a.get('/api/customers/:id', (_req, res) => {
      res.json({ card: '4111111111111111' });
    });
    const exp = await request(a).get('/api/customers/7/export');
    expect(labelOf(exp).name).toBe('General');
    const event = logs.events()[0]!.labelgate as Record<string, unknown>;
    expect(event).toMatchObject({ route: 'customer export', file: 'customer-7.json', user: 'carol@contoso.example' });
    // The route's custom types reach the classifier (asserted whenever the classifier runs custom types).
    const direct = await classify('{"employee":"EMP-123456"}', { customTypes: [employeeType] });
    expect(event.sensitiveTypes).toEqual(direct.map((r) => ({ id: r.sensitiveTypeId, count: r.count, confidence: r.confidenceLevel })));
    // JSON API responses outside the table are not reports.
    expect((await request(a).get('/api/customers/7')).headers['sensitivity-label']).toBeUndefined();
  });

  it('labelRoute works without the global middleware', async () => {
    const a = express();
    a.get('/solo.csv', labelRoute({ labeler: testLabeler(), tempDir: dir.path, logger: captureLogs().logger }), (_req, res) => {
      res.type('csv').send(CSV_CONFIDENTIAL);
    });
    expect(labelOf(await request(a).get('/solo.csv')).name).toBe('Confidential');
  });

  it('rejects bad options at start-up with a message saying what to fix', () => {
    expect(() => expressLabeling({ labeler: testLabeler(), failMode: 'label' })).toThrow(/failSafeLabel/);
    expect(() => expressLabeling({ labeler: testLabeler(), label: 'Nope' })).toThrow(/"Nope" is not a label of the policy/);
    expect(() => expressLabeling({ labeler: testLabeler(), formats: ['csvx'] })).toThrow(/unknown format "csvx"/);
    expect(() => expressLabeling({ labeler: testLabeler(), maxBytes: -1 })).toThrow(/maxBytes/);
    expect(() => expressLabeling({ policy: testPolicy(), routes: [{ path: '/x', customTypes: [{ id: 'x', name: 'n', pattern: '(a+)+' }] }] })).toThrow(
      /routes\[0\]\.customTypes\[0\]/,
    );
    expect(() => labelRoute({ failMode: 'label' })).toThrow(/failSafeLabel/);
  });
});
