#!/usr/bin/env node
/**
 * Memory stays flat while a large report is streamed through `classify`: 1 GB (default) of CSV
 * from a Node Readable in 64 KiB chunks, with peak RSS printed. Not run by `npm test`.
 *
 *   npm run build && node bench/stream-1gb.mjs [--gb 1] [--delimiter ,|none]
 *
 * The stream repeats one generated 16 MB block of the dense report with a changing row prefix, so
 * generation does not dominate the run and the values keep changing (distinct counts grow).
 */
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { classify } from '../dist/index.js';
import { generateReport } from './report-data.mjs';

const { values } = parseArgs({ options: { gb: { type: 'string', default: '1' }, delimiter: { type: 'string', default: ',' } } });
const total = Number(values.gb) * 1024 ** 3;
const CHUNK = 64 * 1024;
const block = generateReport(16 * 1024 * 1024);
const body = block.subarray(block.indexOf(10) + 1); // without the header row

let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

function* chunks() {
  yield block.subarray(0, block.indexOf(10) + 1);
  let sent = 0;
  for (let round = 0; sent < total; round++) {
    // Vary the block so values differ between rounds: overwrite the order ids' first digits.
    const copy = Buffer.from(body);
    const tag = String(round % 100).padStart(2, '0');
    for (let i = 0; i + 1 < copy.length; i++) {
      if (copy[i] === 10 && i + 3 < copy.length) {
        copy[i + 1] = tag.charCodeAt(0);
        copy[i + 2] = tag.charCodeAt(1);
      }
    }
    for (let o = 0; o < copy.length && sent < total; o += CHUNK) {
      const piece = copy.subarray(o, Math.min(copy.length, o + CHUNK));
      sent += piece.length;
      if ((sent / CHUNK) % 256 === 0) sample();
      yield piece;
    }
  }
}

sample();
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const results = await classify(Readable.from(chunks(), { objectMode: false, highWaterMark: 4 }), {
  delimiter: values.delimiter === 'none' ? undefined : values.delimiter,
});
const seconds = (performance.now() - t0) / 1000;
sample();
const maxRss = process.resourceUsage().maxRSS * 1024;
const MB = 1024 * 1024;
console.log(`streamed ${(total / 1024 ** 3).toFixed(2)} GB in ${seconds.toFixed(1)} s: ${(total / MB / seconds).toFixed(0)} MB/s (node ${process.version})`);
console.log(`RSS before ${(rssBefore / MB).toFixed(0)} MB (the 16 MB source block included), peak RSS ${(Math.max(peakRss, maxRss) / MB).toFixed(0)} MB`);
for (const r of results) console.log(`  ${r.sensitiveTypeId}  count ${String(r.count).padStart(9)}  confidence ${r.confidenceLevel}`);
