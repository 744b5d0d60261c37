/**
 * IPv6 addresses (RFC 4291 text forms): eight hex groups, or fewer with one "::", optionally ending
 * in an embedded IPv4 address, optionally followed by a zone ("%eth0"). An address is evaluated
 * once, from its first colon. Times ("12:34:56"), MAC addresses, "std::cout" and a bare "::" are
 * not addresses.
 */
import { RULES } from './catalog.js';
import type { WindowContext } from './context.js';
import { prefixLengthEnd } from './number-types.js';

const MAX_ADDRESS = 45;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
function isWordByte(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 95 || c >= 0x80;
}

/** Parsed groups (16-bit values); reused. */
const groups = new Int32Array(10);

/**
 * Parse `b[s..e)` as an IPv6 address. Returns the number of 16-bit groups written to `groups`
 * (always 8 on success, "::" expanded), or -1. `v4At` receives the byte offset of an embedded
 * IPv4 part, or -1.
 */
function parse(b: Buffer, s: number, e: number, out: { v4At: number }): number {
  const head: number[] = [];
  const tail: number[] = [];
  let cur = head;
  let compressed = false;
  let i = s;
  out.v4At = -1;
  if (b[i] === 58) {
    if (b[i + 1] !== 58) return -1;
    compressed = true;
    cur = tail;
    i += 2;
    if (i === e) return -1; // a bare "::" carries no address
  }
  while (i < e) {
    // IPv4 tail?
    let j = i;
    let v = 0;
    let n = 0;
    while (j < e && hexValue(b[j]!) >= 0 && n < 5) {
      v = v * 16 + hexValue(b[j]!);
      j++;
      n++;
    }
    if (j < e && b[j] === 46) {
      const v4 = parseV4(b, i, e);
      if (v4 < 0) return -1;
      cur.push(v4 >>> 16, v4 & 0xffff);
      out.v4At = i;
      i = e;
      break;
    }
    if (n === 0 || n > 4) return -1;
    cur.push(v);
    i = j;
    if (i === e) break;
    if (b[i] !== 58) return -1;
    if (b[i + 1] === 58) {
      if (compressed) return -1;
      compressed = true;
      cur = tail;
      i += 2;
      continue;
    }
    i++;
    if (i === e) return -1; // trailing single colon
  }
  const total = head.length + tail.length;
  if (compressed ? total > 7 : total !== 8) return -1;
  let k = 0;
  for (const g of head) groups[k++] = g;
  for (let z = 0; z < 8 - total; z++) groups[k++] = 0;
  for (const g of tail) groups[k++] = g;
  return 8;
}

/** Dotted IPv4 in `b[s..e)` (exactly), as a 32-bit value, or -1. */
function parseV4(b: Buffer, s: number, e: number): number {
  let value = 0;
  let parts = 0;
  let i = s;
  while (i < e) {
    let v = 0;
    let n = 0;
    while (i < e && b[i]! >= 48 && b[i]! <= 57 && n < 4) {
      v = v * 10 + (b[i]! - 48);
      i++;
      n++;
    }
    if (n === 0 || n > 3 || v > 255) return -1;
    value = value * 256 + v;
    parts++;
    if (i === e) break;
    if (b[i] !== 46) return -1;
    i++;
  }
  return parts === 4 ? value >>> 0 : -1;
}

const v4Out = { v4At: -1 };

/**
 * Evaluate a possible IPv6 address whose first colon is at `p`. Returns the absolute end of an
 * embedded IPv4 part (so the dotted-quad detector does not count it again), or -1.
 */
export function scanIpv6(w: WindowContext, p: number, column: number): number {
  const b = w.data;
  const len = b.length;
  let s = p;
  while (s > 0 && p - s < 5 && hexValue(b[s - 1]!) >= 0) s--;
  if (p - s > 4) return -1;
  if (s > 0) {
    const c = b[s - 1]!;
    if (c === 58 || c === 46 || isWordByte(c)) return -1; // not the first colon, or glued to a word
  }
  // Quick shape check: one "::" or at least six colons before anything else.
  let e = p;
  let colons = 0;
  let double = false;
  while (e < len && e - s < MAX_ADDRESS) {
    const c = b[e]!;
    if (c === 58) {
      colons++;
      if (b[e - 1] === 58) double = true;
    } else if (c !== 46 && hexValue(c) < 0) break;
    e++;
  }
  if (!double && colons < 6) return -1;
  if (e - s >= MAX_ADDRESS) return -1;
  // A sentence may end right after the address.
  while (e > p && b[e - 1] === 46) e--;
  if (b[e - 1] === 58 && b[e - 2] !== 58) e--;
  if (parse(b, s, e, v4Out) < 0) return -1;
  let end = e;
  if (end < len && b[end] === 37 /* % */) {
    let z = end + 1;
    while (z < len && z - end < 16 && isWordByte(b[z]!) && b[z]! < 0x80) z++;
    if (z > end + 1) end = z;
  }
  if (end < len && (isWordByte(b[end]!) || b[end] === 64)) return -1;
  end = prefixLengthEnd(b, end, 128);
  const h = w.hash.reset(13);
  for (let k = 0; k < 8; k++) h.add(groups[k]!);
  w.reportBoth(RULES.ipAddressV6, RULES.ipv6, s, end, column);
  return v4Out.v4At >= 0 ? w.base + e : -1;
}
