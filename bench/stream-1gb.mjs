#!/usr/bin/env node
/**
 * Memory stays flat while a large report is streamed through `classify`: 1 GB (default) of CSV
 * from a Node Readable in 64 KiB chunks, with peak RSS printed. Not run by `npm test`.
 *
 *   npm run build && node bench/stream-1gb.mjs [--gb 1] [--delimiter ,|none]
 *
 * The stream repeats one generated 16 MB block of the dense report, rewriting two characters of
 * every email address per round, so generation does not dominate the run while values keep
 * changing (the distinct email count keeps growing past the exact sets into the sketches).
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
const samples = [];
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

function* chunks() {
  yield block.subarray(0, block.indexOf(10) + 1);
  let sent = 0;
  for (let round = 0; sent < total; round++) {
    // Vary the block so values differ between rounds: two characters before every "@".
    const copy = Buffer.from(body);
    const tag = String(round).padStart(4, '0').slice(-2);
    for (let at = copy.indexOf(64); at !== -1; at = copy.indexOf(64, at + 1)) {
      copy[at - 2] = tag.charCodeAt(0);
      copy[at - 1] = tag.charCodeAt(1);
    }
    for (let o = 0; o < copy.length && sent < total; o += CHUNK) {
      const piece = copy.subarray(o, Math.min(copy.length, o + CHUNK));
      const before = Math.floor((sent * 4) / total);
      sent += piece.length;
      sample();
      if (Math.floor((sent * 4) / total) > before) samples.push(`${Math.round((sent / total) * 100)}%: ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
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
console.log(`RSS while streaming: ${samples.join(', ')}`);
for (const r of results) console.log(`  ${r.sensitiveTypeId}  count ${String(r.count).padStart(9)}  confidence ${r.confidenceLevel}`);
