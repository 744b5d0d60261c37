// The labelgate demo LOB app, Koa edition: the same downloads as express.mjs with Koa 3 and
// @koa/router. `npm run start:koa`, then e.g. `curl -i http://localhost:3000/reports/customers.csv`.
import Koa from 'koa';
import Router from '@koa/router';
import { pino } from 'pino';
import { koaLabeling, labelRoute } from 'labelgate/koa';
import { generateDataSet, toCsvLines } from './data.mjs';
import { CUSTOMER_COLUMNS, ORDER_COLUMNS, csvStream, customersPdf, customersXlsx, indexPage, printStartBanner } from './reports.mjs';

const port = Number(process.env.PORT ?? 3000);
const { customers, orders } = generateDataSet();
const logger = pino({ name: 'demo-app-koa', level: process.env.LOG_LEVEL ?? 'info' });

export const app = new Koa();
const router = new Router();

// Registered before the router: it sees every response after the routes ran (like koa-compress).
const labeling = koaLabeling({ logger, user: () => 'demo.user@example.com' });
app.use(labeling);

router.get('/', (ctx) => {
  ctx.type = 'html';
  ctx.body = indexPage('Koa', port);
});

router.get('/reports/customers.csv', (ctx) => {
  ctx.attachment('customers.csv');
  ctx.body = csvStream(customers, CUSTOMER_COLUMNS);
});

router.get('/reports/customers-banner.csv', labelRoute({ banner: true }), (ctx) => {
  ctx.attachment('customers-banner.csv');
  ctx.body = csvStream(customers, CUSTOMER_COLUMNS);
});

router.get('/reports/orders.csv', (ctx) => {
  ctx.type = 'csv';
  ctx.body = toCsvLines(orders, ORDER_COLUMNS).join('');
});

router.get('/reports/hr-export.csv', labelRoute({ minimumLabel: 'Confidential' }), (ctx) => {
  ctx.attachment('hr-export.csv');
  ctx.body = ['employee,department', ...customers.slice(0, 20).map((c) => `${c.name},Sales`)].join('\n') + '\n';
});

router.get('/reports/customers.json', (ctx) => {
  ctx.attachment('customers.json');
  ctx.body = customers;
});

router.get('/reports/customers.pdf', labelRoute({ minimumLabel: 'Confidential' }), (ctx) => {
  ctx.attachment('customers.pdf');
  ctx.body = customersPdf(customers);
});

router.get('/reports/customers.xlsx', labelRoute({ minimumLabel: 'Confidential' }), async (ctx) => {
  ctx.attachment('customers.xlsx');
  ctx.body = await customersXlsx(customers);
});

router.get('/api/customers/:id', (ctx) => {
  const customer = customers.find((c) => c.id === ctx.params.id);
  if (!customer) ctx.throw(404, 'not found');
  ctx.body = customer;
});

app.use(router.routes()).use(router.allowedMethods());

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = app.listen(port, () => printStartBanner('Koa', port));
  const stop = () => server.close(() => labeling.labeler.close().then(() => process.exit(0)));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
