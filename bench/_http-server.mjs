// Server half of bench/http.mjs, run in a child process so the client does not share its event
// loop. Two Express apps with identical routes: one plain, one behind expressLabeling. Reports its
// ports over IPC and samples its own RSS on request.
import express from 'express';
import { pino } from 'pino';
import { expressLabeling, labelRoute } from '../dist/express.js';

const CSV_BYTES = Number(process.env.BENCH_CSV_MB ?? 10) * 1024 * 1024;
const EXPORT_BYTES = Number(process.env.BENCH_EXPORT_MB ?? 1024) * 1024 * 1024;

/** A Luhn-valid 16-digit card number of customer `n` (each customer has their own). */
function cardOf(n) {
  const body = `4000${String(n).padStart(11, '0')}`;
  let sum = 0;
  for (let k = 0; k < 15; k++) {
    let x = body.charCodeAt(14 - k) - 48;
    if (k % 2 === 0) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
    sum += x;
  }
  return body + ((10 - (sum % 10)) % 10);
}

// A customer table as a database would return it; 1 row in 20 carries personal data (each
// customer's own card number, e-mail and SSN-like number).
const ROWS = Array.from({ length: 5000 }, (_, i) => ({
  id: i,
  name: `Customer ${i}`,
  email: i % 20 === 0 ? `customer${i}@example.com` : '',
  city: ['Berlin', 'Lisbon', 'Dublin', 'Austin'][i % 4],
  card: i % 20 === 0,
  ssn: i % 40 === 0 ? '123-45-6789' : '',
  amount: (i * 7.31) % 1000,
  date: `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
}));
const HEADER = 'id,name,email,city,card,ssn,amount,date\n';
const line = (r, n) => `${n},${r.name},${r.email},${r.city},${r.card ? cardOf(n) : ''},${r.ssn},${r.amount.toFixed(2)},${r.date}\n`;
/** The same rows with nothing personal in them (an order export: the label is the default one). */
const cleanLine = (r, n) => `${n},${r.name},,${r.city},,,${r.amount.toFixed(2)},${r.date}\n`;

/**
 * Write `total` bytes of CSV, formatted row by row in pages of `perWrite` rows (500: a page of a
 * database cursor; 1: a writer that sends each row as it formats it), honouring backpressure.
 */
function writeCsv(res, total, done, perWrite = 500, format = line) {
  let written = 0;
  let n = 0;
  res.write(HEADER);
  const page = () => {
    while (written < total) {
      let chunk = '';
      for (let k = 0; k < perWrite; k++, n++) chunk += format(ROWS[n % ROWS.length], n);
      written += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', page);
        return;
      }
      // A database cursor yields between pages.
      if (n % 5000 < perWrite) return void setImmediate(page);
    }
    res.end();
    done?.();
  };
  page();
}

let prebuilt;
function prebuiltCsv() {
  if (!prebuilt) {
    const parts = [HEADER];
    let size = HEADER.length;
    for (let n = 0; size < CSV_BYTES; n++) {
      const l = line(ROWS[n % ROWS.length], n);
      parts.push(l);
      size += l.length;
    }
    prebuilt = Buffer.from(parts.join(''));
  }
  return prebuilt;
}

const SMALL = { id: 42, status: 'shipped', items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }], total: 129.5 };

function routes(app, labeled) {
  const big = labeled ? [labelRoute({ maxBytes: 2 * EXPORT_BYTES + 1024 * 1024 })] : [];
  app.get('/export.csv', (_req, res) => {
    res.attachment('export.csv');
    writeCsv(res, CSV_BYTES);
  });
  // The same export held whole until labeled (no early decision): capture, scan, replay.
  app.get('/export-held.csv', ...(labeled ? [labelRoute({ earlyDecision: false })] : []), (_req, res) => {
    res.attachment('export.csv');
    writeCsv(res, CSV_BYTES);
  });
  // An export with nothing personal in it: its label (the default) is only certain at its end.
  app.get('/export-clean.csv', (_req, res) => {
    res.attachment('export.csv');
    writeCsv(res, CSV_BYTES, undefined, 500, cleanLine);
  });
  // The same export with a fixed label: no classifier (decided early, streamed).
  app.get('/export-fixed.csv', ...(labeled ? [labelRoute({ label: 'Confidential' })] : []), (_req, res) => {
    res.attachment('export.csv');
    writeCsv(res, CSV_BYTES);
  });
  // Fixed label, held whole: what capture and replay cost without the classifier.
  app.get('/export-fixed-held.csv', ...(labeled ? [labelRoute({ label: 'Confidential', earlyDecision: false })] : []), (_req, res) => {
    res.attachment('export.csv');
    writeCsv(res, CSV_BYTES);
  });
  // The same export written one row per res.write.
  app.get('/export-rows.csv', (_req, res) => {
    res.attachment('export.csv');
    writeCsv(res, CSV_BYTES, undefined, 1);
  });
  app.get('/prebuilt.csv', (_req, res) => {
    res.type('csv').send(prebuiltCsv());
  });
  app.get('/api/order', (_req, res) => {
    res.json(SMALL);
  });
  app.get('/export-big.csv', ...big, (_req, res) => {
    res.attachment('export-big.csv');
    writeCsv(res, EXPORT_BYTES);
  });
  // Same export with a fixed label, held whole: capture, spill and replay without the classifier.
  app.get('/export-big-fixed.csv', ...(labeled ? [labelRoute({ maxBytes: 2 * EXPORT_BYTES + 1024 * 1024, label: 'Confidential', earlyDecision: false })] : []), (_req, res) => {
    res.attachment('export-big-fixed.csv');
    writeCsv(res, EXPORT_BYTES);
  });
  // Not a report: streamed HTML of the same size.
  app.get('/stream-big.html', (_req, res) => {
    res.type('html');
    writeCsv(res, EXPORT_BYTES);
  });
}

const plain = express();
routes(plain, false);
const labeled = express();
// BENCH_SCAN_IN_WORKER=0 classifies inline, for comparison.
labeled.use(expressLabeling({ logger: pino({ level: 'silent' }), scanInWorker: process.env.BENCH_SCAN_IN_WORKER !== '0' }));
routes(labeled, true);
// The floor: what any one extra middleware layer costs in this Express version.
const noop = express();
noop.use((_req, _res, next) => next());
routes(noop, false);
// routesOnly: only routes with labelRoute (or in the match table) are intercepted at all.
const routesOnly = express();
routesOnly.use(expressLabeling({ logger: pino({ level: 'silent' }), routesOnly: true }));
routes(routesOnly, true);

// BENCH_ONLY=<name>: serve that one app (the small-JSON comparison runs each app in a process of
// its own, so garbage and JIT state of one app do not land on another's measurements).
const only = process.env.BENCH_ONLY;
const apps = { plain, labeled, noop, routesOnly };
const servers = await Promise.all(
  Object.entries(apps).map(
    ([name, app]) =>
      new Promise((resolve) => {
        if (only && only !== name) return resolve(undefined);
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
        s.keepAliveTimeout = 60_000;
      }),
  ),
);

let sampler;
let peak = 0;
let base = 0;
process.on('message', (msg) => {
  if (msg.cmd === 'sample-start') {
    globalThis.gc?.();
    base = process.memoryUsage().rss;
    peak = base;
    sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    process.send({ cmd: 'sample-started', base });
  } else if (msg.cmd === 'sample-stop') {
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    process.send({ cmd: 'sample', base, peak });
  } else if (msg.cmd === 'cpu') {
    process.send({ cmd: 'cpu', usage: process.cpuUsage() });
  } else if (msg.cmd === 'exit') {
    for (const s of servers) s?.close();
    process.exit(0);
  }
});
const portOf = (s) => s?.address().port;
process.send({ cmd: 'ready', plain: portOf(servers[0]), labeled: portOf(servers[1]), noop: portOf(servers[2]), routesOnly: portOf(servers[3]) });
