import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_IDS } from '../../src/classify/catalog.js';
import { WindowContext } from '../../src/classify/context.js';
import { dottedQuad, evaluateToken, plusPhone } from '../../src/classify/number-types.js';
import { attachedAfter, parseToken, PRE, PRE_OVERLONG, PRE_PAREN, PRE_PLUS, prescanToken, skipToken, Token } from '../../src/classify/numbers.js';
import { Findings, Hash64 } from '../../src/classify/tally.js';

describe('numeric token grammar', () => {
  it('prescanToken, parseToken (and skipToken) agree on the end and the summary of every token', () => {
    const alphabet = fc.constantFrom('0', '1', '4', '9', ' ', '-', '.', '(', ')', '+', 'a', ',', '/');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 140 }), (chars) => {
        const b = Buffer.from(chars.join(''), 'latin1');
        const t = new Token();
        for (let i = 0; i < b.length; i++) {
          const c = b[i]!;
          const next = b[i + 1] ?? 0;
          const starts = (c >= 48 && c <= 57) || ((c === 43 || c === 40) && next >= 48 && next <= 57);
          if (!starts) continue;
          expect(skipToken(b, i)).toBe(prescanToken(b, i));
          const end = prescanToken(b, i);
          const summary = [...PRE];
          expect(parseToken(b, i, t)).toBe(end);
          expect(end).toBeGreaterThan(i);
          if (summary[4]! & PRE_OVERLONG) {
            expect(t.overlong).toBe(true);
            continue;
          }
          expect(t.overlong).toBe(false);
          expect(summary[0]).toBe(t.digitCount);
          expect(summary[1]).toBe(t.n);
          expect(summary[2]).toBe(t.maxGroup);
          expect(summary[3]).toBe(t.sepMask);
          expect((summary[4]! & PRE_PLUS) !== 0).toBe(t.plus);
          expect((summary[4]! & PRE_PAREN) !== 0).toBe(t.anyParen);
        }
      }),
      { numRuns: 300 },
    );
  });
});


describe('skipToken', () => {
  it('ends digit runs at the token length cap and at the end of the input like prescanToken', () => {
    for (const n of [1, 95, 96, 97, 200]) {
      for (const tail of ['', '@x', ' 1', '-1', '.1', '(1)', 'a']) {
        const b = Buffer.from(`x${'7'.repeat(n)}${tail}`, 'latin1');
        expect(skipToken(b, 1)).toBe(prescanToken(b, 1));
      }
    }
  });
});

describe('fast lanes', () => {
  function findings() {
    return new Findings(BUILTIN_IDS, BUILTIN_IDS, true);
  }

  /** The general path (parse the token at 1, evaluate it) finds what the fast lane found. */
  function expectSameAsParsedPath(fast: Findings, b: Buffer, end: number): void {
    const slow = findings();
    const ws = new WindowContext(slow);
    ws.reset(b, 0, 0);
    const t = new Token();
    parseToken(b, 1, t);
    t.leftAttached = false;
    t.rightAttached = attachedAfter(b, end);
    evaluateToken(ws, t, -1, 0);
    expect(fast.results()).toEqual(slow.results());
    expect(fast.explanations()).toEqual(slow.explanations());
  }

  it('plusPhone gives the verdict of the parsed-token path whenever it takes a number', () => {
    let checked = 0;
    const group = fc.integer({ min: 1, max: 12 }).chain((n) => fc.array(fc.constantFrom('0', '1', '2', '5', '9'), { minLength: n, maxLength: n }).map((d) => d.join('')));
    // Any grouping (mostly refused by the fast lane), and phone-shaped ones: a 1-3 digit country
    // code not starting with 0, then 2-5 groups of 2-4 digits (mostly taken).
    const anyGroups = fc.array(group, { minLength: 1, maxLength: 8 });
    const digitRun = (min: number, max: number) => fc.array(fc.constantFrom('0', '1', '2', '5', '9'), { minLength: min, maxLength: max }).map((d) => d.join(''));
    const phoneGroups = fc
      .tuple(fc.constantFrom('1', '2', '5', '9'), digitRun(0, 2), fc.array(digitRun(2, 4), { minLength: 2, maxLength: 5 }))
      .map(([first, cc, rest]) => [first + cc, ...rest]);
    const tokenArb = fc
      .tuple(fc.oneof(anyGroups, phoneGroups), fc.array(fc.constantFrom(' ', '-', '.'), { minLength: 8, maxLength: 8 }), fc.constantFrom('', ' ', 'x', '.', ',', ' (12', '-(9x'))
      .map(([groups, seps, tail]) => `+${groups.map((g, k) => (k === 0 ? g : seps[k]! + g)).join('')}${tail}`);
    fc.assert(
      fc.property(tokenArb, (text) => {
        const b = Buffer.from(` ${text} `, 'latin1');
        const end = prescanToken(b, 1);
        const fast = findings();
        const wf = new WindowContext(fast);
        wf.reset(b, 0, 0);
        const taken = PRE[4] === PRE_PLUS && plusPhone(wf, 1, end, -1);
        if (!taken) return;
        checked++;
        expectSameAsParsedPath(fast, b, end);
        // The value's hash (what distinct counting sees) is that of its digits, as `phones` hashes them.
        const digits = Uint8Array.from([...b.toString('latin1', 1, end)].filter((c) => c >= '0' && c <= '9').map(Number));
        const expected = new Hash64().setBytes(digits, 0, digits.length, 12, false);
        expect([wf.hash.a, wf.hash.b]).toEqual([expected.a, expected.b]);
      }),
      { numRuns: 500 },
    );
    // Enough generated tokens must reach the comparison (about a quarter do), or the property says little.
    expect(checked).toBeGreaterThan(50);
  });

  it('dottedQuad gives the verdict of the parsed-token path', () => {
    let checked = 0;
    const octet = fc.integer({ min: 0, max: 999 }).map(String);
    const tokenArb = fc
      .tuple(fc.array(octet, { minLength: 4, maxLength: 4 }), fc.constantFrom('', ' ', ':80', '/24', '/99', 'x', '.', '-a', '@h'))
      .map(([o, tail]) => `${o.join('.')}${tail}`);
    fc.assert(
      fc.property(tokenArb, (text) => {
        const b = Buffer.from(` ${text} `, 'latin1');
        const end = prescanToken(b, 1);
        if (!(PRE[1] === 4 && PRE[4] === 0)) return;
        checked++;
        const fast = findings();
        const wf = new WindowContext(fast);
        wf.reset(b, 0, 0);
        dottedQuad(wf, 1, end, -1, 0);
        expectSameAsParsedPath(fast, b, end);
      }),
      { numRuns: 500 },
    );
    expect(checked).toBeGreaterThan(400);
  });
});
