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
/**
 * Byte classes. LOCAL: 1 = an ASCII byte allowed in an unquoted local part (a conservative subset
 * of RFC 5322 atext), 2 = a non-ASCII byte (checked as a whole character later). DOMAIN: an ASCII
 * letter, another ASCII byte allowed in a label (digit, hyphen), or a non-ASCII byte.
 */
const LOCAL = new Uint8Array(256);
const DOMAIN = new Uint8Array(256);
const D_LETTER = 1;
const D_OTHER = 2;
const D_INTL = 3;
/** ASCII upper-case letters to lower case, every other byte unchanged (what the hash sees). */
const FOLD = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  FOLD[c] = c >= 65 && c <= 90 ? c | 0x20 : c;
  if (c >= 0x80) {
    LOCAL[c] = 2;
    DOMAIN[c] = D_INTL;
  } else {
    if (isAsciiAlnum(c) || c === 45) DOMAIN[c] = (c | 0x20) >= 97 && (c | 0x20) <= 122 ? D_LETTER : D_OTHER;
    if (isAsciiAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45) LOCAL[c] = 1;
  }
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

/**
 * Evaluate the address around the `@` at `at`. One pass each way: the local part is read
 * backwards, then hashed forwards with the domain as the domain is read.
 */
export function scanEmail(w: WindowContext, at: number, column: number): void {
  const b = w.data;
  const len = b.length;
  let s = at;
  let intl = false;
  const minS = Math.max(0, at - MAX_LOCAL - 1);
  while (s > minS) {
    const t = LOCAL[b[s - 1]!]!;
    if (t === 0) break;
    if (t === 2) intl = true;
    s--;
  }
  if (s === at || at - s > MAX_LOCAL) return;
  if (s > 0 && b[s - 1] === 64) return; // "a@b@c"
  if (b[s] === 46 || b[at - 1] === 46) return;

  // Hash (case-folded) as we go: FNV-1a lane `ha`, polynomial lane `hb`.
  let ha = 0x811c9dc5 ^ 11;
  let hb = 0x2545f491 ^ 11;
  let prev = 0;
  for (let i = s; i < at; i++) {
    const v = FOLD[b[i]!]!;
    if (v === 46 && prev === 46) return; // ".."
    prev = v;
    ha = Math.imul(ha ^ v, 0x01000193);
    hb = ((hb << 5) - hb + v) | 0;
  }
  ha = Math.imul(ha ^ 64, 0x01000193);
  hb = ((hb << 5) - hb + 64) | 0;

  // Domain: labels separated by single dots; a trailing dot is not part of the address.
  let e = at + 1;
  let labels = 0;
  let lastStart = e;
  let lastAlpha = true;
  const maxE = Math.min(len, at + 2 + MAX_DOMAIN);
  for (;;) {
    const ls = e;
    let alpha = true;
    while (e < maxE) {
      const v = b[e]!;
      const t = DOMAIN[v]!;
      if (t === 0) break;
      if (t !== D_LETTER) {
        if (t === D_INTL) intl = true;
        else alpha = false;
      }
      const f = FOLD[v]!;
      ha = Math.imul(ha ^ f, 0x01000193);
      hb = ((hb << 5) - hb + f) | 0;
      e++;
    }
    if (e === ls || e - ls > MAX_LABEL || b[ls] === 45 || b[e - 1] === 45) return;
    labels++;
    lastStart = ls;
    lastAlpha = alpha;
    if (e + 1 < len && b[e] === 46 && DOMAIN[b[e + 1]!] !== 0) {
      ha = Math.imul(ha ^ 46, 0x01000193);
      hb = ((hb << 5) - hb + 46) | 0;
      e++;
      continue;
    }
    break;
  }
  if (labels < 2 || e - (at + 1) > MAX_DOMAIN) return;
  if (e < len && (b[e] === 95 || b[e] === 64)) return; // stopped inside something else
  // Top-level domain: letters (≥ 2), punycode "xn--…", or an internationalized name.
  const tldLen = e - lastStart;
  if (tldLen < 2) return;
  const punycode = tldLen > 4 && (b[lastStart]! | 0x20) === 120 && (b[lastStart + 1]! | 0x20) === 110 && b[lastStart + 2] === 45 && b[lastStart + 3] === 45;
  if (!punycode && !lastAlpha) return;
  if (intl && !intlOk(b.toString('utf8', s, e))) return;
  w.hash.set(ha, hb);
  w.report(RULES.email, s, e, column);
}
