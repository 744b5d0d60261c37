/**
 * `totalMemoryBytes`: the memory all concurrent captures of one middleware may hold together.
 * With the pool used up, a capture goes to its 0600 temp file from the first byte; the download
 * is labeled the same and the file is removed afterwards.
 */
import { afterAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { expressLabeling } from '../../src/http/express.js';
import { EXPRESS_VERSIONS, captureLogs, customersCsv, parseSensitivityLabel, tempDir, testLabeler, waitFor } from './helpers.js';

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

  it('an invalid value is a configuration error', () => {
    expect(() => expressLabeling({ labeler: testLabeler(), totalMemoryBytes: -1 })).toThrow(/totalMemoryBytes: expected a non-negative integer/);
  });
});
