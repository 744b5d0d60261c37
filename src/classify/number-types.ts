/**
 * The digit-based types in a parsed numeric token (numbers.ts): every type looks for its shapes
 * among the token's groups — a card may be preceded by another number on the same line ("qty 2
 * 4111 1111 1111 1111") — validates them, and reports them to the window context.
 */
import { RULES, type Rule } from './catalog.js';
import type { WindowContext } from './context.js';
import { attachedAfter, DOT, HYPHEN, isDigitByte, isWordByte, PRE, PRE_HASH, SEP_DOT, SPACE, type Token } from './numbers.js';
import { cardBrand, isAbaRouting, isEuDebitShape, luhnValid, ssnKind } from './validators.js';

function startOk(t: Token, g: number): boolean {
  if (t.paren[g]) return false;
  if (g === 0) return !t.leftAttached && !t.plus;
  return t.sep[g - 1] === SPACE;
}
function endOk(t: Token, h: number): boolean {
  return h === t.n - 1 ? !t.rightAttached : t.sep[h] === SPACE;
}

/** Hash digits `from..to` of the token into `w.hash`. */
function hashDigits(w: WindowContext, t: Token, from: number, to: number, salt: number): void {
  w.hash.setBytes(t.digits, from, to, salt, false);
}

/** Evaluate every digit-based type on a parsed token. `column` is its CSV column or -1. */
export function evaluateToken(w: WindowContext, t: Token, column: number, skipIpv4Before: number): void {
  if (t.overlong || t.n === 0) return;
  if (t.sepMask === SEP_DOT && !t.plus && !t.anyParen) {
    // Dotted groups only: an IPv4 address, a dotted North American phone number, or a decimal,
    // version or OID (nothing).
    if (t.n >= 4) ipv4(w, t, column, skipIpv4Before);
    else if (t.n === 3 && t.digitCount === 10) phones(w, t, column);
    return;
  }
  if (t.plus) {
    // "+…" is an international phone number; its groups are not read as other numbers.
    phones(w, t, column);
    return;
  }
  if (t.dots > 0 && t.n >= 4) ipv4(w, t, column, skipIpv4Before);
  const total = t.digitCount;
  if (total >= 13) cards(w, t, column);
  if (t.maxGroup >= 6 || t.n >= 3) nineDigitTypes(w, t, column);
  if (total >= 7) phones(w, t, column);
}

function cards(w: WindowContext, t: Token, column: number): void {
  const n = t.n;
  for (let g = 0; g < n; g++) {
    if (!startOk(t, g)) continue;
    const sep = g + 1 < n ? t.sep[g]! : -1;
    let best = -1;
    for (let h = g; h < n; h++) {
      const len = t.gd[h + 1]! - t.gd[g]!;
      if (len > 19) break;
      if (h > g && (t.paren[h] || t.sep[h - 1] !== sep || (sep !== SPACE && sep !== HYPHEN))) break;
      if (len >= 13 && endOk(t, h) && cardShape(t, g, h)) {
        const from = t.gd[g]!;
        const to = t.gd[h + 1]!;
        if (luhnValid(t.digits, from, to) && cardBrand(t.digits, from, to) !== undefined) best = h;
      }
    }
    if (best < 0) continue;
    const from = t.gd[g]!;
    const to = t.gd[best + 1]!;
    const start = t.gs[g]!;
    const end = t.ge[best]!;
    hashDigits(w, t, from, to, 1);
    if (isEuDebitShape(cardBrand(t.digits, from, to), to - from)) w.reportBoth(RULES.card, RULES.euDebit, start, end, column);
    else w.report(RULES.card, start, end, column);
    g = best;
  }
}

/** Grouped card layouts: 4-4-4-4(-1..4) style, or 4-6-5 / 4-6-4 (Amex, Diners). */
function cardShape(t: Token, g: number, h: number): boolean {
  if (g === h) return true;
  const k = h - g + 1;
  if (k === 3 && t.groupLength(g) === 4 && t.groupLength(g + 1) === 6) {
    const last = t.groupLength(h);
    if (last === 5 || last === 4) return true;
  }
  if (k < 3) return false;
  for (let i = g; i < h; i++) if (t.groupLength(i) !== 4) return false;
  const last = t.groupLength(h);
  return last >= 1 && last <= 4;
}

function nineDigitTypes(w: WindowContext, t: Token, column: number): void {
  const n = t.n;
  for (let g = 0; g < n; g++) {
    if (!startOk(t, g)) continue;
    const len = t.groupLength(g);
    const from = t.gd[g]!;
    if (endOk(t, g)) {
      if (len === 9) {
        const kind = ssnKind(t.digits, from);
        hashDigits(w, t, from, from + 9, 2);
        if (kind !== 'invalid') w.report(kind === 'preRandomization' ? RULES.ssnUnformatted : RULES.ssnRandomizedUnformatted, t.gs[g]!, t.ge[g]!, column);
        if (isAbaRouting(t.digits, from)) w.report(RULES.aba, t.gs[g]!, t.ge[g]!, column);
        w.report(RULES.passport, t.gs[g]!, t.ge[g]!, column);
      }
      if (len >= 6 && len <= 17) {
        hashDigits(w, t, from, from + len, 5);
        w.report(RULES.bank, t.gs[g]!, t.ge[g]!, column);
      }
    }
    if (g + 2 < n && !t.paren[g + 1] && !t.paren[g + 2] && endOk(t, g + 2)) {
      const sep = t.sep[g]!;
      const l1 = t.groupLength(g + 1);
      const l2 = t.groupLength(g + 2);
      if (sep === t.sep[g + 1] && (sep === HYPHEN || sep === SPACE) && len === 3 && l1 === 2 && l2 === 4) {
        const kind = ssnKind(t.digits, from);
        if (kind !== 'invalid') {
          const rule = kind === 'preRandomization' ? RULES.ssnFormatted : RULES.ssnRandomizedFormatted;
          hashDigits(w, t, from, from + 9, 2);
          w.report(rule, t.gs[g]!, t.ge[g + 2]!, column);
        }
      }
      if (sep === HYPHEN && t.sep[g + 1] === HYPHEN && len === 4 && l1 === 4 && l2 === 1 && isAbaRouting(t.digits, from)) {
        hashDigits(w, t, from, from + 9, 2);
        w.report(RULES.aba, t.gs[g]!, t.ge[g + 2]!, column);
      }
    }
  }
}

function ipv4(w: WindowContext, t: Token, column: number, skipBefore: number): void {
  const n = t.n;
  const b = w.data;
  for (let g = 0; g + 3 < n; g++) {
    if (g === 0 ? t.leftAttached || t.plus : t.sep[g - 1] !== SPACE) continue;
    if (w.base + t.gs[g]! < skipBefore) continue;
    let ok = true;
    for (let k = g; k < g + 4; k++) {
      if (t.paren[k] || (k < g + 3 && t.sep[k] !== DOT) || !octet(t, k)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    const h = g + 3;
    if (h < n - 1) {
      if (t.sep[h] !== SPACE) continue; // part of a longer dotted number (OID, version)
    } else if (t.rightAttached) {
      // Port (":8080") and prefix length ("/24") may follow an address.
      const c = b[t.end]!;
      if (!((c === 58 || c === 47) && t.end + 1 < b.length && isDigitByte(b[t.end + 1]!))) continue;
    }
    const hh = w.hash.reset(7);
    for (let k = g; k <= h; k++) hh.add(octetValue(t, k));
    const end = h === n - 1 ? prefixLengthEnd(b, t.ge[h]!, 32) : t.ge[h]!;
    w.reportBoth(RULES.ipv4, RULES.ipAddressV4, t.gs[g]!, end, column);
    g = h;
  }
}

/**
 * The common case of `ipv4` without parsing a token: a token of exactly four dotted groups
 * (PRE says so) starting at `i`, ending at `end`, not glued to a word on the left. Same verdicts.
 */
export function dottedQuad(w: WindowContext, i: number, end: number, column: number, skipBefore: number): void {
  if (w.base + i < skipBefore) return;
  const b = w.data;
  let p = i;
  // Hash64.reset(7) then add(octet) four times, in locals.
  let ha = 0x811c9dc5 ^ 7;
  let hb = 0x2545f491 ^ Math.imul(7, 0x9e3779b1);
  for (let k = 0; k < 4; k++) {
    let v = 0;
    const s = p;
    while (p < end && b[p] !== DOT) v = v * 10 + (b[p++]! - 48);
    if (p - s > 3 || v > 255) return;
    ha = Math.imul(ha ^ v, 0x01000193);
    const m = Math.imul(hb ^ v, 0x85ebca6b);
    hb = m ^ (m >>> 15);
    p++;
  }
  if (attachedAfter(b, end)) {
    const c = b[end]!;
    if (!((c === 58 || c === 47) && end + 1 < b.length && isDigitByte(b[end + 1]!))) return;
  }
  w.hash.a = ha;
  w.hash.b = hb;
  const spanEnd = prefixLengthEnd(b, end, 32);
  w.reportBoth(RULES.ipv4, RULES.ipAddressV4, i, spanEnd, column);
}

/**
 * The common case of an international number without parsing its token: "+cc group group …"
 * (PRE says: a plus, no parentheses) taken whole. Returns false when the whole token is not a
 * valid international number, and the caller parses it (a shorter prefix may still be one).
 * Same verdicts as `phones` on the parsed token.
 */
export function plusPhone(w: WindowContext, i: number, end: number, column: number): boolean {
  const digits = PRE[0]!;
  const n = PRE[1]!;
  if (n > 7 || digits < 8 || digits > 15 || (n < 2 && digits < 10) || PRE[2]! > 10) return false;
  if (n < 3 && (PRE[3]! & SEP_DOT) !== 0) return false;
  const b = w.data;
  if (b[i + 1] === 48) return false; // country codes do not start with 0
  let cc = 0;
  while (isDigitByte(b[i + 1 + cc]!)) cc++;
  if (n > 1 && cc > 3) return false;
  if (attachedAfter(b, end)) return false;
  // The digits' hash lanes, as prescanToken computed them for this token.
  w.hash.set(PRE_HASH[0]!, PRE_HASH[1]!);
  w.report(RULES.phone, i, end, column);
  return true;
}

/**
 * A CIDR prefix length ("/24") right after an address belongs to its span (not to its value):
 * returns the end including it, or `end` if there is none or it is out of range.
 */
export function prefixLengthEnd(b: Buffer, end: number, max: number): number {
  if (b[end] !== 47) return end;
  let p = end + 1;
  let v = 0;
  while (p < b.length && p - end <= 3 && isDigitByte(b[p]!)) v = v * 10 + (b[p++]! - 48);
  if (p === end + 1 || p - end > 4 || v > max || (p < b.length && isWordByte(b[p]!))) return end;
  return p;
}

function octetValue(t: Token, k: number): number {
  let v = 0;
  for (let i = t.gd[k]!; i < t.gd[k + 1]!; i++) v = v * 10 + t.digits[i]!;
  return v;
}
function octet(t: Token, k: number): boolean {
  const len = t.groupLength(k);
  return len >= 1 && len <= 3 && octetValue(t, k) <= 255;
}

// ------------------------------------------------------------------------------------------------
// Phone numbers
// ------------------------------------------------------------------------------------------------

/** NANP area code or exchange: first digit 2-9; an area code is not N11 (service codes). */
function nanpTriple(t: Token, k: number, area: boolean): boolean {
  if (t.groupLength(k) !== 3) return false;
  const d = t.gd[k]!;
  const a = t.digits[d]!;
  if (a < 2) return false;
  return !(area && t.digits[d + 1] === 1 && t.digits[d + 2] === 1);
}

function phoneRule(t: Token, g: number, h: number): Rule | undefined {
  const k = h - g + 1;
  const digits = t.gd[h + 1]! - t.gd[g]!;
  for (let i = g; i < h; i++) if (t.sep[i] === DOT && k < 3) return undefined;
  if (g === 0 && t.plus) {
    const cc = t.groupLength(0);
    if (k < 2 && digits < 10) return undefined;
    if (cc < 1 || (k > 1 && cc > 3) || t.digits[0] === 0 || t.paren[0]) return undefined;
    if (digits < 8 || digits > 15 || k > 7) return undefined;
    for (let i = g + 1; i <= h; i++) if (t.groupLength(i) > 10) return undefined;
    return RULES.phone;
  }
  // North American: (NXX) NXX-XXXX, NXX-NXX-XXXX, 1-NXX-NXX-XXXX
  let a = g;
  if (k === 4 && t.groupLength(g) === 1 && t.digits[t.gd[g]!] === 1 && !t.paren[g]) a = g + 1;
  if (h - a === 2 && nanpTriple(t, a, true) && nanpTriple(t, a + 1, false) && t.groupLength(a + 2) === 4 && !t.paren[a + 1] && !t.paren[a + 2]) {
    const s1 = t.sep[a]!;
    const s2 = t.sep[a + 1]!;
    if (t.paren[a] ? s1 === SPACE || s1 === 0 || s1 === HYPHEN : s1 === s2 && s1 !== 0) return RULES.phone;
  }
  // National format with trunk prefix 0: 020 7123 4567, 090-1234-5678, 09-7625400, (030) 1234567
  const ssnShape = k === 3 && t.groupLength(g) === 3 && t.groupLength(g + 1) === 2 && t.groupLength(h) === 4;
  if (k >= 2 && k <= 5 && !ssnShape && t.digits[t.gd[g]!] === 0 && digits >= 9 && digits <= 12) {
    for (let i = g; i <= h; i++) {
      if (t.groupLength(i) > 8 || (i > g && t.paren[i])) return undefined;
      if (i < h && t.sep[i] === DOT && k < 3) return undefined;
    }
    return RULES.phoneNational;
  }
  return undefined;
}

/** A bare 10-11 digit number that is a plausible phone number (keyword required). */
function barePhone(t: Token, g: number): boolean {
  const len = t.groupLength(g);
  const d = t.gd[g]!;
  const x = t.digits;
  if (len === 10) return x[d] === 0 || (x[d]! >= 2 && x[d + 3]! >= 2 && !(x[d + 1] === 1 && x[d + 2] === 1));
  // 1 + North American number, or a Chinese mobile number (1[3-9]…)
  if (len === 11) return x[d] === 0 || (x[d] === 1 && x[d + 1]! >= 2);
  return false;
}

function phones(w: WindowContext, t: Token, column: number): void {
  const n = t.n;
  for (let g = 0; g < n; g++) {
    const canStart = g === 0 ? !t.leftAttached : t.sep[g - 1] === SPACE && !(t.plus && g === 0);
    if (!canStart) continue;
    let best = -1;
    let bestRule: Rule | undefined;
    if (!(t.plus && g === 0) && !t.paren[g] && endOk(t, g) && barePhone(t, g)) {
      best = g;
      bestRule = RULES.phoneBare;
    }
    // Longest first: the last group that keeps the number within 15 digits, then shorter.
    let top = g;
    while (top + 1 < n && t.gd[top + 2]! - t.gd[g]! <= 15) top++;
    for (let h = top; h >= g + (t.plus && g === 0 ? 0 : 1); h--) {
      if (!endOk(t, h)) continue;
      const rule = phoneRule(t, g, h);
      if (rule) {
        best = h;
        bestRule = rule;
        break;
      }
    }
    if (best < 0 || !bestRule) continue;
    const from = t.gd[g]!;
    const to = t.gd[best + 1]!;
    const start = g === 0 && t.plus ? t.start : t.paren[g] ? t.gs[g]! - 1 : t.gs[g]!;
    const end = t.paren[best] ? t.ge[best]! + 1 : t.ge[best]!;
    hashDigits(w, t, from, to, 12);
    w.report(bestRule, start, end, column);
    g = best;
  }
}
