// The labelgate demo LOB app (Express): report downloads in CSV, JSON, PDF and XLSX, labeled with
// the embedded default policy. `npm start`, then e.g. `curl -i http://localhost:3000/reports/customers.csv`.
import express from 'express';
import { pino } from 'pino';
import { expressLabeling, labelRoute } from 'labelgate/express';
import { generateDataSet, toCsvLines } from './data.mjs';
import { CUSTOMER_COLUMNS, ORDER_COLUMNS, csvStream, customersPdf, customersXlsx, indexPage, printStartBanner } from './reports.mjs';

const port = Number(process.env.PORT ?? 3000);
const { customers, orders } = generateDataSet();
const logger = pino({ name: 'demo-app', level: process.env.LOG_LEVEL ?? 'info' });

export const app = express();

// One line labels every report download: attachments and CSV/TSV/PDF/OOXML responses are in scope.
// The audit events go to the app's logger; the signed-in user would come from your auth middleware.
const labeling = expressLabeling({ logger, user: () => 'demo.user@example.com' });
app.use(labeling);

app.get('/', (_req, res) => {
  res.type('html').send(indexPage('Express', port));
});

app.get('/reports/customers.csv', (_req, res) => {
  res.attachment('customers.csv');
  csvStream(customers, CUSTOMER_COLUMNS).pipe(res);
});

// Opt-in banner: the label's header marking as the first line of the CSV.
app.get('/reports/customers-banner.csv', labelRoute({ banner: true }), (_req, res) => {
  res.attachment('customers-banner.csv');
  csvStream(customers, CUSTOMER_COLUMNS).pipe(res);
});

app.get('/reports/orders.csv', (_req, res) => {
  res.type('csv').send(toCsvLines(orders, ORDER_COLUMNS).join(''));
});

// An HR export is at least Confidential, whatever the classifier finds.
app.get('/reports/hr-export.csv', labelRoute({ minimumLabel: 'Confidential' }), (_req, res) => {
  res.attachment('hr-export.csv');
  res.send(['employee,department', ...customers.slice(0, 20).map((c) => `${c.name},Sales`)].join('\n') + '\n');
});

app.get('/reports/customers.json', (_req, res) => {
  res.attachment('customers.json').json(customers);
});

// PDF and XLSX are classified through their text and labeled inside the file (metadata, markings)
// as well as in the headers. A customer report is at least Confidential, whatever is found.
app.get('/reports/customers.pdf', labelRoute({ minimumLabel: 'Confidential' }), (_req, res) => {
  res.attachment('customers.pdf');
  customersPdf(customers).pipe(res);
});

app.get('/reports/customers.xlsx', labelRoute({ minimumLabel: 'Confidential' }), async (_req, res) => {
  res.attachment('customers.xlsx').send(await customersXlsx(customers));
});

// Not a report: JSON API responses pass through untouched (no buffering, no label).
app.get('/api/customers/:id', (req, res) => {
  const customer = customers.find((c) => c.id === req.params.id);
  if (!customer) return void res.status(404).json({ error: 'not found' });
  res.json(customer);
});

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = app.listen(port, () => printStartBanner('Express', port));
  const stop = () => server.close(() => labeling.labeler.close().then(() => process.exit(0)));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
