/**
 * `classify(input)` for every input kind, CSV column corroboration, explanations (masked, never
 * the value) and errors.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { classify, createScanner, isLabelgateError, SIT } from '../../src/index.js';
import { count, levels, scan } from './helpers.js';

const TEXT = 'Visa 4111 1111 1111 1111, jane@example.com';
const EXPECTED = [
  { sensitiveTypeId: SIT.creditCard, count: 1, confidenceLevel: 85 },
  { sensitiveTypeId: SIT.euDebitCard, count: 1, confidenceLevel: 85 },
  { sensitiveTypeId: SIT.email, count: 1, confidenceLevel: 75 },
];

describe('classify inputs', () => {
  const bytes = Buffer.from(TEXT);
  const pieces = () => [bytes.subarray(0, 7), bytes.subarray(7, 20), bytes.subarray(20)];
  it.each([
    ['string', () => TEXT],
    ['Buffer', () => bytes],
    ['Uint8Array', () => new Uint8Array(bytes)],
    ['Node Readable', () => Readable.from(pieces())],
    ['web ReadableStream', () => new ReadableStream({ start: (c) => (pieces().forEach((p) => c.enqueue(p)), c.close()) })],
    ['async iterable', () => (async function* () { yield* pieces(); })()],
    ['iterable of strings', () => [TEXT.slice(0, 9), TEXT.slice(9)]],
  ])('%s', async (_name, make) => {
    expect(await classify(make() as Parameters<typeof classify>[0])).toEqual(EXPECTED);
  });

  it('rejects other inputs and chunk types with INPUT_INVALID', async () => {
    for (const bad of [42, null, { a: 1 }, [1, 2]]) {
      await expect(classify(bad as never)).rejects.toSatisfy((e: unknown) => isLabelgateError(e) && e.code === 'INPUT_INVALID');
    }
  });

  it('validates options', () => {
    expect(() => createScanner({ delimiter: 'x' as never })).toThrow(/delimiter/);
    expect(() => createScanner({ encoding: 'latin1' as never })).toThrow(/encoding/);
  });

  it('write after end is an error; end is idempotent', () => {
    const s = createScanner();
    s.write('4111111111111111');
    const first = s.end();
    expect(s.end()).toEqual(first);
    expect(() => s.write('x')).toThrow(/after end/);
  });
});

describe('CSV columns', () => {
  it('a header keyword corroborates every value of its column, however far', () => {
    const rows = ['id,card_number,note'];
    for (let i = 0; i < 50; i++) rows.push(`${i},4111111111111111,${'x'.repeat(100)}`);
    rows.push('51,5555555555554444,done');
    const csv = rows.join('\n');
    expect(levels(scan(csv, { delimiter: ',' }).results, SIT.creditCard)).toEqual([85]);
    // Without CSV mode only the first rows are within 300 characters of "card_number".
    expect(levels(scan(csv).results, SIT.creditCard)).toEqual([85, 65]);
  });

  it('follows quoted fields with delimiters and newlines; TSV and semicolons work', () => {
    const csv = 'note,ssn,phone\n"a, b\nc",536-90-4399,415-555-0132\n';
    const { results } = scan(csv, { delimiter: ',' });
    expect(levels(results, SIT.usSsn)).toEqual([85]);
    expect(levels(results, SIT.phone)).toEqual([85]);
    expect(levels(scan('ssn\tnote\n536-90-4399\tx\n', { delimiter: '\t' }).results, SIT.usSsn)).toEqual([85]);
    expect(levels(scan('note;ssn\nx;536-90-4399\n', { delimiter: ';' }).results, SIT.usSsn)).toEqual([85]);
  });

  it('id and timestamp columns are not searched for numbers', () => {
    const csv = 'order_id,created_ms,amount\n4716461583322103,1772424657934,4111111111111111.00\n';
    expect(scan(csv, { delimiter: ',' }).results).toEqual([]);
  });
});

describe('explanations', () => {
  it('give type, offset, length and confidence, with the value masked', () => {
    const text = 'SSN 536-90-4399; Visa 4111 1111 1111 1111; jane.doe@example.com; IBAN DE89370400440532013000';
    const { matches } = scan(text);
    const byType = Object.fromEntries(matches.map((m) => [m.sensitiveTypeId, m]));
    expect(byType[SIT.usSsn]).toMatchObject({ offset: 4, length: 11, confidenceLevel: 85, masked: '***-**-4399', typeName: 'U.S. Social Security Number (SSN)' });
    expect(byType[SIT.creditCard]).toMatchObject({ offset: 22, length: 19, masked: '4111 **** **** 1111' });
    expect(byType[SIT.email]!.masked).toBe('j***@example.com');
    expect(byType[SIT.iban]!.masked).toBe('DE89**************3000');
    for (const m of matches) {
      const value = text.slice(m.offset, m.offset + m.length);
      expect(m.masked).not.toBe(value);
      expect(m.masked).toContain('*');
    }
  });

  it('are empty unless requested', () => {
    const s = createScanner();
    s.write('4111111111111111');
    s.end();
    expect(s.explanations()).toEqual([]);
    expect(count(scan('4111111111111111').results, SIT.creditCard)).toBe(1);
  });
});

describe('JSON keys', () => {
  it('a JSON key names the value like a CSV header does', () => {
    const json = JSON.stringify({
      rows: Array.from({ length: 20 }, (_, i) => ({ note: 'x'.repeat(50), card_number: i === 19 ? '5555555555554444' : '4111111111111111', order_id: 4716461583322103 })),
    });
    const { results } = scan(json);
    expect(levels(results, SIT.creditCard)).toEqual([85]);
    expect(count(results, SIT.creditCard)).toBe(2); // the order ids are not cards
    expect(levels(scan('{"email": "jane@example.com", "ip": "10.1.2.3"}').results, SIT.email)).toEqual([85]);
  });
});
