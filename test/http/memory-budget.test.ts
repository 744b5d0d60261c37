/**
 * `totalMemoryBytes`: the memory all concurrent captures of one middleware may hold together.
 * With the pool used up, a capture goes to its 0600 temp file from the first byte; the download
 * is labeled the same and the file is removed afterwards.
 */
import { afterAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { expressLabeling } from '../../src/http/express.js';
import { EXPRESS_VERSIONS, captureLogs, customersCsv, parseSensitivityLabel, tempDir, testLabeler, waitFor } from './helpers.js';
import { fixture } from '../helpers/documents.js';

const CSV = customersCsv(30, { cards: 2 });

describe.each(EXPRESS_VERSIONS)('%s: totalMemoryBytes', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('0: a small capture is spilled to a temp file at once, labeled, and the file removed', async () => {
    const filesDuringCapture: string[][] = [];
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path, totalMemoryBytes: 0 }));
    app.get('/r.csv', (_req, res) => {
      res.type('csv');
      res.write(CSV.slice(0, 50));
      // The temp file is opened asynchronously: wait (bounded) until it is there.
      void waitFor(() => dir.files().length > 0, 2000, 'temp file')
        .catch(() => {})
        .then(() => {
          filesDuringCapture.push(dir.files());
          res.end(CSV.slice(50));
        });
    });
    const res = await request(app).get('/r.csv');
    expect(res.status).toBe(200);
    expect(res.text).toBe(CSV);
    expect(parseSensitivityLabel(String(res.headers['sensitivity-label'])).name).toBe('Confidential');
    expect(filesDuringCapture[0]).toHaveLength(1);
    // Removed right after the response ends (asynchronously).
    await waitFor(() => dir.files().length === 0, 3000, 'temp file removed');
  });

  it('the default keeps a small capture in memory (no temp file)', async () => {
    const filesDuringCapture: string[][] = [];
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path }));
    app.get('/r.csv', (_req, res) => {
      res.type('csv');
      res.write(CSV.slice(0, 50));
      // Long enough for a temp file to have been opened, had the capture spilled.
      setTimeout(() => {
        filesDuringCapture.push(dir.files());
        res.end(CSV.slice(50));
      }, 100);
    });
    const res = await request(app).get('/r.csv');
    expect(res.text).toBe(CSV);
    expect(filesDuringCapture).toEqual([[]]);
  });

  it('PDFs read whole to be labeled take turns: with no budget at all, concurrent downloads are labeled one after another, none fails', async () => {
    const pdf = fixture('memo.pdf');
    const logs = captureLogs();
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, totalMemoryBytes: 0, label: 'Confidential' }));
    app.get('/memo.pdf', (_req, res) => {
      res.type('pdf');
      // Written in two parts, a tick apart, so the downloads overlap.
      res.write(pdf.subarray(0, 1000));
      setImmediate(() => res.end(pdf.subarray(1000)));
    });
    const server = app.listen(0);
    try {
      const responses = await Promise.all(Array.from({ length: 6 }, () => request(server).get('/memo.pdf').buffer(true)));
      for (const res of responses) {
        expect(res.status).toBe(200);
        expect(parseSensitivityLabel(String(res.headers['sensitivity-label'])).name).toBe('Confidential');
        // Stamped inside: an incremental update carries the MSIP label.
        expect(Buffer.from(res.body as Buffer).toString('latin1')).toContain('MSIP_Label_');
      }
      await waitFor(() => logs.events().length === 6, 3000, 'audits');
      expect(logs.events().every((e) => (e.labelgate as { outcome: string }).outcome === 'labeled')).toBe(true);
      await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
    } finally {
      server.close();
    }
  });

  it('an invalid value is a configuration error', () => {
    expect(() => expressLabeling({ labeler: testLabeler(), totalMemoryBytes: -1 })).toThrow(/totalMemoryBytes: expected a non-negative integer/);
  });
});
