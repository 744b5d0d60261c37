/**
 * A report written a row at a time (hundreds of bytes per write) is captured in blocks and sent to
 * the scan worker in batches, not a message per write. What the classifier finds must not depend
 * on how the app split its writes, nor on where the batches end: the built package (which has the
 * worker) is compared, worker and inline, with `classify()` over the whole body.
 */
import { afterAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { builtPackage, captureLogs, luhnCards, tempDir, testPolicy, waitFor } from './helpers.js';

const built = builtPackage();
const express = built.expressLib;

const dir = tempDir();
afterAll(() => dir.cleanup());

const cards = luhnCards(300);
/** ~700 KB of CSV: several 256 KiB worker batches, rows with and without personal data. */
const rows = Array.from({ length: 9000 }, (_, i) => {
  const card = i % 30 === 0 ? cards[(i / 30) % cards.length] : '';
  const email = i % 7 === 0 ? `customer${i}@example.com` : '';
  return `${i},Customer ${i},${email},${card},${(i * 7.31).toFixed(2)},2026-11-${String(1 + (i % 28)).padStart(2, '0')}\n`;
});
const HEADER = 'id,name,email,card_number,amount,date\n';
const BODY = HEADER + rows.join('');

type Audit = { outcome: string; sensitiveTypes: { id: string; count: number; confidence: number }[]; bytesOut: number };

describe.each([
  ['in a worker thread', true],
  ['inline', false],
] as const)('a CSV written row by row, scanned %s', (_name, scanInWorker) => {
  it('is labeled from the same findings as the whole body, byte for byte the same', async () => {
    const logs = captureLogs();
    const a = express();
    a.use(built.express.expressLabeling({ policy: testPolicy(), logger: logs.logger, tempDir: dir.path, scanInWorker }));
    a.get('/rows.csv', (_req, res) => {
      res.attachment('rows.csv');
      res.write(HEADER);
      let i = 0;
      const more = () => {
        while (i < rows.length) {
          // Split rows at odd places too: a match across two writes must be found once.
          const row = rows[i++]!;
          const cut = i % 5 === 0 ? Math.floor(row.length / 2) : row.length;
          res.write(row.slice(0, cut));
          if (cut < row.length) res.write(row.slice(cut));
          if (i % 1000 === 0) return void setImmediate(more);
        }
        res.end();
      };
      more();
    });
    const res = await request(a).get('/rows.csv').buffer(true).parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts)));
    });
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(Buffer.from(BODY))).toBe(true);
    // Written when the response has ended and the scan of all of it is complete (it may be decided early).
    await waitFor(() => logs.events().length > 0, 3000, 'audit event');
    const audit = logs.events()[0]!.labelgate as Audit;
    expect(audit.outcome).toBe('labeled');
    const expected = await built.index.classify(Buffer.from(BODY), { delimiter: ',' });
    const found = (list: { id?: string; sensitiveTypeId?: string; count: number; confidence?: number; confidenceLevel?: number }[]) =>
      list.map((r) => `${r.id ?? r.sensitiveTypeId}:${r.count}:${r.confidence ?? r.confidenceLevel}`).sort();
    expect(found(audit.sensitiveTypes)).toEqual(found(expected));
    // The data set has findings: cards (300 distinct) and emails (1286).
    expect(audit.sensitiveTypes.some((t) => t.count === 300)).toBe(true);
    expect(audit.sensitiveTypes.some((t) => t.count === 1286)).toBe(true);
  });
});
