// Stamping benchmark: labeling a 200-page PDF and a 10 MB XLSX file on disk, as a ratio to the
// baseline of simply reading the same file into memory and writing it back out, plus peak RSS.
// Every case runs in a child process of its own, so each peak RSS belongs to that case alone.
// Inputs are generated on first use into bench/.data (pdfkit report, exceljs streaming workbook).
// Run: npm run build && node bench/stamp.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const data = join(here, '.data');
const PDF = join(data, 'report-200-pages.pdf');
const XLSX = join(data, 'export-10mb.xlsx');

const CASES = {
  'xlsx-metadata': { file: XLSX, options: { filename: 'export.xlsx', label: 'General' }, runs: 20, what: '10 MB XLSX, label only (custom.xml + LabelInfo.xml)' },
  'xlsx-markings': { file: XLSX, options: { filename: 'export.xlsx', label: 'Highly Confidential' }, runs: 5, what: '10 MB XLSX, label + print header/footer (sheet rewritten)' },
  'xlsx-classify': { file: XLSX, options: { filename: 'export.xlsx' }, runs: 2, what: '10 MB XLSX, classify 62 MB of sheet XML + label' },
  'pdf-markings': { file: PDF, options: { filename: 'report.pdf', label: 'Highly Confidential' }, runs: 30, what: '200-page PDF, label + header, footer, watermark' },
  'pdf-classify': { file: PDF, options: { filename: 'report.pdf' }, runs: 2, what: '200-page PDF, classify (pdf.js text) + label' },
};

async function generatePdf() {
  const { default: PDFKit } = await import('pdfkit');
  const doc = new PDFKit({ size: 'A4', info: { Title: 'Monthly settlement report' } });
  const chunks = [];
  doc.on('data', (c) => chunks.push(c));
  const done = new Promise((resolve) => doc.on('end', resolve));
  for (let p = 0; p < 200; p++) {
    if (p > 0) doc.addPage();
    doc.fontSize(14).text(`Settlement report — page ${p + 1} of 200`);
    doc.moveDown().fontSize(8);
    for (let r = 0; r < 55; r++) {
      const n = p * 55 + r;
      doc.text(`${String(n).padStart(6, '0')}  Customer ${n}  customer${n}@example.com  DE89 3704 0044 0532 0130 00  ${(n * 13.37).toFixed(2)} EUR`);
    }
  }
  doc.end();
  await done;
  await writeFile(PDF, Buffer.concat(chunks));
}

async function generateXlsx() {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: XLSX, useSharedStrings: true });
  const ws = wb.addWorksheet('Export');
  ws.addRow(['id', 'name', 'email', 'card', 'amount', 'note']).commit();
  for (let i = 0; i < 160_000; i++) {
    ws.addRow([i, `Customer ${i}`, `user${i}@example.com`, `4111-1111-1111-${String(i % 10_000).padStart(4, '0')}`, i * 1.37, `note ${(i * 7919) % 100_000} lorem ipsum ${i % 97}`]).commit();
  }
  ws.commit();
  await wb.commit();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Child: run one case and print its figures as JSON. */
async function runCase(name) {
  const { createLabeler } = await import('../dist/index.js');
  const c = CASES[name];
  const out = join(data, `out-${name}`);
  const labeler = createLabeler();
  const copy = async () => writeFile(out, await readFile(c.file));
  const stamp = async () => writeFile(out, (await labeler.stamp(await readFile(c.file), c.options)).body);
  // The first call pays for lazily loaded code (font metrics, pdf.js) and a cold JIT: reported on
  // its own. Then a few warm-up rounds, then alternate so both see the same machine state.
  await copy();
  const firstMs = await timed(stamp);
  for (let i = 0; i < Math.min(20, c.runs); i++) {
    await copy();
    await stamp();
  }
  const copies = [];
  const stamps = [];
  for (let i = 0; i < c.runs; i++) {
    copies.push(await timed(copy));
    stamps.push(await timed(stamp));
  }
  await rm(out, { force: true });
  const copyMs = median(copies);
  const stampMs = median(stamps);
  console.log(JSON.stringify({ name, copyMs, stampMs, firstMs, ratio: stampMs / copyMs, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

async function main() {
  mkdirSync(data, { recursive: true });
  if (!existsSync(PDF)) await generatePdf();
  if (!existsSync(XLSX)) await generateXlsx();
  console.log(`node ${process.version}; inputs: ${PDF.replace(here, 'bench')} (${(statSync(PDF).size / 1e6).toFixed(2)} MB), ${XLSX.replace(here, 'bench')} (${(statSync(XLSX).size / 1e6).toFixed(2)} MB)`);
  console.log('copy = readFile + writeFile of the same file (baseline); stamp = readFile + labeler.stamp + writeFile;');
  console.log('both: median of N alternating runs after warm-up; first call = the process\'s first stamp (cold); peak RSS of the case\'s own process\n');
  console.log(`${'case'.padEnd(60)} ${'copy'.padStart(9)} ${'stamp'.padStart(10)} ${'ratio'.padStart(8)} ${'first call'.padStart(11)} ${'peak RSS'.padStart(9)}`);
  for (const name of Object.keys(CASES)) {
    const line = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--case', name], { encoding: 'utf8' }).trim().split('\n').pop();
    const r = JSON.parse(line);
    console.log(
      `${CASES[name].what.padEnd(60)} ${`${r.copyMs.toFixed(1)} ms`.padStart(9)} ${`${r.stampMs.toFixed(1)} ms`.padStart(10)} ${`${r.ratio.toFixed(1)}x`.padStart(8)} ${`${r.firstMs.toFixed(0)} ms`.padStart(11)} ${`${r.peakRssMb.toFixed(0)} MB`.padStart(9)}`,
    );
  }
  console.log('\ngoals: XLSX stamping <= 3x the copy, PDF stamping <= 10x the copy');
}

const at = process.argv.indexOf('--case');
if (at !== -1) await runCase(process.argv[at + 1]);
else await main();
