// Report builders shared by the Express and Koa demo apps: CSV (streamed), JSON, PDF (pdfkit),
// XLSX (exceljs) and the HTML page that lists the downloads.
import { Readable } from 'node:stream';
import PDFDocument from 'pdfkit';
import ExcelJS from 'exceljs';
import { toCsvLines } from './data.mjs';

export const CUSTOMER_COLUMNS = ['id', 'name', 'email', 'city', 'card', 'ssn', 'iban'];
export const ORDER_COLUMNS = ['id', 'customerId', 'product', 'quantity', 'amount', 'date'];

/** A CSV as a stream of lines (the way a report generator writes rows as it reads them). */
export function csvStream(rows, columns) {
  return Readable.from(toCsvLines(rows, columns).map((l) => Buffer.from(l)));
}

export function customersPdf(customers) {
  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: 'Customer report', Author: 'labelgate demo' } });
  doc.fontSize(16).text('Customer report', { underline: true }).moveDown();
  doc.fontSize(8);
  for (const c of customers.slice(0, 60)) doc.text(`${c.id}  ${c.name}  ${c.email}  card ${c.card}  SSN ${c.ssn}  IBAN ${c.iban}`);
  doc.end();
  return doc; // a Readable stream of the PDF bytes
}

export async function customersXlsx(customers) {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'labelgate demo';
  const sheet = workbook.addWorksheet('Customers');
  sheet.columns = CUSTOMER_COLUMNS.map((key) => ({ header: key, key, width: key === 'iban' ? 28 : 18 }));
  sheet.addRows(customers);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const DOWNLOADS = [
  ['/reports/customers.csv', 'Customers (CSV, streamed) — cards, SSNs, IBANs, emails'],
  ['/reports/orders.csv', 'Orders (CSV) — no personal data'],
  ['/reports/customers-banner.csv', 'Customers (CSV) with the label banner line (route option)'],
  ['/reports/hr-export.csv', 'HR export (CSV) — no sensitive data, route minimum label Confidential'],
  ['/reports/customers.json', 'Customers (JSON attachment)'],
  ['/reports/customers.pdf', 'Customers (PDF, pdfkit)'],
  ['/reports/customers.xlsx', 'Customers (XLSX, exceljs)'],
  ['/api/customers/C00001', 'JSON API (not a report: passes through unlabeled)'],
];

export function indexPage(framework, port) {
  const rows = DOWNLOADS.map(([href, title]) => `<li><a href="${href}">${title}</a><br><code>curl -i http://localhost:${port}${href}</code></li>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>labelgate demo (${framework})</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;line-height:1.5}li{margin:.6rem 0}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head><body>
<h1>Report downloads (${framework})</h1>
<p>Every report below is classified and labeled by labelgate before it leaves the app. Look at the
<code>Sensitivity-Label</code> and <code>msip_labels</code> response headers (the data is generated; no value is real).</p>
<ul>
${rows}
</ul>
</body></html>`;
}

export function printStartBanner(framework, port) {
  console.log(`labelgate demo (${framework}) on http://localhost:${port}/`);
  console.log('Try:');
  for (const [href] of DOWNLOADS) console.log(`  curl -i http://localhost:${port}${href}`);
}
