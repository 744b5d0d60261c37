/**
 * validator.js's valid/invalid lists for isCreditCard, isIBAN, isEmail and isIP
 * (test/fixtures/classify/validatorjs.json). validator.js judges whole strings, so our verdict is
 * "a match of the type spans the whole string". Disagreements carry `labelgate: false` and a note.
 */
import { describe, expect, it } from 'vitest';
import { SIT } from '../../src/index.js';
import { cardBrand, digitsOf } from '../../src/classify/validators.js';
import { fixture, scan } from './helpers.js';

interface Entry {
  text: string;
  labelgate?: boolean;
  note?: string;
}
interface Lists {
  valid: Entry[];
  invalid: Entry[];
}
interface File {
  source: string;
  isCreditCard: Lists;
  isIBAN: Lists;
  isEmail: Lists;
  isIP: Lists;
  creditCardProviders: { provider: string; valid: string[] }[];
}

const file = fixture<File>('validatorjs.json');
const TYPES: Record<string, string[]> = {
  isCreditCard: [SIT.creditCard],
  isIBAN: [SIT.iban],
  isEmail: [SIT.email],
  isIP: [SIT.ipv4Address, SIT.ipv6Address],
};

function wholeMatch(text: string, types: string[]): boolean {
  return scan(text).matches.some((m) => types.includes(m.sensitiveTypeId) && m.offset === 0 && m.length === text.length);
}

describe('validator.js lists', () => {
  it('has a source note', () => {
    expect(file.source).toMatch(/validatorjs\/validator\.js @ [0-9a-f]{40}/);
  });

  describe.each(Object.keys(TYPES))('%s', (name) => {
    const lists = file[name as keyof typeof TYPES & keyof File] as Lists;
    it.each(lists.valid.map((e) => [e.text, e] as const))('valid %j', (text, e) => {
      if (e.labelgate === false) expect(e.note, 'every disagreement is explained').toBeTruthy();
      expect(wholeMatch(text, TYPES[name]!)).toBe(e.labelgate ?? true);
    });
    it.each(lists.invalid.map((e) => [e.text, e] as const))('invalid %j', (text, e) => {
      expect(wholeMatch(text, TYPES[name]!)).toBe(e.labelgate ?? false);
    });
  });

  // Provider lists: our issuer table names the same brand (UnionPay's 67xx example is a Maestro
  // range in the public IIN tables, and 81xx ranges are UnionPay's newer BINs).
  const BRAND: Record<string, string[]> = {
    AmEx: ['amex'],
    DinersClub: ['diners'],
    Discover: ['discover'],
    JCB: ['jcb'],
    Mastercard: ['mastercard'],
    UnionPay: ['unionpay', 'maestro'],
    Visa: ['visa'],
  };
  it.each(file.creditCardProviders.map((p) => [p.provider, p] as const))('provider %s', (provider, p) => {
    for (const card of p.valid) {
      const d = digitsOf(card);
      expect(BRAND[provider], `${provider} known`).toContain(cardBrand(d, 0, d.length));
    }
  });
});
