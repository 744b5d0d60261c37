/**
 * Checksums and range rules of the built-in sensitive information types. Pure functions over digit
 * values (`0`-`9` as numbers), so the scanner can run them on a scratch array without building
 * strings; string helpers for tests and callers sit at the end.
 */

/** Luhn (mod 10) over `d[from..to)`. */
export function luhnValid(d: ArrayLike<number>, from: number, to: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = to - 1; i >= from; i--) {
    let v = d[i]!;
    if (double) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    double = !double;
  }
  return sum % 10 === 0;
}

function prefix(d: ArrayLike<number>, from: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 10 + d[from + i]!;
  return v;
}

/** Card brands the catalog knows; `maestro` covers the 50/56-69 debit ranges. */
export type CardBrand =
  | 'visa'
  | 'mastercard'
  | 'amex'
  | 'diners'
  | 'discover'
  | 'jcb'
  | 'unionpay'
  | 'maestro'
  | 'mir'
  | 'rupay'
  | 'uatp'
  | 'troy'
  | 'other';

/**
 * Issuer identification: which brand issues PANs with this prefix and length, or `undefined`.
 * Ranges follow the public IIN tables (ISO/IEC 7812 registrations as listed by the card schemes):
 * Visa 4 (13/16/19), Mastercard 51-55 and 2221-2720 (16), Amex 34/37 (15), Diners 300-305/3095/36/38-39
 * (14-19), JCB 3528-3589 (16-19), Discover 6011/644-649/65 (16-19), UnionPay 62/81 (16-19),
 * Mir 2200-2204 (16-19), Borica 2205 (16), Maestro 50/56-69 (13-19), RuPay 60/65/81/82/508/353/356,
 * UATP 1 (15), Troy 9792, Humo 9860, UzCard 8600 (16).
 * A 13-digit number starting with 1 (a millisecond timestamp) matches no issuer.
 */
export function cardBrand(d: ArrayLike<number>, from: number, to: number): CardBrand | undefined {
  const n = to - from;
  if (n < 13 || n > 19) return undefined;
  const p2 = prefix(d, from, 2);
  const p3 = prefix(d, from, 3);
  const p4 = prefix(d, from, 4);
  switch (d[from]) {
    case 1:
      return n === 15 ? 'uatp' : undefined;
    case 2:
      if (p4 >= 2221 && p4 <= 2720) return n === 16 ? 'mastercard' : undefined;
      if (p4 >= 2200 && p4 <= 2204) return n >= 16 ? 'mir' : undefined;
      if (p4 === 2205) return n === 16 ? 'other' : undefined;
      return undefined;
    case 3:
      if (p2 === 34 || p2 === 37) return n === 15 ? 'amex' : undefined;
      if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 ? 'diners' : undefined;
      if (p4 >= 3528 && p4 <= 3589) return n >= 16 ? 'jcb' : undefined;
      if (p3 === 353 || p3 === 356) return n === 16 ? 'rupay' : undefined;
      return undefined;
    case 4:
      return n === 13 || n === 16 || n === 19 ? 'visa' : undefined;
    case 5:
      if (p2 >= 51 && p2 <= 55) return n === 16 ? 'mastercard' : undefined;
      if (p3 === 508) return n === 16 ? 'rupay' : 'maestro';
      if (p2 === 50 || (p2 >= 56 && p2 <= 59)) return 'maestro';
      return undefined;
    case 6:
      if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65) return n >= 16 ? 'discover' : undefined;
      if (p2 === 62) return n >= 16 ? 'unionpay' : undefined;
      if (p2 === 60) return n >= 16 ? 'rupay' : 'maestro';
      // 63, 66-69: Maestro (incl. Maestro UK 6759/676770/676774), InterPayment 636, InstaPayment 637-639.
      return 'maestro';
    case 8:
      if (p2 === 81 || p2 === 82) return n >= 16 ? 'unionpay' : undefined;
      if (p4 === 8600) return n === 16 ? 'other' : undefined;
      return undefined;
    case 9:
      if (p4 === 9792) return n === 16 ? 'troy' : undefined;
      if (p4 === 9860) return n === 16 ? 'other' : undefined;
      return undefined;
    default:
      return undefined;
  }
}

/** Brands issued as debit cards in the EU (Visa, Mastercard, Maestro), 16-19 digits. */
export function isEuDebitShape(brand: CardBrand | undefined, length: number): boolean {
  return length >= 16 && (brand === 'visa' || brand === 'mastercard' || brand === 'maestro');
}

/**
 * ABA routing transit number: 9 digits, Federal Reserve prefix 00-12, 21-32, 61-72 or 80, and the
 * 3-7-1 weighted checksum. All zeros is rejected.
 */
export function isAbaRouting(d: ArrayLike<number>, from: number): boolean {
  const p2 = d[from]! * 10 + d[from + 1]!;
  if (!((p2 <= 12) || (p2 >= 21 && p2 <= 32) || (p2 >= 61 && p2 <= 72) || p2 === 80)) return false;
  let sum = 0;
  let zero = true;
  for (let i = 0; i < 9; i += 3) {
    const a = d[from + i]!;
    const b = d[from + i + 1]!;
    const c = d[from + i + 2]!;
    if (a | b | c) zero = false;
    sum += 3 * a + 7 * b + c;
  }
  return !zero && sum % 10 === 0;
}

/** U.S. SSN verdicts: `invalid`, `preRandomization` (area 001-772), or `randomized` (773-899). */
export type SsnKind = 'invalid' | 'preRandomization' | 'randomized';

/**
 * Numbers the SSA says were never valid or that were published and voided: the 1938 Woolworth
 * wallet card (078-05-1120), the 1940 SSB pamphlet (219-09-9999), the common 123-45-6789, and
 * advertising numbers 987-65-4320..4329 (area 9xx is rejected anyway).
 */
const KNOWN_FAKE_SSNS = new Set([78051120, 219099999, 123456789]);

/**
 * SSN range rules: area not 000, 666 or 900-999; group not 00; serial not 0000; not a known
 * published/fake number; not a single repeated digit. Areas above 772 were first issued after the
 * June 2011 randomization, which Microsoft's definition scores lower.
 */
export function ssnKind(d: ArrayLike<number>, from: number): SsnKind {
  const area = prefix(d, from, 3);
  const group = d[from + 3]! * 10 + d[from + 4]!;
  const serial = prefix(d, from + 5, 4);
  if (area === 0 || area === 666 || area >= 900 || group === 0 || serial === 0) return 'invalid';
  if (KNOWN_FAKE_SSNS.has(area * 1_000_000 + group * 10_000 + serial)) return 'invalid';
  let same = true;
  for (let i = 1; i < 9; i++) if (d[from + i] !== d[from]) same = false;
  if (same) return 'invalid';
  return area <= 772 ? 'preRandomization' : 'randomized';
}

// ------------------------------------------------------------------------------------------------
// String helpers (tests, CLI, custom callers)
// ------------------------------------------------------------------------------------------------

export function digitsOf(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) out.push(c);
  }
  return out;
}

/** Compute the Luhn check digit that completes `payload` (digits only). */
export function luhnCheckDigit(payload: string): number {
  const d = digitsOf(`${payload}0`);
  let sum = 0;
  for (let i = d.length - 2, double = true; i >= 0; i--, double = !double) {
    let v = d[i]!;
    if (double) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return (10 - (sum % 10)) % 10;
}
