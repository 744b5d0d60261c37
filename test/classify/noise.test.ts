/**
 * Numeric noise that users of peer tools report as false positives (millisecond timestamps,
 * decimals and scientific notation, order numbers, GUID fragments, long numeric ids in CSV
 * columns, versions, phone-like product codes): no card, SSN, IBAN or routing number may fire.
 */
import { describe, expect, it } from 'vitest';
import { SIT } from '../../src/index.js';
import { count, fixtureBytes, scan } from './helpers.js';

const FINANCIAL: string[] = [SIT.creditCard, SIT.euDebitCard, SIT.usSsn, SIT.iban, SIT.abaRouting, SIT.usBankAccount, SIT.usUkPassport];

describe('numeric noise', () => {
  it('noise.txt: no card / SSN / IBAN / ABA / bank / passport detections', () => {
    const { results, matches } = scan(fixtureBytes('noise.txt'));
    for (const id of FINANCIAL) expect(count(results, id), id).toBe(0);
    expect(matches.filter((m) => FINANCIAL.includes(m.sensitiveTypeId))).toEqual([]);
    // Product codes and versions are not phones or addresses either.
    expect(count(results, SIT.phone)).toBe(0);
    expect(count(results, SIT.ipv4Address)).toBe(0);
  });

  it('noise.csv (CSV mode): id, timestamp, amount and version columns raise nothing', () => {
    const { results } = scan(fixtureBytes('noise.csv'), { delimiter: ',' });
    for (const id of FINANCIAL) expect(count(results, id), id).toBe(0);
    expect(count(results, SIT.phone)).toBe(0);
    expect(count(results, SIT.ipv4Address)).toBe(0);
  });

  it('the same values are found when they are labelled as what they are', () => {
    // The noise fixtures use real Luhn-valid Visa/Mastercard numbers; the check above is
    // meaningful only if they would be detected in a card context.
    const { results } = scan('Card number: 4716461583322103, Visa 4556737588384203, MC 5234567890123453.');
    expect(count(results, SIT.creditCard, 85)).toBe(3);
    const csv = scan('card_number,routing_number\n4716461583322103,011000015\n', { delimiter: ',' });
    expect(count(csv.results, SIT.creditCard, 85)).toBe(1);
    expect(count(csv.results, SIT.abaRouting, 75)).toBe(1);
  });

  it.each([
    ['13-digit millisecond timestamp', 'ts 1772424657934'],
    ['16-digit microsecond timestamp', 'at 1772424657934123'],
    ['19-digit nanosecond timestamp', 'at 1772424657934123456'],
    ['decimal', 'total 4716461583322103.50'],
    ['leading-zero decimal', 'ratio 0.4716461583322103'],
    ['scientific notation', 'x = 4.716461583322103e15'],
    ['exponent glued', 'x = 4716461583322103e-2'],
    ['order number', 'Order #4716461583322103'],
    ['order no.', 'Order No. 4716461583322103'],
    ['tracking number', 'Tracking number: 6011000400000000'],
    ['GUID group', '{12345678-4716-4615-8332-210345678901}'],
    ['GUID prefix', '4716461583322103-aaaa-bbbb-cccc'],
    ['hex literal', '0x4716461583322103'],
    ['URL path', 'https://example.com/orders/4716461583322103/items'],
    ['amount', 'paid $4716461583322103'],
    ['version', 'build 4716461583322103'],
  ])('%s', (_name, text) => {
    const { results } = scan(text);
    expect(count(results, SIT.creditCard)).toBe(0);
    expect(count(results, SIT.euDebitCard)).toBe(0);
  });
});
