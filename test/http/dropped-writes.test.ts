/**
 * Fail closed replaces the app's body: the app's writes are not sent, but they are settled (write
 * callbacks run, a writer waiting for 'drain' gets it), as Node settles writes to a body-less
 * response; a source streamed with `pipeline` is closed when the response ends.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Readable, pipeline } from 'node:stream';
import request from 'supertest';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { EXPRESS_VERSIONS, captureLogs, tempDir, testLabeler, waitFor } from './helpers.js';

describe.each(EXPRESS_VERSIONS)('%s: a piped source when the download fails closed', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('is closed (pipeline); every write callback runs; nothing of it is sent', async () => {
    const state = { ended: false, callbacks: 0 };
    const app = express();
    app.use(expressLabeling({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path }));
    app.get('/big.csv', labelRoute({ maxBytes: 64 * 1024 }), (_req, res) => {
      res.type('csv');
      const row = Buffer.from('4111 1111 1111 1111,some text that repeats\n'.repeat(400));
      let n = 0;
      const source = new Readable({
        read() {
          this.push(n++ < 64 ? row : null);
        },
      });
      source.on('close', () => (state.ended = true));
      // Writes with callbacks, past the limit (the later ones are held, then dropped), then a pipeline.
      for (let i = 0; i < 8; i++) res.write(row, () => state.callbacks++);
      pipeline(source, res, () => {});
    });
    const res = await request(app).get('/big.csv');
    expect(res.status).toBe(507);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.text).not.toContain('4111');
    await waitFor(() => state.ended, 2000, 'the source to be closed');
    await waitFor(() => state.callbacks === 8, 2000, 'every write callback');
  });
});
