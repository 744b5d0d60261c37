/**
 * Two copies of Express in one process (Express 5 and an Express 4 the app or a plugin brings),
 * with labelgate hooking responses through its prototype layer: however an app of the other copy
 * takes a response over, the response is labeled. Each case runs the built package (dist/) in a
 * fresh process, because the layer, once inserted, stays for the life of the process — a case run
 * after others could pass only thanks to them.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The script's last output line: `LABEL <name>` or `LABEL NONE`. */
function run(body: string, outerIsExpress4: boolean): Promise<string> {
  const script = `
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import http from 'node:http';
import { expressLabeling } from './dist/express.js';
const [outer, other] = ${outerIsExpress4} ? [express4, express5] : [express5, express4];
const opts = () => ({ logger: { info() {}, warn() {}, error() {} } });
const CSV = 'name,amount\\nalice,1\\n';
const label = (r) => { const m = /name="([^"]*)"/.exec(r.headers['sensitivity-label'] ?? ''); return m ? m[1] : 'NONE'; };
${body}
`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout.trim().split('\n').pop() ?? '');
    });
  });
}

describe.each([
  ['Express 5 app, Express 4 inside', false],
  ['Express 4 app, Express 5 inside', true],
])('%s', (_name, outerIsExpress4) => {
  it('an app of the other copy used as a handler inside a mounted sub-app', async () => {
    const out = await run(
      `
const app = outer(); app.use(expressLabeling(opts()));
const sub = outer(); const legacy = other();
legacy.get('/r.csv', (q, s) => s.type('csv').send(CSV));
const r = outer.Router(); r.use(legacy); sub.use(r); app.use('/sub', sub);
console.log('LABEL', label(await request(app).get('/sub/r.csv')));`,
      outerIsExpress4,
    );
    expect(out).toBe('LABEL General');
  });

  it('an app of the other copy added to a nested router after the first request', async () => {
    const out = await run(
      `
const app = outer(); app.use(expressLabeling(opts()));
const api = outer.Router(); app.use('/api', api);
api.get('/first.csv', (q, s) => s.type('csv').send(CSV));
const first = label(await request(app).get('/api/first.csv'));
const legacy = other(); legacy.get('/later.csv', (q, s) => s.type('csv').send(CSV)); api.use(legacy);
console.log('LABEL', first, label(await request(app).get('/api/later.csv')));`,
      outerIsExpress4,
    );
    expect(out).toBe('LABEL General General');
  });

  it('labelgate inside a mounted sub-app, the request falls through to a parent route served by the other copy', async () => {
    const out = await run(
      `
const app = outer(); const reports = outer(); reports.use(expressLabeling(opts())); app.use(reports);
const legacy = other(); legacy.use((q, s) => s.type('csv').send(CSV));
app.get('/legacy/r.csv', legacy);
console.log('LABEL', label(await request(app).get('/legacy/r.csv')));`,
      outerIsExpress4,
    );
    expect(out).toBe('LABEL General');
  });

  it("a handler calling the other copy's app itself", async () => {
    const out = await run(
      `
const app = outer(); app.use(expressLabeling(opts()));
const legacy = other(); legacy.get('/r.csv', (q, s) => s.type('csv').send(CSV));
app.get('/r.csv', (req, res, next) => legacy(req, res, next));
console.log('LABEL', label(await request(app).get('/r.csv')));`,
      outerIsExpress4,
    );
    expect(out).toBe('LABEL General');
  });

  it("instrumentation wrapping Node's end after labelgate was loaded still runs, labeled or not", async () => {
    const out = await run(
      `
let calls = 0;
const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function (...args) { calls++; return end.apply(this, args); };
const app = outer(); app.use(expressLabeling(opts()));
app.get('/r.csv', (q, s) => s.type('csv').send(CSV));
app.get('/r.json', (q, s) => s.json({ a: 1 }));
const csv = label(await request(app).get('/r.csv'));
const json = label(await request(app).get('/r.json'));
console.log('LABEL', csv, json, calls >= 2 ? 'wrapped-end-ran' : 'wrapped-end-skipped');`,
      outerIsExpress4,
    );
    expect(out).toBe('LABEL General NONE wrapped-end-ran');
  });
});
