/**
 * The audit's file field never carries a number long enough to be a card, account, SSN or IBAN,
 * however the file name groups its digits.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { maskFileIdentifier } from '../../src/http/audit.js';

describe('maskFileIdentifier', () => {
  it.each([
    ['card-4111111111111111.csv', 'card-################.csv'],
    ['card-4111-1111-1111-1111.csv', 'card-####-####-####-####.csv'],
    ['ssn 536 90 4399.csv', 'ssn ### ## ####.csv'],
    ['IBAN DE89 3704 0044 0532 0130 00.pdf', 'IBAN DE## #### #### #### #### ##.pdf'],
    ['acct.123.456.csv', 'acct.###.###.csv'],
    ['report-2026-11-23.csv', 'report-2026-11-23.csv'],
    ['v1.2.3-page-12.pdf', 'v1.2.3-page-12.pdf'],
    ['orders 12345.csv', 'orders 12345.csv'],
  ])('%s → %s', (file, logged) => {
    expect(maskFileIdentifier(file)).toBe(logged);
  });

  it('no digit sequence of six or more survives, whatever single separators group it', () => {
    const sep = fc.constantFrom(' ', '-', '.', '_');
    const groups = fc.array(fc.stringMatching(/^[0-9]{1,5}$/), { minLength: 2, maxLength: 6 });
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), groups, fc.array(sep, { minLength: 6, maxLength: 6 }), fc.string({ maxLength: 8 }), (before, gs, seps, after) => {
        const number = gs.map((g, i) => (i === 0 ? g : seps[i - 1]! + g)).join('');
        const digits = number.replace(/\D/g, '');
        fc.pre(digits.length >= 6 && !/^\d{4}-\d{2}-\d{2}$/.test(number));
        const logged = maskFileIdentifier(`${before}x${number}x${after}`)!;
        expect(logged).not.toContain(digits);
        expect(logged.replace(/[^0-9]/g, '')).not.toContain(digits);
      }),
      { numRuns: 300 },
    );
  });
});
