/**
 * Numeric tokens: a run of digit groups joined by single separators (space, hyphen, dot), with an
 * optional leading `+` and parenthesized groups — "4111 1111 1111 1111", "078-05-1123",
 * "+1 (415) 555-0132", "192.168.0.1". This module is the token grammar (`prescanToken` to step
 * over a token and summarize it, `parseToken` to record its groups) and the boundary rules;
 * number-types.ts finds the types in a parsed token.
 *
 * Boundaries are what keep numeric noise out: a token glued to a word ("v2.3.1", "SKU-123",
 * "1Z999AA1…", a GUID's hex groups), a decimal ("0.4111111111111111"), or a longer dotted number
 * ("1.3.6.1.4.1") is not a card, SSN, routing number or IP address.
 */

export const MAX_GROUPS = 12;
export const MAX_DIGITS = 48;
/** Bytes read for one token at most; the rest of a longer run is read as further (attached) tokens. */
export const MAX_TOKEN_BYTES = 96;

export const SEP_SPACE = 1;
export const SEP_HYPHEN = 2;
export const SEP_DOT = 4;
export const SEP_NONE = 8;

export const SPACE = 32;
export const HYPHEN = 45;
export const DOT = 46;

export function isDigitByte(c: number): boolean {
  return c >= 48 && c <= 57;
}
/** Letters, digits, `_` and any non-ASCII byte (part of a word in UTF-8 text). */
export function isWordByte(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 95 || c >= 0x80;
}
function isAlnumByte(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122);
}

/**
 * For the byte before a number: 1 = glued to it (a word byte, "@", or a currency sign: "$4716…" is
 * an amount), 2 = glued if the byte before is alphanumeric (".", "-", "/").
 */
const ATTACH = new Uint8Array(256);
for (let c = 0; c < 256; c++) ATTACH[c] = isWordByte(c) || c === 64 || c === 36 ? 1 : c === DOT || c === HYPHEN || c === 47 ? 2 : 0;

/** Is the byte before `s` part of the same word (so a number starting at `s` is glued to it)? */
export function attachedBefore(b: Buffer, s: number): boolean {
  if (s === 0) return false;
  const a = ATTACH[b[s - 1]!]!;
  return a === 1 || (a === 2 && s >= 2 && isAlnumByte(b[s - 2]!));
}

/** Is the byte at `e` (just after a number) part of the same word? */
export function attachedAfter(b: Buffer, e: number): boolean {
  if (e >= b.length) return false;
  const c = b[e]!;
  if (isWordByte(c) || c === 64) return true;
  if (c === DOT || c === HYPHEN || c === 47 || c === 58 /* : */) return e + 1 < b.length && (c === 58 ? isLetterByte(b[e + 1]!) : isAlnumByte(b[e + 1]!));
  return false;
}
function isLetterByte(c: number): boolean {
  return (c | 0x20) >= 97 && (c | 0x20) <= 122;
}

/** A parsed token (reused: one per scanner). */
export class Token {
  start = 0;
  end = 0;
  /** Number of digit groups. */
  n = 0;
  plus = false;
  anyParen = false;
  dots = 0;
  overlong = false;
  /** Longest group (digits). */
  maxGroup = 0;
  /** Separator kinds used: SEP_SPACE | SEP_HYPHEN | SEP_DOT | SEP_NONE. */
  sepMask = 0;
  leftAttached = false;
  rightAttached = false;
  /** Byte range of each group's digits. */
  readonly gs = new Int32Array(MAX_GROUPS);
  readonly ge = new Int32Array(MAX_GROUPS);
  readonly paren = new Uint8Array(MAX_GROUPS);
  /** Separator after group k: space, hyphen, dot, or 0 (a closing parenthesis directly followed by digits). */
  readonly sep = new Int32Array(MAX_GROUPS);
  /** Offset of each group's first digit in `digits`; `gd[n]` is the digit count. */
  readonly gd = new Int32Array(MAX_GROUPS + 1);
  readonly digits = new Uint8Array(MAX_DIGITS);

  get digitCount(): number {
    return this.gd[this.n]!;
  }
  groupLength(k: number): number {
    return this.gd[k + 1]! - this.gd[k]!;
  }
}

/**
 * Parse the token starting at `i` (a digit, or `+`/`(` followed by a digit) into `t`; returns its
 * end. Tokens longer than MAX_GROUPS/MAX_DIGITS are consumed whole and marked `overlong`.
 */
export function parseToken(b: Buffer, i: number, t: Token): number {
  const len = b.length;
  let p = i;
  let n = 0;
  let nd = 0;
  t.start = i;
  t.plus = false;
  t.anyParen = false;
  t.dots = 0;
  t.overlong = false;
  t.maxGroup = 0;
  t.sepMask = 0;
  if (b[p] === 43 /* + */) {
    t.plus = true;
    p++;
  }
  let capped = false;
  for (;;) {
    if (p - i >= MAX_TOKEN_BYTES) {
      capped = true;
      break;
    }
    let paren = 0;
    const groupStart = p;
    const ndBefore = nd;
    if (b[p] === 40 /* ( */) {
      paren = 1;
      p++;
    }
    const gs = p;
    while (p < len && isDigitByte(b[p]!) && p - i < MAX_TOKEN_BYTES) {
      if (nd < MAX_DIGITS) t.digits[nd] = b[p]! - 48;
      nd++;
      p++;
    }
    if (p === gs || (paren && b[p] !== 41 /* ) */)) {
      // "(" not followed by digits and ")": the token ends before it.
      p = groupStart;
      nd = ndBefore;
      if (n > 0) p--; // give back the separator
      else p = i + 1; // nothing here: step over the "("
      break;
    }
    if (p - gs > t.maxGroup) t.maxGroup = p - gs;
    if (n < MAX_GROUPS) {
      t.gs[n] = gs;
      t.ge[n] = p;
      t.paren[n] = paren;
      t.gd[n] = Math.min(nd - (p - gs), MAX_DIGITS);
      t.sep[n] = -1;
    }
    if (paren) {
      t.anyParen = true;
      p++;
    }
    n++;
    if (p >= len) break;
    const c = b[p]!;
    if ((c === SPACE || c === HYPHEN || c === DOT) && p + 1 < len) {
      const d = b[p + 1]!;
      if (isDigitByte(d) || (c !== DOT && d === 40 && p + 2 < len && isDigitByte(b[p + 2]!))) {
        if (n <= MAX_GROUPS) t.sep[n - 1] = c;
        if (c === DOT) t.dots++;
        t.sepMask |= c === SPACE ? SEP_SPACE : c === HYPHEN ? SEP_HYPHEN : SEP_DOT;
        p++;
        continue;
      }
    }
    if (paren && isDigitByte(c)) {
      if (n <= MAX_GROUPS) t.sep[n - 1] = 0;
      t.sepMask |= SEP_NONE;
      continue;
    }
    break;
  }
  if (capped || p - i >= MAX_TOKEN_BYTES || n > MAX_GROUPS || nd > MAX_DIGITS) {
    t.overlong = true;
    n = Math.min(n, MAX_GROUPS);
  }
  t.n = n;
  t.gd[n] = Math.min(nd, MAX_DIGITS);
  t.end = p;
  return p;
}

/** Summary of a token from `prescanToken`: [digits, groups, longest group, separator mask, flags]. */
export const PRE = new Int32Array(5);
/** For a "+" token, the two unfinished hash lanes of its digits (see `prescanToken`). */
export const PRE_HASH = new Int32Array(2);
export const PRE_PLUS = 1;
export const PRE_PAREN = 2;
export const PRE_OVERLONG = 4;

/**
 * The same grammar as `parseToken`, without recording groups: returns the token's end and leaves
 * a summary in PRE, so the scanner can drop most numbers (dates, decimals, versions, short ids)
 * before parsing them. A property test keeps the two in step.
 */
export function prescanToken(b: Buffer, i: number): number {
  const len = b.length;
  const digitsEnd = Math.min(len, i + MAX_TOKEN_BYTES);
  let p = i;
  let n = 0;
  let nd = 0;
  let maxGroup = 0;
  let sepMask = 0;
  let flags = 0;
  // A "+" token (an international phone number) hashes its digits on the way, as plusPhone needs
  // them: lanes of `Hash64.setBytes` over the digit values, of the groups taken so far (`ca`, `cb`).
  const plus = b[p] === 43;
  let ha = 0x811c9dc5 ^ 12;
  let hb = 0x2545f491 ^ 12;
  let ca = ha;
  let cb = hb;
  if (plus) {
    flags |= PRE_PLUS;
    p++;
  }
  for (;;) {
    if (p - i >= MAX_TOKEN_BYTES) {
      flags |= PRE_OVERLONG;
      break;
    }
    const groupStart = p;
    const paren = b[p] === 40;
    if (paren) p++;
    const gs = p;
    if (plus) {
      while (p < digitsEnd) {
        const d = b[p]! - 48;
        if (d < 0 || d > 9) break;
        ha = Math.imul(ha ^ d, 0x01000193);
        hb = ((hb << 5) - hb + d) | 0;
        p++;
      }
    } else {
      while (p < digitsEnd && b[p]! >= 48 && b[p]! <= 57) p++;
    }
    if (p === gs || (paren && b[p] !== 41)) {
      p = groupStart;
      if (n > 0) p--;
      else p = i + 1;
      break;
    }
    ca = ha;
    cb = hb;
    nd += p - gs;
    if (p - gs > maxGroup) maxGroup = p - gs;
    if (paren) {
      flags |= PRE_PAREN;
      p++;
    }
    n++;
    if (p >= len) break;
    const c = b[p]!;
    if ((c === SPACE || c === HYPHEN || c === DOT) && p + 1 < len) {
      const d = b[p + 1]!;
      if ((d >= 48 && d <= 57) || (c !== DOT && d === 40 && p + 2 < len && isDigitByte(b[p + 2]!))) {
        sepMask |= c === SPACE ? SEP_SPACE : c === HYPHEN ? SEP_HYPHEN : SEP_DOT;
        p++;
        continue;
      }
    }
    if (paren && c >= 48 && c <= 57) {
      sepMask |= SEP_NONE;
      continue;
    }
    break;
  }
  if (p - i >= MAX_TOKEN_BYTES || n > MAX_GROUPS || nd > MAX_DIGITS) flags |= PRE_OVERLONG;
  PRE[0] = nd;
  PRE[1] = n;
  PRE[2] = maxGroup;
  PRE[3] = sepMask;
  PRE[4] = flags;
  PRE_HASH[0] = ca;
  PRE_HASH[1] = cb;
  return p;
}

/**
 * The end of the token starting at `i`, as `prescanToken` returns it, without its summary: for the
 * numbers glued to a word that the scanner steps over ("doe123@…", "1Z999AA1…"). A run of digits
 * followed by anything but a separator is read here; other tokens go to `prescanToken`.
 */
export function skipToken(b: Buffer, i: number): number {
  const limit = Math.min(b.length, i + MAX_TOKEN_BYTES);
  let p = i;
  while (p < limit && b[p]! >= 48 && b[p]! <= 57) p++;
  if (p > i && p < limit) {
    const c = b[p]!;
    if (c !== SPACE && c !== HYPHEN && c !== DOT) return p;
  }
  return prescanToken(b, i);
}

/**
 * Could a token with this summary hold anything a digit-based type reports? Dates (2026-03-02),
 * decimals, versions and short numbers cannot.
 */
export function worthParsing(): boolean {
  const digits = PRE[0]!;
  const n = PRE[1]!;
  const flags = PRE[4]!;
  if (flags & PRE_OVERLONG) return false;
  if (flags & (PRE_PLUS | PRE_PAREN)) return digits >= 7;
  const sepMask = PRE[3]!;
  if (n === 1) return digits >= 6 && digits <= 19;
  if (sepMask === SEP_DOT) return n >= 4 || (n === 3 && digits === 10);
  // Grouped: cards (≥ 13 digits), SSN / ABA / phones (≥ 9), or a long group within (space-separated).
  return digits >= 9 || (PRE[2]! >= 6 && (sepMask & SEP_SPACE) !== 0);
}
