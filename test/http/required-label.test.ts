/**
 * A route's fixed label or minimum label (and `labeler.stamp({ label | minimumLabel })`) against a
 * label the file already carries. Graph semantics: a label a user chose (`Privileged`) is never
 * replaced by an automatic process, and nothing automatic downgrades a label. When that leaves the
 * file below the required label, labelgate fails with LABEL_NOT_APPLIABLE (the fail mode answers)
 * instead of quietly sending the file with the lower label.
 */
import { afterAll, describe, expect, it } from 'vitest';
import Koa from 'koa';
import request from 'supertest';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { koaLabeling } from '../../src/http/koa.js';
import { LocalEngine, createLabeler, loadPolicySync, type ContentInfo, type LabelingOptions } from '../../src/index.js';
import type { EvaluationContext } from '../../src/evaluate/engine.js';
import { docxFile } from '../helpers/documents.js';
import { EXPRESS_VERSIONS, LABEL, SITE_ID, captureLogs, parseSensitivityLabel, tempDir, testPolicy } from './helpers.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** A Word file that already carries `labelId` of the test tenant, set by a user or a process. */
function labeledDocx(labelId: string, name: string, method: 'Privileged' | 'Standard'): Promise<Buffer> {
  const key = (attr: string) => `MSIP_Label_${labelId}_${attr}`;
  return docxFile({
    body: ['Quarterly memo', 'Nothing sensitive in here.'],
    customProperties: [
      { name: key('Enabled'), value: 'true' },
      { name: key('SetDate'), value: '2026-11-01T09:00:00Z' },
      { name: key('Method'), value: method },
      { name: key('Name'), value: name },
      { name: key('SiteId'), value: SITE_ID },
      { name: key('ContentBits'), value: '0' },
    ],
  });
}

const userGeneral = await labeledDocx(LABEL.general, 'General', 'Privileged');
const userSecret = await labeledDocx(LABEL.secret, 'Secret', 'Privileged');
const processGeneral = await labeledDocx(LABEL.general, 'General', 'Standard');
const processConfidential = await labeledDocx(LABEL.confidential, 'Confidential', 'Standard');

const dir = tempDir();
afterAll(() => dir.cleanup());

describe('labeler.stamp: a required label against the file\'s existing label', () => {
  const labeler = createLabeler({ policy: testPolicy() });

  it('a user\'s lower label is not replaced, and not silently kept either: LABEL_NOT_APPLIABLE', async () => {
    for (const options of [{ minimumLabel: 'Confidential' }, { label: 'Secret' }]) {
      const err = await labeler.stamp(userGeneral, { filename: 'memo.docx', ...options }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ name: 'LabelgateError', code: 'LABEL_NOT_APPLIABLE' });
      expect((err as Error).message).toMatch(/"General", applied by a user \(Method=Privileged\)/);
    }
  });

  it('a user\'s label at or above the requirement is kept', async () => {
    const kept = await labeler.stamp(userSecret, { filename: 'memo.docx', minimumLabel: 'Confidential' });
    expect([kept.label?.name, kept.change]).toEqual(['Secret', 'kept']);
    const same = await labeler.stamp(userGeneral, { filename: 'memo.docx', label: 'General' });
    expect([same.label?.name, same.change]).toEqual(['General', 'kept']);
  });

  it('a process\'s lower label is raised to the requirement', async () => {
    const raised = await labeler.stamp(processGeneral, { filename: 'memo.docx', minimumLabel: 'Confidential' });
    expect([raised.label?.name, raised.change]).toEqual(['Confidential', 'applied']);
    const fixed = await labeler.stamp(processGeneral, { filename: 'memo.docx', label: 'Secret' });
    expect([fixed.label?.name, fixed.change]).toEqual(['Secret', 'applied']);
  });

  it('a fixed label below the existing label never downgrades it: the higher label is kept', async () => {
    const kept = await labeler.stamp(processConfidential, { filename: 'memo.docx', label: 'Public' });
    expect([kept.label?.name, kept.change]).toEqual(['Confidential', 'kept']);
    const user = await labeler.stamp(userSecret, { filename: 'memo.docx', label: 'General' });
    expect([user.label?.name, user.change]).toEqual(['Secret', 'kept']);
  });

  it('an engine that would downgrade the existing label is refused', async () => {
    /** Public `engine` option: an engine (e.g. a remote service) that ignores the existing label. */
    class DowngradingEngine extends LocalEngine {
      override evaluateApplication(info: ContentInfo, options: LabelingOptions, ctx?: EvaluationContext) {
        return super.evaluateApplication({ ...info, metadata: [] }, options, ctx);
      }
    }
    const downgrading = createLabeler({ engine: new DowngradingEngine(loadPolicySync(testPolicy())) });
    await expect(downgrading.stamp(processConfidential, { filename: 'memo.docx', label: 'Public' })).rejects.toMatchObject({
      code: 'LABEL_NOT_APPLIABLE',
      message: expect.stringMatching(/would downgrade the file's existing label "Confidential"/),
    });
  });
});

describe.each(EXPRESS_VERSIONS)('%s: minimumLabel over a user-applied lower label', (_name, express) => {
  function app(failMode: 'closed' | 'open') {
    const logs = captureLogs();
    const a = express();
    a.use(expressLabeling({ policy: testPolicy(), logger: logs.logger, tempDir: dir.path, failMode }));
    a.get('/memo.docx', labelRoute({ minimumLabel: 'Confidential' }), (_req, res) => {
      res.type('docx').send(userGeneral);
    });
    a.get('/fixed.docx', labelRoute({ label: 'Secret' }), (_req, res) => {
      res.type('docx').send(userGeneral);
    });
    a.get('/secret.docx', labelRoute({ minimumLabel: 'Confidential' }), (_req, res) => {
      res.type('docx').send(userSecret);
    });
    return { app: a, logs };
  }

  it('closed: problem+json LABEL_NOT_APPLIABLE, audited as blocked', async () => {
    const { app: a, logs } = app('closed');
    for (const path of ['/memo.docx', '/fixed.docx']) {
      const res = await request(a).get(path);
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body).toMatchObject({ code: 'LABEL_NOT_APPLIABLE' });
      expect(res.headers['sensitivity-label']).toBeUndefined();
    }
    const events = logs.events().map((e) => e.labelgate as { outcome: string; error?: { code: string; message: string } });
    expect(events.map((e) => [e.outcome, e.error?.code])).toEqual([
      ['blocked', 'LABEL_NOT_APPLIABLE'],
      ['blocked', 'LABEL_NOT_APPLIABLE'],
    ]);
    expect(events[0]!.error!.message).toMatch(/minimum label "Confidential"/);
    expect(events[1]!.error!.message).toMatch(/label "Secret"/);
  });

  it('open: the original file, marked unlabeled', async () => {
    const { app: a } = app('open');
    const res = await request(a).get('/memo.docx').buffer(true).parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['sensitivity-label-status']).toBe('unlabeled');
    expect(Buffer.compare(res.body as Buffer, userGeneral)).toBe(0);
  });

  it('a user label above the minimum is kept and sent', async () => {
    const { app: a } = app('closed');
    const res = await request(a).get('/secret.docx');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain(DOCX);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
  });
});

describe('Koa: minimumLabel over a user-applied lower label', () => {
  it('closed: problem+json LABEL_NOT_APPLIABLE', async () => {
    const logs = captureLogs();
    const a = new Koa();
    a.use(koaLabeling({ policy: testPolicy(), logger: logs.logger, tempDir: dir.path, minimumLabel: 'Confidential' }));
    a.use((ctx) => {
      ctx.type = DOCX;
      ctx.body = userGeneral;
    });
    const res = await request(a.callback()).get('/memo.docx');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'LABEL_NOT_APPLIABLE' });
    expect((logs.events()[0]!.labelgate as { error: { code: string } }).error.code).toBe('LABEL_NOT_APPLIABLE');
  });
});
