/**
 * Identifiers that start with letters: IBANs ("DE89 3704 0044 0532 0130 00"), U.K. National
 * Insurance numbers ("AB 12 34 56 C") and letter-prefixed passport numbers ("A12345678"). The
 * scanner reaches them through their first digits, with the letters just before.
 */
import { RULES } from './catalog.js';
import type { WindowContext } from './context.js';
import { ibanLength, ibanValidCodes } from './iban.js';

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlnum(c: number | undefined): boolean {
  return c !== undefined && (isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 122));
}

const codes = new Uint8Array(40);

/**
 * IBAN starting at `q` (the country code). Electronic form (no separators) or print form (groups
 * of four separated by single spaces or hyphens). Returns the end offset of a valid IBAN, or -1.
 */
export function scanIban(w: WindowContext, q: number, column: number): number {
  const b = w.data;
  if (!isUpper(b[q]!) || !isUpper(b[q + 1]!) || !isDigit(b[q + 2]!) || !isDigit(b[q + 3]!)) return -1;
  const length = ibanLength(String.fromCharCode(b[q]!, b[q + 1]!));
  if (length === undefined) return -1;
  const sep = b[q + 4] === 32 || b[q + 4] === 45 ? b[q + 4]! : -1;
  let p = q;
  let n = 0;
  while (n < length) {
    if (n > 0 && n % 4 === 0 && sep >= 0) {
      if (b[p] !== sep) return -1;
      p++;
    }
    const c = b[p];
    if (c === undefined || !(isUpper(c) || isDigit(c))) return -1;
    codes[n++] = c;
    p++;
  }
  if (isAlnum(b[p])) return -1;
  if (!ibanValidCodes(codes, length)) return -1;
  const h = w.hash.reset(3);
  for (let i = 0; i < length; i++) h.add(codes[i]!);
  w.report(RULES.iban, q, p, column);
  return p;
}

/** Prefix letters HMRC never issues (first / second letter), and unallocated pairs. */
const NINO_FIRST_BAD = new Set('DFIQUV');
const NINO_SECOND_BAD = new Set('DFIOQUV');
const NINO_PAIRS_BAD = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

/**
 * U.K. NINO starting at `q`: two letters, six digits (optionally in pairs), a suffix A-D; spaces or
 * hyphens between the parts are tolerated if used consistently.
 */
export function scanNino(w: WindowContext, q: number, column: number): boolean {
  const b = w.data;
  const l1 = String.fromCharCode(b[q]!);
  const l2 = String.fromCharCode(b[q + 1]!);
  if (NINO_FIRST_BAD.has(l1) || NINO_SECOND_BAD.has(l2) || NINO_PAIRS_BAD.has(l1 + l2)) return false;
  let p = q + 2;
  if (b[p] === 32 || b[p] === 45) p++;
  const h = w.hash.reset(8).add(b[q]!).add(b[q + 1]!);
  let pairSep = -2; // unknown until the second pair
  for (let pair = 0; pair < 3; pair++) {
    if (pair > 0) {
      const c = b[p] === 32 || b[p] === 45 ? b[p]! : -1;
      if (pairSep === -2) pairSep = c;
      if (c !== pairSep) return false;
      if (c >= 0) p++;
    }
    if (!isDigit(b[p]!) || !isDigit(b[p + 1]!)) return false;
    h.add(b[p]!).add(b[p + 1]!);
    p += 2;
  }
  if (b[p] === 32 || b[p] === 45) p++;
  const suffix = b[p]!;
  if (suffix < 65 || suffix > 68) return false;
  p++;
  if (isAlnum(b[p])) return false;
  h.add(suffix);
  w.report(RULES.nino, q, p, column);
  return true;
}

/** Letter-prefixed passport number at `q`: one upper-case letter + 8 digits (keyword required). */
export function scanLetterPassport(w: WindowContext, q: number, column: number): void {
  const b = w.data;
  for (let i = 1; i <= 8; i++) if (!isDigit(b[q + i]!)) return;
  if (isAlnum(b[q + 9]) || b[q + 9] === 64) return;
  const h = w.hash.reset(6).add(b[q]!);
  for (let i = 1; i <= 8; i++) h.add(b[q + i]!);
  w.report(RULES.passport, q, q + 9, column);
}
