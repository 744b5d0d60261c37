/**
 * The SIMD event marks (event-marks.ts) against the byte loop they replace: every mark equals the
 * class-table lookup, and scanners with and without marks give identical results and matches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventMarker, eventMarks } from '../../src/classify/event-marks.js';
import { StreamScanner } from '../../src/classify/scanner.js';
import { classTables } from '../../src/classify/window-scan.js';

/** A header row with identifier columns (anti table) first, then fragments for every detector. */
const HEADER = 'order_id,created_at,sku,email,phone,client_ip,card_number,notes\n';
const FRAGMENTS = [
  ' GB29NWBK60161331926819', ' AB 12 34 56 C', 'x DE89 3704 0044 0532 0130 00',
  '4111 1111 1111 1111', 'SSN 536-90-4399', 'DE89 3704 0044 0532 0130 00', 'GB29NWBK60161331926819',
  'AB 12 34 56 C', 'jane.doe7@example.com', 'x@AB12.com', '+1 (415) 555-0132', '192.168.0.1', '2001:db8::1',
  '2026-03-02T04:10:57.934Z', 'SKU-55065-GR', '1772424657934', 'passport A12345678', 'é', '漢字',
  ',', ',', '\n', '"', ' ', 'xyz', 'Visa', 'card number',
];
const textArb = fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 80 }).map((p) => HEADER + p.join(''));

function scanWith(bytes: Buffer, marks: boolean, windowBytes: number, csv: boolean) {
  eventMarks.enabled = marks;
  try {
    const scanner = new StreamScanner({ explain: true, ...(csv ? { delimiter: ',' as const } : {}) }, { windowBytes, maxScanBytes: windowBytes * 2 });
    scanner.write(bytes);
    return { results: scanner.end(), matches: scanner.explanations() };
  } finally {
    eventMarks.enabled = true;
  }
}

describe('event marks', () => {
  it('are available here (WebAssembly SIMD), so the tests below compare two paths', () => {
    const [normal, anti] = classTables(44);
    expect(eventMarker(normal, anti)).toBeDefined();
  });

  it('mark exactly the bytes each class table treats as events', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat(), fc.constantFrom(-1, 9, 44, 59, 124), (data, a, b, delimiter) => {
        const [normal, anti] = classTables(delimiter);
        const marker = eventMarker(normal, anti)!;
        const from = a % data.length;
        const to = from + 1 + (b % (data.length - from));
        const words = marker.mark(data, from, to);
        for (let i = from; i < to; i++) {
          const word = words[(i - from) >>> 4]!;
          const bit = (i - from) & 15;
          expect(((word >>> bit) & 1) === 1).toBe(normal[data[i]!] !== 0);
          expect(((word >>> (16 + bit)) & 1) === 1).toBe(anti[data[i]!] !== 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('scanners with and without marks give the same results and matches (CSV and text, any window)', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 1, max: 500 }), fc.boolean(), (text, windowBytes, csv) => {
        const bytes = Buffer.from(text, 'utf8');
        expect(scanWith(bytes, true, windowBytes, csv)).toEqual(scanWith(bytes, false, windowBytes, csv));
      }),
      { numRuns: 300 },
    );
  });
});
