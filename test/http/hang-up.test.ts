/**
 * A client that stops reading and hangs up while the rest of a labeled body is still waiting to
 * be written out (Express 5 and 4, both hook modes). Served on a Unix socket, whose small buffers
 * leave most of a multi-MB body unwritten, as a slow network does. Node emits 'finish' also for
 * writes a destroyed socket dropped, so "the app called end()" or 'finish' alone never means
 * delivered: each case must be audited `aborted`, with its label, and count less than the body.
 */
import { describe, expect, it } from 'vitest';
import type http from 'node:http';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { EXPRESS_HOOK_MATRIX, captureLogs, customersCsv, listenUnix, stallThenHangUp, tempDir, testLabeler, waitFor } from './helpers.js';

/** ~7.7 MB with three cards (Confidential). */
const BIG = customersCsv(100_000, { cards: 3 });

/** Write it all without waiting for 'drain', then end(): everything is handed to Node at once. */
function writeAllAndEnd(res: http.ServerResponse): void {
  const bytes = Buffer.from(BIG);
  for (let o = 0; o < bytes.length; o += 64 * 1024) res.write(bytes.subarray(o, o + 64 * 1024));
  res.end();
}

describe.each(EXPRESS_HOOK_MATRIX)('%s (%s hooks): a client that hangs up on a labeled body', (_name, responseHooks, express) => {
  const cases: [string, string, string, boolean][] = [
    // [route, description, expected label name, labeled]
    ['/held.csv', 'held whole, then sent from memory', 'Confidential', true],
    ['/spilled.csv', 'held whole, then sent from its temp file', 'Confidential', true],
    ['/send.csv', 'one res.send of the whole body', 'Confidential', true],
    ['/fixed.csv', 'a fixed label, decided early, the rest streamed', 'Secret', true],
    ['/open.csv', 'fail open: the captured part and the rest, unlabeled', '', false],
  ];

  it.each(cases)('%s (%s): audited as aborted', async (path, _what, labelName, labeled) => {
    const logs = captureLogs();
    const dir = tempDir();
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: logs.logger, tempDir: dir.path, responseHooks }));
    app.get('/held.csv', labelRoute({ earlyDecision: false, memoryBytes: 16 * 1024 * 1024 }), (_req, res) => {
      res.type('csv');
      writeAllAndEnd(res);
    });
    app.get('/spilled.csv', labelRoute({ earlyDecision: false, memoryBytes: 64 * 1024 }), (_req, res) => {
      res.type('csv');
      writeAllAndEnd(res);
    });
    app.get('/send.csv', (_req, res) => {
      res.type('csv').send(Buffer.from(BIG));
    });
    app.get('/fixed.csv', labelRoute({ label: 'Secret' }), (_req, res) => {
      res.type('csv');
      writeAllAndEnd(res);
    });
    // Over its size limit after 256 KiB: fails open, the rest passes unlabeled.
    app.get('/open.csv', labelRoute({ failMode: 'open', maxBytes: 256 * 1024, earlyDecision: false }), (_req, res) => {
      res.type('csv');
      writeAllAndEnd(res);
    });
    const server = await listenUnix(app);
    try {
      const { headers, ended } = await stallThenHangUp(server.socketPath, path);
      expect(ended).toBe(false);
      if (labeled) expect(headers['sensitivity-label']).toContain(labelName);
      else expect(headers['sensitivity-label-status']).toBe('unlabeled');
      await waitFor(() => logs.events().length === 1, 5000, 'audit event');
      const event = logs.events()[0]!.labelgate as { outcome: string; labelName?: string; bytesOut: number; bytesIn: number };
      expect(event.outcome).toBe('aborted');
      // The app handed over the whole body at once: all of it came in, whichever way it went.
      expect(event.bytesIn).toBe(Buffer.byteLength(BIG));
      if (labeled) expect(event.labelName).toBe(labelName);
      expect(event.bytesOut).toBeLessThan(Buffer.byteLength(BIG));
      await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
      // One event only, also after Node's late 'finish'.
      await new Promise((r) => setTimeout(r, 100));
      expect(logs.events()).toHaveLength(1);
    } finally {
      await server.close();
      dir.cleanup();
    }
  });
});
