/**
 * The built-in catalog: which evidence gives which confidence, following Microsoft's definitions
 * (85 with corroboration, 75/65 without, keyword-required types), and distinct counting.
 */
import { describe, expect, it } from 'vitest';
import { SIT } from '../../src/index.js';
import { count, levels, scan } from './helpers.js';

const far = ' '.repeat(400); // beyond the 300-character proximity

describe('credit card', () => {
  it('85 with a card keyword within 300 characters, 65 without', () => {
    expect(levels(scan('Visa 4111 1111 1111 1111').results, SIT.creditCard)).toEqual([85]);
    expect(levels(scan(`credit card${far}4111-1111-1111-1111`).results, SIT.creditCard)).toEqual([65]);
    expect(levels(scan('4111111111111111 exp 12/27').results, SIT.creditCard)).toEqual([85]);
  });

  it('covers current issuer ranges and lengths', () => {
    const cards = [
      '2221000000000009', // Mastercard 2-series (2221)
      '2720990000000007', // Mastercard 2-series (2720)
      '4222222222222', // Visa 13 digits
      '4111111111111111110', // Visa 19 digits
      '378282246310005', // Amex
      '30569309025904', // Diners 14
      '6011111111111117', // Discover
      '3530111333300000', // JCB
      '6200000000000005', // UnionPay
      '6759649826438453', // Maestro UK
      '2200000000000004', // Mir
    ];
    for (const card of cards) {
      expect(count(scan(`card number ${card}`).results, SIT.creditCard), card).toBe(1);
    }
  });

  it('rejects Mastercard outside 2221-2720 and numbers with no issuer', () => {
    for (const n of ['2220175103860763', '2721465526338453', '7111111111111111', '1748503543012']) {
      expect(count(scan(`card number ${n}`).results, SIT.creditCard), n).toBe(0);
    }
  });

  it('reports Visa/Mastercard/Maestro 16-19 digits as EU debit cards too', () => {
    const { results } = scan('Debitkarte 4111 1111 1111 1111, Amex 378282246310005');
    expect(count(results, SIT.euDebitCard, 85)).toBe(1);
    expect(count(results, SIT.creditCard, 85)).toBe(2);
  });

  it('finds a card after another number on the same line', () => {
    expect(count(scan('qty 2 4111 1111 1111 1111').results, SIT.creditCard)).toBe(1);
  });
});

describe('U.S. SSN', () => {
  it('needs an SSN keyword: 85 formatted, 75 unformatted, 65/55 for randomized areas', () => {
    expect(count(scan('078-05-1123 536-90-4399').results, SIT.usSsn)).toBe(0);
    expect(levels(scan('SSN 536-90-4399').results, SIT.usSsn)).toEqual([85]);
    expect(levels(scan('SSN 536904399').results, SIT.usSsn)).toEqual([75]);
    expect(levels(scan('SSN 773-12-3456').results, SIT.usSsn)).toEqual([65]);
    expect(levels(scan('SSN 773123456').results, SIT.usSsn)).toEqual([55]);
  });

  it('applies the range rules and rejects known fake numbers', () => {
    for (const n of ['000-12-3456', '666-12-3456', '912-12-3456', '123-00-4567', '123-45-0000', '078-05-1120', '219-09-9999', '123-45-6789', '111-11-1111']) {
      expect(count(scan(`social security number ${n}`).results, SIT.usSsn), n).toBe(0);
    }
  });
});

describe('IBAN', () => {
  it('validates per-country length and MOD 97, in electronic and print form', () => {
    const { results } = scan('DE89370400440532013000 and GB29 NWBK 6016 1331 9268 19 and FR14-2004-1010-0505-0001-3M02-606');
    expect(count(results, SIT.iban, 85)).toBe(3);
    expect(count(scan('DE89370400440532013001 DE8937040044053201300 ZZ89370400440532013000').results, SIT.iban)).toBe(0);
  });

  it('does not report digits inside an IBAN as other types', () => {
    const { results } = scan('GB29 NWBK 6016 1331 9268 19');
    expect(results.map((r) => r.sensitiveTypeId)).toEqual([SIT.iban]);
  });
});

describe('ABA routing, bank account, passport, NINO', () => {
  it('ABA: 75 with a routing keyword, 65 alone; checksum and prefix enforced', () => {
    expect(levels(scan('routing number 011000015').results, SIT.abaRouting)).toEqual([75]);
    expect(levels(scan('payee 0110-0001-5').results, SIT.abaRouting)).toEqual([65]);
    expect(count(scan('routing number 011000016 / 131000015').results, SIT.abaRouting)).toBe(0);
  });

  it('bank account numbers need a bank account keyword', () => {
    expect(levels(scan('checking account 12345678').results, SIT.usBankAccount)).toEqual([75]);
    expect(count(scan('balance 12345678').results, SIT.usBankAccount)).toBe(0);
  });

  it('passport: 85 with number and date keywords, 75 with a number keyword, none without', () => {
    expect(levels(scan('passport no. A12345678, date of issue 2020-01-01').results, SIT.usUkPassport)).toEqual([85]);
    expect(levels(scan('passport 123456789').results, SIT.usUkPassport)).toEqual([75]);
    expect(count(scan('A12345678 123456789').results, SIT.usUkPassport)).toBe(0);
  });

  it('NINO: 85 with a keyword, 75 alone; prefix rules', () => {
    expect(levels(scan('National Insurance number AB 12 34 56 C').results, SIT.ukNino)).toEqual([85]);
    expect(levels(scan('ref AB123456C').results, SIT.ukNino)).toEqual([75]);
    for (const n of ['DA123456C', 'AO123456C', 'GB123456C', 'AB123456E', 'QQ123456C']) {
      expect(count(scan(`id ${n}`).results, SIT.ukNino), n).toBe(0);
    }
  });
});

describe('IP addresses', () => {
  it('IPv4: "IP Address v4" 85/75, "IP Address" 95 only with a keyword ("IP" in capitals)', () => {
    const kw = scan('IP 10.1.2.3').results;
    expect(levels(kw, SIT.ipv4Address)).toEqual([85]);
    expect(levels(kw, SIT.ipAddress)).toEqual([95]);
    const alone = scan('gateway 10.1.2.3; zip 10.1.2.4').results;
    expect(levels(alone, SIT.ipv4Address)).toEqual([75]);
    expect(levels(alone, SIT.ipAddress)).toEqual([]);
  });

  it('IPv6: "IP Address" 85 alone, 95 with a keyword', () => {
    expect(levels(scan('host 2001:db8::1').results, SIT.ipAddress)).toEqual([85]);
    expect(levels(scan('ip address 2001:db8::1').results, SIT.ipAddress)).toEqual([95]);
    expect(levels(scan('host 2001:db8::1').results, SIT.ipv6Address)).toEqual([75]);
  });

  it('counts an IPv4-mapped IPv6 address once', () => {
    const { results } = scan('peer ::ffff:192.0.2.1');
    expect(count(results, SIT.ipv6Address)).toBe(1);
    expect(count(results, SIT.ipv4Address)).toBe(0);
  });
});

describe('email and phone (labelgate ids)', () => {
  it('email: 85 with a keyword, 75 alone', () => {
    expect(levels(scan('email: jane.doe@example.com').results, SIT.email)).toEqual([85]);
    expect(levels(scan('from jane.doe@example.com').results, SIT.email)).toEqual([75]);
  });

  it('phone: international / NANP 85/75, national 75/65, bare digits only with a keyword', () => {
    expect(levels(scan('tel +44 20 7123 4567').results, SIT.phone)).toEqual([85]);
    expect(levels(scan('(415) 555-0132').results, SIT.phone)).toEqual([75]);
    expect(levels(scan('call 090-1234-5678').results, SIT.phone)).toEqual([65]);
    expect(levels(scan('mobile 4155550132').results, SIT.phone)).toEqual([65]);
    expect(count(scan('id 4155550132').results, SIT.phone)).toBe(0);
  });
});

describe('counting', () => {
  it('counts distinct values per type, each at its highest confidence', () => {
    const text = `4111111111111111 4111-1111-1111-1111 4111 1111 1111 1111${far}Visa 4111111111111111 and 5555555555554444`;
    const { results } = scan(text);
    expect(results.filter((r) => r.sensitiveTypeId === SIT.creditCard)).toEqual([
      { sensitiveTypeId: SIT.creditCard, count: 2, confidenceLevel: 85 },
    ]);
  });

  it('returns one result per (type, confidence), highest confidence first', () => {
    const { results } = scan(`Visa 4111111111111111${far}5555555555554444 and 4012888888881881`);
    expect(results.filter((r) => r.sensitiveTypeId === SIT.creditCard)).toEqual([
      { sensitiveTypeId: SIT.creditCard, count: 1, confidenceLevel: 85 },
      { sensitiveTypeId: SIT.creditCard, count: 2, confidenceLevel: 65 },
    ]);
  });

  it('finds IBANs and NINOs in identifier columns after runs of capitals, not inside them', () => {
    // "sku" names an identifier: only letter-led values are looked at there, from a word's first
    // two capitals ("SKU", "XDE89…" and "ABAB123456C" start no value).
    const csv = [
      'sku,note',
      'SKU-DE89370400440532013000,x',
      'SKU GB82WEST12345698765432,x',
      'XDE89370400440532013000,x',
      'SKUAB123456C,x',
      'REF AB 12 34 56 C,x',
      'ABAB123456C,x',
    ].join('\n');
    const { results } = scan(csv, { delimiter: ',' });
    expect(count(results, SIT.iban)).toBe(2);
    expect(count(results, SIT.ukNino)).toBe(1);
  });

  it('finds IPv6 addresses in identifier columns as elsewhere, also after times', () => {
    // Identifier columns step over times ("T10:12:33.5Z") after a colon or a lone capital G-Z;
    // "A::1" starts with a hex digit, so it is an address there as anywhere.
    const values = ['2026-01-01T10:12:33 fe80::1', '12:34:56:2001:db8::7', '1:2:3:4:5:6:7:8', '12:30:00', '10:00 ::ffff:10.0.0.1', '9:99::1',
      '2026-01-01T10:12:33.5Z', 'Z::1', 'A::2', 'T1.5:B::3', 'T9:: 1::4', 'X:1:2:3:4:5:6:7'];
    const ipv6 = (header: string) => count(scan([header, ...values].join('\n'), { delimiter: ',' }).results, SIT.ipv6Address);
    expect(ipv6('created_at')).toBe(7);
    expect(ipv6('note')).toBe(7);
  });

  it('estimates beyond the exact set (bounded memory) within a few percent', () => {
    const lines: string[] = ['email'];
    for (let i = 0; i < 20_000; i++) lines.push(`user${i}@example.com`);
    for (let i = 0; i < 5_000; i++) lines.push(`user${i}@example.com`); // repeats
    const { results } = scan(lines.join('\n'), { delimiter: ',' });
    const n = count(results, SIT.email);
    expect(n).toBeGreaterThan(19_000);
    expect(n).toBeLessThan(21_000);
  });
});
