/**
 * Email addresses, found from their `@`: the local part is read backwards, the domain forwards.
 * Sizes follow RFC 5321 (local part ≤ 64, label ≤ 63, domain ≤ 253); internationalized letters are
 * accepted, quoted local parts are not (they do not occur in reports and make scanning ambiguous).
 */
import { RULES } from './catalog.js';
import type { WindowContext } from './context.js';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_LABEL = 63;

function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122);
}
/** Bytes of an unquoted local part (a conservative subset of RFC 5322 atext) and of a domain. */
const LOCAL = new Uint8Array(256);
const DOMAIN = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  if (isAsciiAlnum(c) || c === 45) DOMAIN[c] = 1;
  if (isAsciiAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45) LOCAL[c] = 1;
}
function isLocalAscii(c: number): boolean {
  return LOCAL[c] === 1;
}
function isDomainAscii(c: number): boolean {
  return DOMAIN[c] === 1;
}

/** Letters, marks and digits of other scripts; not full-width ASCII look-alikes or U+FFFD. */
const INTL_CHAR = /^[\p{L}\p{M}\p{N}]$/u;
function intlOk(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) continue;
    if ((cp >= 0xff01 && cp <= 0xff5e) || cp === 0xfffd || !INTL_CHAR.test(ch)) return false;
  }
  return true;
}

/** Evaluate the address around the `@` at `at`. */
export function scanEmail(w: WindowContext, at: number, column: number): void {
  const b = w.data;
  const len = b.length;
  let s = at;
  let intl = false;
  while (s > 0 && at - s <= MAX_LOCAL) {
    const c = b[s - 1]!;
    if (c >= 0x80) intl = true;
    else if (!isLocalAscii(c)) break;
    s--;
  }
  if (s === at || at - s > MAX_LOCAL) return;
  if (s > 0 && b[s - 1] === 64) return; // "a@b@c"
  if (b[s] === 46 || b[at - 1] === 46) return;
  for (let i = s + 1; i < at; i++) if (b[i] === 46 && b[i - 1] === 46) return;

  // Domain: labels separated by single dots; stop before a trailing dot.
  let e = at + 1;
  let labels = 0;
  let lastLabelStart = e;
  let tldAlpha = true;
  for (;;) {
    const ls = e;
    while (e < len && e - (at + 1) <= MAX_DOMAIN) {
      const c = b[e]!;
      if (c >= 0x80) intl = true;
      else if (!isDomainAscii(c)) break;
      e++;
    }
    if (e === ls) {
      if (labels === 0) return;
      e--; // the dot before an empty label is not part of the address
      break;
    }
    if (e - ls > MAX_LABEL || b[ls] === 45 || b[e - 1] === 45) return;
    labels++;
    lastLabelStart = ls;
    if (e < len - 1 && b[e] === 46 && (isDomainAscii(b[e + 1]!) || b[e + 1]! >= 0x80)) {
      e++;
      continue;
    }
    break;
  }
  if (labels < 2 || e - (at + 1) > MAX_DOMAIN) return;
  // After the address: a word character or underscore would mean we stopped inside something else.
  if (e < len) {
    const c = b[e]!;
    if (c === 95 || c === 64) return;
  }
  // Top-level domain: letters (≥ 2), or punycode "xn--…", or an internationalized name.
  const tldLen = e - lastLabelStart;
  if (tldLen < 2) return;
  const punycode = tldLen > 4 && (b[lastLabelStart]! | 0x20) === 120 && (b[lastLabelStart + 1]! | 0x20) === 110 && b[lastLabelStart + 2] === 45 && b[lastLabelStart + 3] === 45;
  if (!punycode) {
    for (let i = lastLabelStart; i < e; i++) {
      const c = b[i]!;
      if (c < 0x80 && !((c | 0x20) >= 97 && (c | 0x20) <= 122)) tldAlpha = false;
    }
    if (!tldAlpha) return;
  }
  if (intl && !intlOk(b.toString('utf8', s, e))) return;

  w.hash.setBytes(b, s, e, 11, true);
  w.report(RULES.email, s, e, column);
}
