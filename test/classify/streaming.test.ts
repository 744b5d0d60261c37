/**
 * The streaming contract: any split of the input (inside multi-byte characters, UTF-16 code units,
 * matches and keyword windows) gives exactly the results of scanning it whole; memory stays
 * bounded; UTF-8 and UTF-16 are handled and invalid bytes never throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SIT } from '../../src/index.js';
import { StreamScanner } from '../../src/classify/scanner.js';
import { luhnCheckDigit } from '../../src/classify/validators.js';
import { ibanWithCheckDigits } from '../../src/classify/iban.js';
import { count, scan, scanChunks } from './helpers.js';

/** Fragments that exercise every detector, their keywords, CSV structure and non-ASCII text. */
const FRAGMENTS = [
  '4111 1111 1111 1111',
  '4012888888881881',
  'Visa',
  'card number',
  '378282246310005',
  'SSN 536-90-4399',
  '536904399',
  'DE89 3704 0044 0532 0130 00',
  'GB29NWBK60161331926819',
  'routing 011000015',
  'checking account 12345678',
  'passport A12345678 issued',
  'AB 12 34 56 C',
  'jane.doe@example.com',
  'm端ller@exämple.de',
  '+1 (415) 555-0132',
  '090-1234-5678',
  'IP 192.168.0.1',
  '10.0.0.1/24',
  '2001:db8::1',
  '::ffff:192.0.2.1',
  'Order #4716461583322103',
  '1772424657934',
  '3.14159',
  'version 1.2.3.4',
  ', ',
  ',',
  '\n',
  '"',
  ' ',
  'é',
  '漢字',
  '😀',
  'Ω',
  'xyz',
];

const textArb = fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 60 }).map((parts) => parts.join(''));

/** Scan with tiny windows so that window boundaries fall everywhere. */
function scanWith(input: Buffer | string, cuts: number[], windowBytes: number, options = {}) {
  const scanner = new StreamScanner({ ...options, explain: true }, { windowBytes, maxScanBytes: windowBytes * 2 });
  let prev = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    scanner.write(typeof input === 'string' ? input.slice(prev, cut) : input.subarray(prev, cut));
    prev = cut;
  }
  scanner.write(typeof input === 'string' ? input.slice(prev) : input.subarray(prev));
  return { results: scanner.end(), matches: scanner.explanations() };
}

describe('chunk boundaries', () => {
  it('any byte split gives the same results as the whole (UTF-8)', () => {
    fc.assert(
      fc.property(textArb, fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 400 }), fc.boolean(), (text, rawCuts, windowBytes, csv) => {
        const bytes = Buffer.from(text, 'utf8');
        const cuts = rawCuts.map((c) => c % (bytes.length + 1));
        const options = csv ? { delimiter: ',' as const } : {};
        const whole = scan(bytes, options);
        const split = scanWith(bytes, cuts, windowBytes, options);
        expect(split.results).toEqual(whole.results);
        expect(split.matches).toEqual(whole.matches);
      }),
      { numRuns: 300 },
    );
  });

  it('results so far, asked at any points, change nothing and never count less at a level than before', () => {
    // "At or above confidence c": the number an auto-labeling condition compares with its minCount.
    const atLeast = (results: { sensitiveTypeId: string; count: number; confidenceLevel: number }[]) => {
      const out = new Map<string, number>();
      for (const r of results) for (const c of [65, 75, 85]) if (r.confidenceLevel >= c) out.set(`${r.sensitiveTypeId}@${c}`, (out.get(`${r.sensitiveTypeId}@${c}`) ?? 0) + r.count);
      return out;
    };
    fc.assert(
      fc.property(textArb, fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 400 }), fc.boolean(), (text, rawCuts, windowBytes, csv) => {
        const bytes = Buffer.from(text, 'utf8');
        const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const options = csv ? { delimiter: ',' as const } : {};
        const scanner = new StreamScanner({ ...options, explain: true }, { windowBytes, maxScanBytes: windowBytes * 2 });
        let prev = 0;
        let before = new Map<string, number>();
        for (const cut of [...cuts, bytes.length]) {
          scanner.write(bytes.subarray(prev, cut));
          prev = cut;
          const now = atLeast(scanner.resultsSoFar());
          for (const [key, n] of before) expect(now.get(key) ?? 0).toBeGreaterThanOrEqual(n);
          before = now;
        }
        const whole = scan(bytes, options);
        expect(scanner.end()).toEqual(whole.results);
        expect(scanner.explanations()).toEqual(whole.matches);
        for (const [key, n] of before) expect(atLeast(whole.results).get(key) ?? 0).toBeGreaterThanOrEqual(n);
      }),
      { numRuns: 300 },
    );
  });

  it('any split of a string, inside surrogate pairs too, gives the same results', () => {
    fc.assert(
      fc.property(textArb, fc.array(fc.nat(), { maxLength: 12 }), (text, rawCuts) => {
        const cuts = rawCuts.map((c) => c % (text.length + 1));
        expect(scanChunks(text, cuts)).toEqual(scan(text));
      }),
      { numRuns: 200 },
    );
  });

  it('UTF-16 (LE with BOM, BE with BOM, LE without BOM) split at any byte gives the UTF-8 results', () => {
    fc.assert(
      fc.property(textArb, fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom('le-bom', 'be-bom', 'le'), (text, rawCuts, form) => {
        const le = Buffer.from(text, 'utf16le');
        const bytes =
          form === 'le' ? le : form === 'le-bom' ? Buffer.concat([Buffer.from([0xff, 0xfe]), le]) : Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
        const cuts = rawCuts.map((c) => c % (bytes.length + 1));
        const reference = scan(text);
        // Without a BOM, detection needs enough text to see the zero bytes of UTF-16.
        if (form === 'le' && !/^[\x01-\x7f]{4}/.test(text)) return;
        expect(scanWith(bytes, cuts, 97).results).toEqual(reference.results);
      }),
      { numRuns: 200 },
    );
  });

  it('finds a match split across many tiny writes, and keyword proximity works across chunks', () => {
    const text = `credit card${' '.repeat(250)}4111 1111 1111 1111`;
    const bytes = Buffer.from(text);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1); // one byte per write
    const { results } = scanWith(bytes, cuts, 1);
    expect(results).toContainEqual({ sensitiveTypeId: SIT.creditCard, count: 1, confidenceLevel: 85 });
  });

  it('a chunk the caller reuses right after write() does not change the results', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 400 }), (text, size, windowBytes) => {
        const bytes = Buffer.from(text, 'utf8');
        const scanner = new StreamScanner({ explain: true }, { windowBytes, maxScanBytes: windowBytes * 2 });
        const reused = Buffer.alloc(size);
        for (let o = 0; o < bytes.length; o += size) {
          const n = bytes.copy(reused, 0, o, o + size);
          scanner.write(reused.subarray(0, n));
          reused.fill(0x34); // "4": would make card-like digits if the scanner still read it
        }
        const whole = scan(bytes);
        expect(scanner.end()).toEqual(whole.results);
        expect(scanner.explanations()).toEqual(whole.matches);
      }),
      { numRuns: 150 },
    );
  });
});

describe('generated values', () => {
  const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
  const cardArb = fc
    .oneof(
      fc.tuple(fc.constant('4'), digits(14)),
      fc.tuple(fc.constantFrom('51', '52', '53', '54', '55'), digits(13)),
      fc.tuple(fc.integer({ min: 2221, max: 2720 }).map(String), digits(11)),
      fc.tuple(fc.constantFrom('34', '37'), digits(12)),
      fc.tuple(fc.constant('6011'), digits(11)),
      fc.tuple(fc.integer({ min: 3528, max: 3589 }).map(String), digits(11)),
    )
    .map(([prefix, body]) => `${prefix}${body}${luhnCheckDigit(prefix + body)}`);

  it('valid card numbers are always found; any single-digit change is not', () => {
    fc.assert(
      fc.property(cardArb, fc.nat(), fc.integer({ min: 1, max: 9 }), (card, pos, delta) => {
        expect(count(scan(`card number ${card}`).results, SIT.creditCard)).toBe(1);
        const i = pos % card.length;
        const mutated = card.slice(0, i) + String((Number(card[i]) + delta) % 10) + card.slice(i + 1);
        expect(count(scan(`card number ${mutated}`).results, SIT.creditCard)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  const ibanArb = fc
    .constantFrom(['DE', 18, 'n'], ['FR', 23, 'n'], ['GB', 18, 'gb'], ['NL', 14, 'nl'], ['IT', 23, 'it'], ['ES', 20, 'n'], ['CH', 17, 'n'], ['PL', 24, 'n'])
    .chain(([country, len, kind]) =>
      digits(len as number).map((d) => {
        if (kind === 'gb') return ibanWithCheckDigits(country as string, `NWBK${d.slice(4)}`);
        if (kind === 'nl') return ibanWithCheckDigits(country as string, `ABNA${d.slice(4)}`);
        if (kind === 'it') return ibanWithCheckDigits(country as string, `X${d.slice(1)}`);
        return ibanWithCheckDigits(country as string, d);
      }),
    );

  it('valid IBANs are always found (plain and grouped); any single-character change is not', () => {
    fc.assert(
      fc.property(ibanArb, fc.nat(), fc.integer({ min: 1, max: 9 }), fc.boolean(), (iban, pos, delta, grouped) => {
        const show = (s: string) => (grouped ? s.replace(/(.{4})/g, '$1 ').trim() : s);
        expect(count(scan(`IBAN ${show(iban)} end`).results, SIT.iban)).toBe(1);
        const i = 2 + (pos % (iban.length - 2)); // keep the country code
        const c = iban[i]!;
        const changed = /\d/.test(c) ? String((Number(c) + delta) % 10) : String.fromCharCode(65 + ((c.charCodeAt(0) - 65 + delta) % 26));
        const mutated = iban.slice(0, i) + changed + iban.slice(i + 1);
        expect(count(scan(`IBAN ${show(mutated)} end`).results, SIT.iban)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodings and bad input', () => {
  it('invalid UTF-8 and random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, rawCuts) => {
        const buf = Buffer.from(bytes);
        const cuts = rawCuts.map((c) => c % (buf.length + 1));
        expect(() => scanWith(buf, cuts, 64)).not.toThrow();
        expect(() => scanWith(buf, cuts, 64, { delimiter: ',' })).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it('a UTF-8 BOM is skipped and offsets count characters', () => {
    const text = 'é漢😀 card number 4111111111111111';
    const { matches } = scan(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    const card = matches.find((m) => m.sensitiveTypeId === SIT.creditCard)!;
    expect(card.offset).toBe(text.indexOf('4111'));
    expect(card.length).toBe(16);
  });

  it('detects UTF-16 without a BOM when emoji put zero bytes on the other side too', () => {
    const text = 'AB 12 34 56 C😀é';
    expect(scan(Buffer.from(text, 'utf16le')).results).toEqual(scan(text).results);
  });

  it('utf16le can be forced', () => {
    const { results } = scan(Buffer.from('Visa 4111111111111111', 'utf16le'), { encoding: 'utf16le' });
    expect(count(results, SIT.creditCard, 85)).toBe(1);
  });
});

describe('memory', () => {
  it('stays bounded while streaming many megabytes', () => {
    const scanner = new StreamScanner({ delimiter: ',' });
    const row = Buffer.from('4716461583322103,jane.doe@example.com,+1 415 555 0132,10.1.2.3,"notes, with comma"\n');
    const chunk = Buffer.concat(Array.from({ length: 2000 }, () => row)); // ~170 KB
    let maxRetained = 0;
    for (let i = 0; i < 60; i++) {
      scanner.write(chunk);
      maxRetained = Math.max(maxRetained, scanner.retainedBytes);
    }
    scanner.end();
    expect(maxRetained).toBeLessThan(2 * 1024 * 1024);
    expect(scanner.scannedChars).toBe(chunk.length * 60);
  });
});
