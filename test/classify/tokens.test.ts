import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseToken, PRE, PRE_OVERLONG, PRE_PAREN, PRE_PLUS, prescanToken, Token } from '../../src/classify/numbers.js';

describe('numeric token grammar', () => {
  it('prescanToken and parseToken agree on the end and the summary of every token', () => {
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
