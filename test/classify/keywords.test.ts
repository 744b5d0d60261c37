import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anchorIn, antiLabelAt, endsWithAntiLabel, GROUP_ANCHORS, GROUP_PRESENCE, groupsInLabel, isAntiHeader, KEYWORDS, KW } from '../../src/classify/keywords.js';

describe('keywords', () => {
  it('every keyword of an anchored group contains one of its anchors (any case)', () => {
    for (const [group, anchors] of GROUP_ANCHORS) {
      for (const keyword of KEYWORDS[group]!) {
        for (const spelled of [keyword, keyword.replace(/ /g, '_'), keyword.replace(/ /g, '-'), keyword.replace(/ /g, '')]) {
          expect(anchors.some((a) => spelled.toLowerCase().includes(a)), `${spelled} (group ${group})`).toBe(true);
        }
      }
    }
  });

  it('the byte-level anchor search answers like the anchor regex on the Latin-1 view', () => {
    // Anchor letters in both cases, their neighbours in the alphabet (and 0x20 apart), '#', and
    // Latin-1 / UTF-8 bytes that case-fold to letters elsewhere (ſ, K sign, Á, á).
    const pieces = ['a', 'A', 'c', 'C', 's', 'S', 'n', 'N', 'o', 'O', 'p', 'P', 'i', 'I', 'd', 'D', 'r', 'R', 't', 'T', 'e', 'E', '#', '\x03', 'A\x03', ' ', '_', '-', '1', 'acc', 'ss#', 'soc', 'pasa', 'ſ', 'K', 'Á', 'á', 'ÿ'];
    const bytes = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((p) => Buffer.from(p.join(''), 'utf8'));
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), (b, x, y) => {
        const from = Math.min(x, y) % (b.length + 1);
        const to = from + (Math.max(x, y) % (b.length - from + 1));
        for (const [group, regex] of GROUP_PRESENCE) {
          expect(anchorIn(b, from, to, group)).toBe(regex.test(b.toString('latin1', from, to)));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('CSV headers name keyword groups and identifier columns', () => {
    expect(groupsInLabel('card_number') & KW.card).toBeTruthy();
    expect(groupsInLabel('cardNumber') & KW.card).toBeTruthy();
    expect(groupsInLabel('client_ip') & KW.ip).toBeTruthy();
    expect(groupsInLabel('SSN') & KW.ssn).toBeTruthy();
    expect(groupsInLabel('routing_number') & KW.aba).toBeTruthy();
    expect(groupsInLabel('customer_name')).toBe(0);
    expect(isAntiHeader('order_id')).toBe(true);
    expect(isAntiHeader('createdAt')).toBe(true);
    expect(isAntiHeader('app_version')).toBe(true);
    expect(isAntiHeader('card_number')).toBe(false);
    expect(isAntiHeader('email')).toBe(false);
  });

  it.each([
    ['Order #', true],
    ['Order No. ', true],
    ['tracking number: ', true],
    ['SKU:', true],
    ['s/n ', true],
    ['Card number: ', false],
    ['paid with ', false],
    ['v2', false],
  ])('anti-label %j → %s', (label, expected) => {
    const bytes = Buffer.from(`${label}4111111111111111`, 'latin1');
    expect(antiLabelAt(bytes, label.length, 0)).toBe(expected);
    expect(endsWithAntiLabel(label, 0)).toBe(expected);
  });

  it('an anti-label that names the type itself does not suppress it', () => {
    expect(endsWithAntiLabel('Passport ID ', KW.passportNumber)).toBe(false);
    expect(endsWithAntiLabel('Customer ID ', KW.passportNumber)).toBe(true);
  });
});

describe('anti-labels stay specific', () => {
  it('generic words before a number do not suppress it', () => {
    for (const label of ['Card on file ', 'Customer paid with ', 'Line 2: ', 'Page: ']) {
      expect(endsWithAntiLabel(label, 0), label).toBe(false);
    }
  });
});
