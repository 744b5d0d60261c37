#!/usr/bin/env node
/**
 * Classifier throughput on a generated 50 MB CSV report (bench/report-data.mjs), compared in the
 * same run with a plain byte loop over the same buffer and with redact-pii's SyncRedactor.
 *
 *   npm run build && node bench/classify.mjs [--mb 50] [--runs 5] [--redact-mb 2]
 *
 * Prints MB/s (best of --runs), the ratio to the byte loop (goal ≥ 0.3), and the ratio to
 * redact-pii (run on a smaller slice, since it is much slower, and normalized to MB/s).
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createScanner } from '../dist/index.js';
import { generateReport } from './report-data.mjs';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '50' },
    runs: { type: 'string', default: '5' },
    'redact-mb': { type: 'string', default: '2' },
    chunk: { type: 'string', default: '65536' },
  },
});
const MB = 1024 * 1024;
const size = Number(values.mb) * MB;
const runs = Number(values.runs);
const chunk = Number(values.chunk);

const data = generateReport(size);
const mb = data.length / MB;

function best(fn) {
  let bestMs = Infinity;
  let result;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    result = fn();
    bestMs = Math.min(bestMs, performance.now() - t0);
  }
  return { ms: bestMs, result };
}

/** The baseline: touch every byte once. */
function byteLoop() {
  let s = 0;
  for (let i = 0; i < data.length; i++) s = (s + data[i]) | 0;
  return s;
}

function scan(options) {
  const scanner = createScanner(options);
  for (let o = 0; o < data.length; o += chunk) scanner.write(data.subarray(o, Math.min(data.length, o + chunk)));
  return scanner.end();
}

const loop = best(byteLoop);
const csv = best(() => scan({ delimiter: ',' }));
const plain = best(() => scan({}));
const loopMbs = mb / (loop.ms / 1000);
const csvMbs = mb / (csv.ms / 1000);
const plainMbs = mb / (plain.ms / 1000);

// redact-pii: SyncRedactor over a slice (cut at a line end), normalized to MB/s.
const require = createRequire(import.meta.url);
const { SyncRedactor } = require('redact-pii');
const sliceEnd = data.indexOf(10, Math.min(data.length - 1, Number(values['redact-mb']) * MB));
const slice = data.subarray(0, sliceEnd + 1).toString('utf8');
const redactor = new SyncRedactor();
const t0 = performance.now();
redactor.redact(slice);
const redactMs = performance.now() - t0;
const redactMbs = Buffer.byteLength(slice) / MB / (redactMs / 1000);

const fmt = (n) => n.toFixed(0).padStart(6);
console.log(`classifier benchmark — ${mb.toFixed(1)} MB CSV report, ${chunk}-byte chunks, best of ${runs} (node ${process.version})`);
console.log(`  plain byte loop              ${fmt(loopMbs)} MB/s`);
console.log(`  labelgate, CSV (delimiter ,) ${fmt(csvMbs)} MB/s   ratio to byte loop ${(csvMbs / loopMbs).toFixed(2)}`);
console.log(`  labelgate, plain text        ${fmt(plainMbs)} MB/s   ratio to byte loop ${(plainMbs / loopMbs).toFixed(2)}`);
console.log(`  redact-pii SyncRedactor      ${redactMbs.toFixed(2).padStart(6)} MB/s   (${(Buffer.byteLength(slice) / MB).toFixed(1)} MB slice)`);
console.log(`  labelgate CSV / redact-pii   ${fmt(csvMbs / redactMbs)}x`);
console.log('  results (CSV mode):');
for (const r of csv.result) console.log(`    ${r.sensitiveTypeId}  count ${String(r.count).padStart(7)}  confidence ${r.confidenceLevel}`);
