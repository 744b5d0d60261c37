#!/usr/bin/env node
/**
 * Classifier throughput on generated 50 MB CSV reports (bench/report-data.mjs), compared in the
 * same run with a plain byte loop over the same buffer and with redact-pii's SyncRedactor.
 *
 *   npm run build && node bench/classify.mjs [--mb 50] [--runs 5] [--redact-mb 1] [--chunk 65536]
 *
 * Two reports with the same columns: "dense" (a customer export: email and phone on every row,
 * a client IP on half; cards/IBANs/SSNs on 5%/5%/3%) and "sparse" (contact data on 5% of rows, as
 * in the ecosystem notes' measurements). Each is scanned in CSV mode (delimiter ",", as the HTTP
 * capture layer does for text/csv) and as plain text; the dense report is also scanned as a JSON
 * array of objects (an API download). Prints MB/s (best of --runs; wall clock and
 * CPU time), the ratio to the byte loop, and the ratio to redact-pii (run on a smaller slice since
 * it is much slower, normalized to MB/s).
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createScanner } from '../dist/index.js';
import { generateJsonReport, generateReport } from './report-data.mjs';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    'redact-mb': { type: 'string', default: '1' },
    chunk: { type: 'string', default: '65536' },
  },
});
const MB = 1024 * 1024;
const runs = Number(values.runs);
const chunk = Number(values.chunk);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Best of `runs`: wall and CPU milliseconds (CPU time is less disturbed by other processes). */
function best(fn) {
  let wall = Infinity;
  let cpu = Infinity;
  let result;
  for (let r = 0; r < runs; r++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    result = fn();
    wall = Math.min(wall, performance.now() - t0);
    cpu = Math.min(cpu, cpuMs() - c0);
  }
  return { wall, cpu, result };
}

function byteLoop(data) {
  let s = 0;
  for (let i = 0; i < data.length; i++) s = (s + data[i]) | 0;
  return s;
}

function scan(data, options) {
  const scanner = createScanner(options);
  for (let o = 0; o < data.length; o += chunk) scanner.write(data.subarray(o, Math.min(data.length, o + chunk)));
  return scanner.end();
}

const require = createRequire(import.meta.url);
const { SyncRedactor } = require('redact-pii');
const redactor = new SyncRedactor();

const fmt = (n) => n.toFixed(0).padStart(5);
console.log(`classifier benchmark — ${values.mb} MB generated CSV reports, ${chunk}-byte writes, best of ${runs}`);
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);

for (const [name, contact] of [
  ['dense (contact data on every row)', 1],
  ['sparse (contact data on 5% of rows)', 0.05],
]) {
  const data = generateReport(Number(values.mb) * MB, { contact });
  const mb = data.length / MB;
  const loop = best(() => byteLoop(data));
  const csv = best(() => scan(data, { delimiter: ',' }));
  const plain = best(() => scan(data, {}));
  const sliceEnd = data.indexOf(10, Math.min(data.length - 1, Number(values['redact-mb']) * MB));
  const slice = data.subarray(0, sliceEnd + 1).toString('utf8');
  const t0 = performance.now();
  redactor.redact(slice);
  const redactMbs = Buffer.byteLength(slice) / MB / ((performance.now() - t0) / 1000);

  const rate = (ms) => mb / (ms / 1000);
  console.log(`${name}: ${mb.toFixed(1)} MB, ${data.toString('latin1').split('\n').length - 1} rows`);
  console.log(`  plain byte loop              ${fmt(rate(loop.wall))} MB/s wall  ${fmt(rate(loop.cpu))} MB/s cpu`);
  for (const [label, r] of [
    ['labelgate CSV (delimiter ,)', csv],
    ['labelgate plain text      ', plain],
  ]) {
    console.log(
      `  ${label}  ${fmt(rate(r.wall))} MB/s wall  ${fmt(rate(r.cpu))} MB/s cpu   ratio to byte loop ${(loop.wall / r.wall).toFixed(2)} (cpu ${(loop.cpu / r.cpu).toFixed(2)})`,
    );
  }
  console.log(`  redact-pii SyncRedactor      ${redactMbs.toFixed(2).padStart(5)} MB/s wall (${(Buffer.byteLength(slice) / MB).toFixed(1)} MB slice)`);
  console.log(`  labelgate CSV / redact-pii   ${fmt(rate(csv.wall) / redactMbs)}x`);
  console.log('  results (CSV mode):');
  for (const r of csv.result) console.log(`    ${r.sensitiveTypeId}  count ${String(r.count).padStart(7)}  confidence ${r.confidenceLevel}`);
  console.log('');
}

// The dense report as JSON (an API download): scanned as text, its keys naming the values.
{
  const data = generateJsonReport(Number(values.mb) * MB);
  const mb = data.length / MB;
  const loop = best(() => byteLoop(data));
  const json = best(() => scan(data, {}));
  const rate = (ms) => mb / (ms / 1000);
  console.log(`dense report as a JSON array: ${mb.toFixed(1)} MB`);
  console.log(`  plain byte loop              ${fmt(rate(loop.wall))} MB/s wall  ${fmt(rate(loop.cpu))} MB/s cpu`);
  console.log(`  labelgate (text, JSON keys)  ${fmt(rate(json.wall))} MB/s wall  ${fmt(rate(json.cpu))} MB/s cpu   ratio to byte loop ${(loop.wall / json.wall).toFixed(2)} (cpu ${(loop.cpu / json.cpu).toFixed(2)})`);
}
