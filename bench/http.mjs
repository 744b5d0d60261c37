// HTTP middleware benchmark: the same routes with and without expressLabeling, measured in one
// run against a server in a child process (so client and server do not share an event loop).
//
//   npm run build && node bench/http.mjs
//
// Environment: BENCH_CSV_MB (10), BENCH_ROUNDS (21), BENCH_JSON_ROUNDS (15), BENCH_JSON_BATCH (1000),
// BENCH_EXPORT_MB (1024; 0 skips the big-export memory runs).
import { execFileSync, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { Socket } from 'node:net';
import express from 'express';
import { expressLabeling } from '../dist/express.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const JSON_ROUNDS = Number(process.env.BENCH_JSON_ROUNDS ?? 15);
const JSON_BATCH = Number(process.env.BENCH_JSON_BATCH ?? 1000);
const EXPORT_MB = Number(process.env.BENCH_EXPORT_MB ?? 1024);

// BENCH_SERVER_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof" to profile it.
const serverArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const server = fork(new URL('./_http-server.mjs', import.meta.url), { env: { ...process.env }, execArgv: ['--expose-gc', ...serverArgs] });
const [{ plain, labeled, noop, routesOnly }] = await once(server, 'message');
// Pin the client to CPU 0 and the per-app servers to CPU 1 when taskset exists (BENCH_PIN=0: don't).
const SERVER_CPU = 1;
const PIN = process.env.BENCH_PIN !== '0' && cpus().length >= 2 && (() => {
  try {
    execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(port, path) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, bytes, status: res.statusCode, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * The middleware alone on real ServerResponse objects given an Express app's prototypes (as
 * Express does before any middleware runs): install, the writeHead-time decision and pass-through,
 * minus the same response without it. Microseconds per response, for both ways of hooking.
 */
function passThroughCost(responseHooks) {
  const mw = expressLabeling({ logger: { info() {}, warn() {}, error() {} }, responseHooks });
  const app = express();
  // A socket of a (not listening) server, one per side: Node creates each response from the class
  // in the server's response-class field, as here (labelgate replaces that class on its first
  // request with one that creates responses with its property already in place).
  const sockets = [false, true].map(() => Object.assign(new Socket(), { server: http.createServer() }));
  const responseClass = (server) => server[Object.getOwnPropertySymbols(server).find((k) => k.description === 'ServerResponse')];
  const one = (withMiddleware) => {
    const socket = sockets[withMiddleware ? 1 : 0];
    const req = new http.IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/api/orders/42';
    req.headers = { host: 'localhost' };
    const res = new (responseClass(socket.server))(req);
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    res.locals = Object.create(null);
    if (withMiddleware) mw(req, res, () => {});
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.writeHead(200);
  };
  const run = (withMiddleware, n) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) one(withMiddleware);
    return Number(process.hrtime.bigint() - start) / 1e3 / n;
  };
  run(false, 50_000);
  run(true, 50_000);
  const diffs = [];
  for (let i = 0; i < 9; i++) diffs.push(run(true, 50_000) - run(false, 50_000));
  return median(diffs);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quartiles = (xs) => { const s = [...xs].sort((a, b) => a - b); return [s[Math.floor(s.length / 4)], s[Math.floor((3 * s.length) / 4)]]; };
const fmt = (n, d = 1) => n.toFixed(d);

async function compare(path, rounds) {
  for (let i = 0; i < 3; i++) {
    await get(plain, path);
    await get(labeled, path);
  }
  const a = [];
  const b = [];
  let check;
  for (let i = 0; i < rounds; i++) {
    // Alternate the order so drift affects both sides alike.
    if (i % 2 === 0) {
      a.push((await get(plain, path)).ms);
      const r = await get(labeled, path);
      b.push(r.ms);
      check = r;
    } else {
      const r = await get(labeled, path);
      b.push(r.ms);
      check = r;
      a.push((await get(plain, path)).ms);
    }
  }
  return { without: median(a), with: median(b), label: check.headers['sensitivity-label'], bytes: check.bytes };
}

async function serverCpu(proc = server) {
  proc.send({ cmd: 'cpu' });
  const [{ usage }] = await once(proc, 'message');
  return usage.user + usage.system;
}

/** One server process serving only the named app (see BENCH_ONLY in _http-server.mjs). */
async function startOne(name) {
  const script = fileURLToPath(new URL('./_http-server.mjs', import.meta.url));
  const env = { ...process.env, BENCH_ONLY: name };
  const args = ['--expose-gc', ...serverArgs, script];
  // On 2+ cores the servers share one core and the client has another: otherwise whichever server
  // the scheduler happens to put beside the client is slower, which alone moved A/A ratios by 10 %.
  const proc = PIN
    ? spawn('taskset', ['-c', String(SERVER_CPU), process.execPath, ...args], { env, stdio: ['inherit', 'inherit', 'inherit', 'ipc'] })
    : fork(script, { env, execArgv: args.slice(0, -1) });
  const [ports] = await once(proc, 'message');
  return { proc, port: ports[name] };
}

/**
 * Per request: wall-clock ms (client side) and server CPU µs of the plain app, the labeled app, an
 * app with one no-op middleware (the cost of any extra layer), the labeled app with `routesOnly`
 * (report routes marked with labelRoute; others not intercepted) and the plain app again (the A/A
 * line: this measurement's noise floor here). Each app runs in a server process of its own, and
 * every round starts fresh processes: a process keeps its own luck for life (JIT decisions, memory
 * layout) — two processes of the same plain app differed by up to 15 % for as long as they ran —
 * so only new processes per round turn that into noise the median over rounds removes.
 * BENCH_AA=1 puts the plain app on every side.
 */
async function compareBatches(path) {
  const names = process.env.BENCH_AA === '1' ? ['plain', 'plain', 'plain', 'plain', 'plain'] : ['plain', 'labeled', 'noop', 'routesOnly', 'plain'];
  const wall = names.map(() => []);
  const cpu = names.map(() => []);
  const batch = async ({ proc, port }, n) => {
    const cpuStart = await serverCpu(proc);
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await get(port, path);
    return { wall: Number(process.hrtime.bigint() - start) / 1e6 / n, cpu: ((await serverCpu(proc)) - cpuStart) / n };
  };
  const n = names.length;
  for (let round = 0; round < JSON_ROUNDS; round++) {
    const sides = await Promise.all(names.map(startOne));
    // Warm-up: every app well past V8's optimizing tiers.
    for (const side of sides) await batch(side, 4 * JSON_BATCH);
    const w = names.map(() => 0);
    const c = names.map(() => 0);
    // Then batches in one cyclic order, starting at another app every round: each batch follows
    // the same number of other apps' batches (an app idle for longer measured up to 4 % slower:
    // the A/A line was 0.96 when the plain app's first batch came after all the others' warm-ups),
    // and drift within a round falls on a different app each round. The first pass is not counted.
    for (let pass = 0; pass < 3; pass++) {
      for (let k = 0; k < n; k++) {
        const i = (round + k) % n;
        const b = await batch(sides[i], JSON_BATCH);
        if (pass === 0) continue;
        w[i] += b.wall / 2;
        c[i] += b.cpu / 2;
      }
    }
    for (let i = 0; i < n; i++) {
      wall[i].push(w[i]);
      cpu[i].push(c[i]);
    }
    for (const { proc } of sides) proc.send({ cmd: 'exit' });
  }
  // Ratios per round (each round's apps ran back to back), then their median and quartiles.
  const ratios = (xs) => xs.map((side) => side.map((v, i) => v / xs[0][i]));
  if (process.env.BENCH_DEBUG) for (const side of ratios(wall)) console.log(side.map((v) => v.toFixed(2)).join(' '));
  return { wall: wall.map(median), cpu: cpu.map(median), wallRatio: ratios(wall).map(median), cpuRatio: ratios(cpu).map(median), wallIqr: ratios(wall).map(quartiles) };
}

async function memory(port, path) {
  server.send({ cmd: 'sample-start' });
  await once(server, 'message');
  const r = await get(port, path);
  server.send({ cmd: 'sample-stop' });
  const [{ base, peak }] = await once(server, 'message');
  return { ...r, growthMb: (peak - base) / 1024 / 1024, baseMb: base / 1024 / 1024 };
}

console.log(`HTTP middleware benchmark — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);

const json = await compareBatches('/api/order');
const r3 = (x) => fmt(x, 3);
const iqr = (i) => `${r3(json.wallIqr[i][0])}–${r3(json.wallIqr[i][1])}`;
console.log(
  `small JSON (non-report): without ${fmt(json.wall[0] * 1000, 0)} µs, with ${fmt(json.wall[1] * 1000, 0)} µs per request → ratio ${r3(json.wallRatio[1])} (goal ≤ 1.05; quartiles ${iqr(1)}); ` +
    `server CPU ${fmt(json.cpu[0], 1)} → ${fmt(json.cpu[1], 1)} µs/request (ratio ${r3(json.cpuRatio[1])})`,
);
console.log(
  `  any one no-op middleware: ${fmt(json.wall[2] * 1000, 0)} µs (ratio ${r3(json.wallRatio[2])}, quartiles ${iqr(2)}), server CPU ${fmt(json.cpu[2], 1)} µs (ratio ${r3(json.cpuRatio[2])})`,
);
console.log(
  `  labelgate with routesOnly (reports marked by labelRoute): ${fmt(json.wall[3] * 1000, 0)} µs (ratio ${r3(json.wallRatio[3])}, quartiles ${iqr(3)}), server CPU ${fmt(json.cpu[3], 1)} µs (ratio ${r3(json.cpuRatio[3])})`,
);
console.log(
  `  the plain app again in other processes (A/A, the noise floor): ratio ${r3(json.wallRatio[4])} (quartiles ${iqr(4)}), server CPU ratio ${r3(json.cpuRatio[4])}`,
);
console.log(
  `  (ratios: median over ${JSON_ROUNDS} rounds of each round's ratio to the plain app; fresh server processes every round, one per app` +
    (PIN ? ', pinned to one core and the client to another)' : ')'),
);
console.log(
  `  labelgate's own work on a pass-through response (in-process, Express prototypes, no network): ${fmt(passThroughCost('auto'), 2)} µs hooked through the prototype layer, ` +
    `${fmt(passThroughCost('per-response'), 2)} µs with own-property wrappers`,
);

const csv = await compare('/export.csv', ROUNDS);
console.log(
  `${process.env.BENCH_CSV_MB ?? 10} MB CSV export (generated, streamed): without ${fmt(csv.without)} ms, with ${fmt(csv.with)} ms → ratio ${fmt(csv.with / csv.without, 2)} (goal ≤ 1.3)  [${csv.label}]`,
);
const held = await compare('/export-held.csv', ROUNDS);
console.log(`  same export held whole until labeled (earlyDecision: false): with ${fmt(held.with)} ms → ratio ${fmt(held.with / held.without, 2)}  [${held.label}]`);
const clean = await compare('/export-clean.csv', ROUNDS);
console.log(`  an export with nothing personal (its default label is only certain at the end: held): without ${fmt(clean.without)} ms, with ${fmt(clean.with)} ms → ratio ${fmt(clean.with / clean.without, 2)}  [${clean.label}]`);
const fixed = await compare('/export-fixed.csv', ROUNDS);
console.log(`  same export, fixed label (no classifier; decided early): with ${fmt(fixed.with)} ms → ratio ${fmt(fixed.with / fixed.without, 2)}`);
const fixedHeld = await compare('/export-fixed-held.csv', ROUNDS);
console.log(`  same export, fixed label held whole (capture + replay): with ${fmt(fixedHeld.with)} ms → ratio ${fmt(fixedHeld.with / fixedHeld.without, 2)}`);
const byRow = await compare('/export-rows.csv', ROUNDS);
console.log(`  same export written one row per res.write, classified: without ${fmt(byRow.without)} ms, with ${fmt(byRow.with)} ms → ratio ${fmt(byRow.with / byRow.without, 2)}`);
const pre = await compare('/prebuilt.csv', ROUNDS);
console.log(`${process.env.BENCH_CSV_MB ?? 10} MB CSV res.send(prebuilt buffer): without ${fmt(pre.without)} ms, with ${fmt(pre.with)} ms → ratio ${fmt(pre.with / pre.without, 2)}`);

if (EXPORT_MB > 0) {
  const tempBefore = readdirSync(tmpdir()).filter((f) => /^labelgate-\d+-[0-9a-f]+\.part$/.test(f)).length;
  for (const [title, port, path] of [
    ['streamed non-report (pass-through)', labeled, '/stream-big.html'],
    ['streamed CSV export, fixed label held whole (capture + spill + replay)', labeled, '/export-big-fixed.csv'],
    ['streamed CSV export, classified (decided early, streamed and scanned)', labeled, '/export-big.csv'],
  ]) {
    const m = await memory(port, path);
    const outcome = m.status === 200 ? (m.headers['sensitivity-label'] ? 'labeled' : 'untouched') : `status ${m.status}`;
    console.log(`${EXPORT_MB} MB ${title}: ${fmt(m.ms / 1000, 1)} s, ${fmt(m.bytes / 1024 / 1024, 0)} MB received, ${outcome}, RSS growth ${fmt(m.growthMb)} MB (goal ≤ 64)`);
  }
  // Temp files are removed right after the response ends: give the unlink a moment.
  const spoolFiles = () => readdirSync(tmpdir()).filter((f) => /^labelgate-\d+-[0-9a-f]+\.part$/.test(f)).length;
  for (let i = 0; i < 50 && spoolFiles() > tempBefore; i++) await new Promise((r) => setTimeout(r, 50));
  const tempAfter = spoolFiles();
  console.log(`temp files left behind: ${tempAfter - tempBefore}`);
}

server.send({ cmd: 'exit' });
agent.destroy();
