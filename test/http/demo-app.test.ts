/**
 * The demo LOB app under examples/ (it imports the built package, which `npm test` builds first):
 * both editions label the report downloads and leave the JSON API alone; the data set is
 * deterministic and its planted values are well-formed.
 */
import { describe, expect, it } from 'vitest';
import request from 'supertest';
import type { RequestListener } from 'node:http';

interface DemoData {
  generateDataSet(): { customers: { card: string; ssn: string; iban: string; email: string }[]; orders: unknown[] };
}

// The demo apps log their audit events; keep test output quiet.
process.env.LOG_LEVEL = 'silent';

// Variable specifiers: the examples are plain .mjs files outside the type-checked tree.
const load = (path: string) => import(new URL(path, import.meta.url).href);

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

function ibanValid(iban: string): boolean {
  const rearranged = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of rearranged) rem = (rem * 10 + Number(ch)) % 97;
  return rem === 1;
}

describe('demo app', () => {
  it('generates the same well-formed data every time', async () => {
    const data = (await load('../../examples/demo-app/data.mjs')) as DemoData;
    const a = data.generateDataSet();
    expect(data.generateDataSet()).toEqual(a);
    expect(a.customers.length).toBe(200);
    for (const c of a.customers) {
      expect(luhn(c.card)).toBe(true);
      expect(c.ssn).toMatch(/^(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/);
      expect(ibanValid(c.iban)).toBe(true);
      expect(c.email).toMatch(/@example\.com$/);
    }
  });

  it.each([
    ['Express', '../../examples/demo-app/express.mjs', (m: { app: RequestListener }) => m.app],
    ['Koa', '../../examples/demo-app/koa.mjs', (m: { app: { callback(): RequestListener } }) => m.app.callback()],
  ] as const)('%s edition labels the downloads', async (_name, path, listener) => {
    const handler = listener((await load(path)) as never);
    const page = await request(handler).get('/');
    expect(page.text).toContain('curl -i http://localhost:');
    const csv = await request(handler).get('/reports/customers.csv');
    expect(csv.headers['sensitivity-label']).toContain('name="Highly Confidential"');
    const orders = await request(handler).get('/reports/orders.csv');
    expect(orders.headers['sensitivity-label']).toContain('name="General"');
    const hr = await request(handler).get('/reports/hr-export.csv');
    expect(hr.headers['sensitivity-label']).toContain('name="Confidential"');
    const banner = await request(handler).get('/reports/customers-banner.csv');
    expect(banner.text.startsWith('HIGHLY CONFIDENTIAL\n')).toBe(true);
    for (const report of ['/reports/customers.json', '/reports/customers.pdf', '/reports/customers.xlsx']) {
      const res = await request(handler)
        .get(report)
        .buffer(true)
        .parse((r, cb) => {
          const parts: Buffer[] = [];
          r.on('data', (c: Buffer) => parts.push(c));
          r.on('end', () => cb(null, Buffer.concat(parts)));
        });
      expect(res.status).toBe(200);
      expect(res.headers['sensitivity-label']).toContain('name="Highly Confidential"');
      expect(res.headers['content-length']).toBe(String((res.body as Buffer).length));
    }
    // The PDF carries its label inside too (the PDF handler writes the MSIP keys into Info and XMP).
    const pdf = await request(handler).get('/reports/customers.pdf').buffer(true).parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts)));
    });
    expect((pdf.body as Buffer).toString('latin1')).toMatch(/MSIP_Label_[0-9a-f-]{36}_Enabled/);
    const api = await request(handler).get('/api/customers/C00001');
    expect(api.headers['sensitivity-label']).toBeUndefined();
    expect(api.body.id).toBe('C00001');
  });
});
