// The smallest useful setup: label every report download of an Express app.
//   npm run build && node examples/express-basic.mjs
//   curl -i http://localhost:3000/export.csv
import express from 'express';
import { expressLabeling, labelRoute } from 'labelgate/express';

const app = express();

// Embedded default policy, fail closed, audit events to a pino logger on stdout.
app.use(expressLabeling());

app.get('/export.csv', (_req, res) => {
  res.attachment('export.csv').send('name,card\nAda Lovelace,4111 1111 1111 1111\n');
});

// Per route: an HR export is at least Confidential.
app.get('/hr.csv', labelRoute({ minimumLabel: 'Confidential' }), (_req, res) => {
  res.type('csv').send('employee,team\nGrace Hopper,Compilers\n');
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`curl -i http://localhost:${port}/export.csv`));
