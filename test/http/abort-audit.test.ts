/**
 * Every in-scope download gets one audit event (Express and Koa), also one the client abandons while labelgate is
 * still answering a failure before anything was captured (here: a compressed body, fail-safe label
 * from a slow engine).
 */
import { afterAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import Koa from 'koa';
import { expressLabeling } from '../../src/http/express.js';
import { koaLabeling } from '../../src/http/koa.js';
import { LocalEngine, createLabeler, loadPolicySync } from '../../src/index.js';
import { EXPRESS_VERSIONS, captureLogs, customersCsv, listen, tempDir, testPolicy, waitFor, type LogCapture } from './helpers.js';

class SlowEngine extends LocalEngine {
  override async evaluateApplication(...args: Parameters<LocalEngine['evaluateApplication']>) {
    await sleep(400);
    return super.evaluateApplication(...args);
  }
}

/** GET /r.csv and hang up after `ms`, before the (slow) failure answer is sent. */
function requestAndHangUp(port: number, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/r.csv', agent: false });
    req.on('error', () => resolve());
    setTimeout(() => {
      req.destroy();
      resolve();
    }, ms);
  });
}

/** One audit event, `aborted`, and no second one once the failure answer would have been done. */
async function expectOneAbortedEvent(logs: LogCapture): Promise<void> {
  await waitFor(() => logs.events().length === 1, 3000, 'audit event');
  expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'aborted' });
  await sleep(500);
  expect(logs.events()).toHaveLength(1);
}

describe.each(EXPRESS_VERSIONS)('%s: a client abort during a failure answer', (_name, express) => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('is audited as aborted', async () => {
    const logs = captureLogs();
    const app = express();
    const labeler = createLabeler({ engine: new SlowEngine(loadPolicySync(testPolicy())) });
    app.use(expressLabeling({ labeler, logger: logs.logger, tempDir: dir.path, failMode: 'label', failSafeLabel: 'General' }));
    app.get('/r.csv', (_req, res) => {
      res.set('Content-Encoding', 'gzip').type('csv').send(gzipSync(customersCsv(20, { cards: 1 })));
    });
    const server = await listen(app);
    try {
      await requestAndHangUp(server.port, 100);
      await expectOneAbortedEvent(logs);
    } finally {
      await server.close();
    }
  });
});

describe('Koa: a client abort during a failure answer', () => {
  it('is audited as aborted', async () => {
    const logs = captureLogs();
    const app = new Koa();
    const labeler = createLabeler({ engine: new SlowEngine(loadPolicySync(testPolicy())) });
    app.use(koaLabeling({ labeler, logger: logs.logger, failMode: 'label', failSafeLabel: 'General' }));
    app.use((ctx) => {
      ctx.set('Content-Encoding', 'gzip');
      ctx.type = 'text/csv';
      ctx.body = gzipSync(customersCsv(20, { cards: 1 }));
    });
    const server = await listen(app.callback());
    try {
      await requestAndHangUp(server.port, 100);
      await expectOneAbortedEvent(logs);
    } finally {
      await server.close();
    }
  });
});
