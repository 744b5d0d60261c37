// The smallest useful setup for Koa: label every report download.
//   npm run build && node examples/koa-basic.mjs
//   curl -i http://localhost:3000/export.csv
import Koa from 'koa';
import Router from '@koa/router';
import { koaLabeling, labelRoute } from 'labelgate/koa';

const app = new Koa();
const router = new Router();

app.use(koaLabeling());

router.get('/export.csv', (ctx) => {
  ctx.attachment('export.csv');
  ctx.body = 'name,card\nAda Lovelace,4111 1111 1111 1111\n';
});

router.get('/hr.csv', labelRoute({ minimumLabel: 'Confidential' }), (ctx) => {
  ctx.type = 'csv';
  ctx.body = 'employee,team\nGrace Hopper,Compilers\n';
});

app.use(router.routes());
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`curl -i http://localhost:${port}/export.csv`));
