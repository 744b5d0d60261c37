/**
 * How labelgate sits among other response wrappers: an outer wrapper registered before it (the
 * `compression` position) sees the labeled bytes; inner wrappers run before the capture; mounted
 * sub-apps (which swap the response prototype), even of another Express copy, stay covered.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RequestHandler } from 'express';
import request from 'supertest';
import { expressLabeling, labelRoute } from '../../src/http/express.js';
import { EXPRESS_VERSIONS, captureLogs, luhnCards, parseSensitivityLabel, tempDir, testLabeler } from './helpers.js';

const dir = tempDir();
afterAll(() => dir.cleanup());
const MANY = `card\n${luhnCards(12).join('\n')}\n`;

/** A wrapper in the style of `compression`: own write/end properties, records what passes through. */
function recordingWrapper(seen: string[]): RequestHandler {
  return (_req, res, next) => {
    const write = res.write;
    const end = res.end;
    res.write = function (this: typeof res, chunk: unknown, ...rest: unknown[]) {
      if (chunk) seen.push(String(chunk));
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    res.end = function (this: typeof res, chunk?: unknown, ...rest: unknown[]) {
      if (chunk && typeof chunk !== 'function') seen.push(String(chunk));
      return (end as (...a: unknown[]) => typeof res).call(this, chunk, ...rest);
    } as typeof res.end;
    next();
  };
}

describe.each(EXPRESS_VERSIONS)('%s: layering', (_name, express) => {
  const options = () => ({ labeler: testLabeler(), logger: captureLogs().logger, tempDir: dir.path });

  it('an outer wrapper (registered before) sees the labeled bytes, banner included', async () => {
    const seen: string[] = [];
    const app = express();
    app.use(recordingWrapper(seen));
    app.use(expressLabeling(options()));
    app.get('/r.csv', labelRoute({ banner: true }), (_req, res) => {
      res.type('csv').send(MANY);
    });
    const res = await request(app).get('/r.csv');
    expect(res.text).toBe(`SECRET - internal only\n${MANY}`);
    expect(seen.join('')).toBe(res.text);
  });

  it('an inner wrapper (registered after) transforms the body before it is captured', async () => {
    const app = express();
    app.use(expressLabeling(options()));
    app.use((_req, res, next) => {
      const end = res.end;
      res.end = function (this: typeof res, chunk?: unknown, ...rest: unknown[]) {
        return (end as (...a: unknown[]) => typeof res).call(this, typeof chunk === 'string' ? chunk.replace(/\d{16}/g, 'XXXX') : chunk, ...rest);
      } as typeof res.end;
      next();
    });
    app.get('/r.csv', (_req, res) => {
      res.type('csv').end(MANY);
    });
    const res = await request(app).get('/r.csv');
    expect(res.text).not.toMatch(/\d{16}/);
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('General');
  });

  it.each(EXPRESS_VERSIONS)('a mounted %s sub-app is covered', async (_sub, subExpress) => {
    const app = express();
    app.use(expressLabeling(options()));
    const sub = subExpress();
    sub.get('/r.csv', (_req, res) => {
      res.type('csv').send(MANY);
    });
    app.use('/sub', sub);
    const res = await request(app).get('/sub/r.csv');
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
    expect(res.text).toBe(MANY);
  });

  it('a mounted sub-app is covered when an outer wrapper forces own-property interception', async () => {
    const app = express();
    app.use(recordingWrapper([]));
    app.use(expressLabeling(options()));
    const sub = express();
    sub.get('/r.csv', (_req, res) => {
      res.type('csv').send(MANY);
    });
    app.use('/sub', sub);
    const res = await request(app).get('/sub/r.csv');
    expect(parseSensitivityLabel(res.headers['sensitivity-label'] as string).name).toBe('Secret');
  });
});
