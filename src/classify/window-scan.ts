/**
 * The scanner's single pass over a window of bytes. A lookup table sorts bytes into "nothing to
 * do" (letters, most punctuation: one load and one compare) and the few that start work: digits
 * (numeric tokens, and through the letters before them IBANs, NINOs, passports), `+`/`(` (phone
 * numbers), `@` (emails), `:` (IPv6), and in CSV mode the delimiter, newline and quote (to know
 * each value's column). Validators run only on candidates that pass the shape checks.
 */
import type { ColumnInfo, WindowContext } from './context.js';
import { scanEmail } from './email.js';
import { scanIpv6 } from './ipv6.js';
import { groupsInLabel, isAntiHeader } from './keywords.js';
import { dottedQuad, evaluateToken, plusPhone } from './number-types.js';
import { attachedAfter, attachedBefore, isDigitByte, parseToken, PRE, PRE_PLUS, prescanToken, SEP_DOT, skipToken, Token, worthParsing } from './numbers.js';
import { scanIban, scanLetterPassport, scanNino } from './prefixed.js';

const K_DIGIT = 1;
const K_SIGN = 2;
const K_AT = 3;
const K_COLON = 4;
const K_DELIM = 5;
const K_NEWLINE = 6;
const K_QUOTE = 7;
const K_UPPER = 8;

/** Header rows longer than this are not used for column keywords. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The byte class tables for a scanner (delimiter: a byte, or -1 for plain text): `[normal, anti]`.
 * The anti table is used inside CSV columns whose header names a non-sensitive identifier: digits
 * are plain bytes there (no number in such a column is reported), and upper-case letters are
 * looked at instead, for the letter-led identifiers (IBAN, NINO).
 */
export function classTables(delimiter: number): [Uint8Array, Uint8Array] {
  const normal = classTable(delimiter);
  const anti = Uint8Array.from(normal);
  for (let c = 48; c <= 57; c++) anti[c] = 0;
  anti[43] = 0;
  anti[40] = 0;
  for (let c = 65; c <= 90; c++) anti[c] = K_UPPER;
  return [normal, anti];
}

/** The byte class table for plain scanning (delimiter: a byte, or -1 for plain text). */
export function classTable(delimiter: number): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 48; c <= 57; c++) t[c] = K_DIGIT;
  t[43] = K_SIGN;
  t[40] = K_SIGN;
  t[64] = K_AT;
  t[58] = K_COLON;
  if (delimiter >= 0) {
    t[delimiter] = K_DELIM;
    t[10] = K_NEWLINE;
    t[34] = K_QUOTE;
  }
  return t;
}

/** What the pass carries from one window to the next. */
export class LoopState {
  col = 0;
  row = 0;
  inQuotes = false;
  /** Absolute offset before which dotted quads belong to an IPv6 address already counted. */
  skipIpv4Before = 0;
  /** Absolute offset before which numbers belong to an IBAN already counted. */
  suppressBefore = 0;
  /** Per CSV column, the class table: `anti` for columns whose header names a non-sensitive identifier. */
  colTables: Uint8Array[] = [];
  headerParts: Buffer[] = [];
  headerBytes = 0;
  headerDone = false;
  readonly tok = new Token();
}

function isUpper(c: number | undefined): boolean {
  return c !== undefined && c >= 65 && c <= 90;
}
function isAlnum(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122));
}

/**
 * Bytes per call of `loop`. Called once per 256 KiB window, V8 only ever ran `loop` through
 * on-stack replacement, compiled before the code after its loop had run, and that compiled loop
 * was thrown away at the end of every window and entered again at the next (`--trace-deopt`:
 * "Insufficient type feedback for generic named access", one per window). Called every 16 KiB,
 * it is optimized as a normal function after a few windows, with complete type feedback.
 */
const SEGMENT_BYTES = 16 * 1024;

/**
 * Scan token starts in [from, to) of `w.data`. Returns where the next window must resume (a
 * token that starts before `to` is read to its end).
 */
export function scanRange(st: LoopState, w: WindowContext, tables: readonly [Uint8Array, Uint8Array], from: number, to: number): number {
  let i = from;
  while (i < to) {
    const segmentEnd = Math.min(to, i + SEGMENT_BYTES);
    const headerFrom = w.delimiter >= 0 && !st.headerDone && st.row === 0 ? i : -1;
    i = loop(st, w, tables[0], tables[1], i, segmentEnd, headerFrom);
    if (headerFrom >= 0 && st.row === 0 && !st.headerDone) addHeaderBytes(st, w.data.subarray(headerFrom, i));
  }
  return Math.max(i, from);
}

/**
 * The hot loop. Column, quote state and the class table live in locals; the rest of the state is
 * in `st`. Keep the code after the loop trivial (see SEGMENT_BYTES).
 */
function loop(st: LoopState, w: WindowContext, normal: Uint8Array, anti: Uint8Array, from: number, to: number, headerFrom: number): number {
  const b = w.data;
  const len = b.length;
  const base = w.base;
  const csv = w.delimiter >= 0;
  let col = st.col;
  let inQ = st.inQuotes;
  let colTables = st.colTables;
  let cls = col < colTables.length ? colTables[col]! : normal;
  let i = from;
  while (i < to) {
    let k = cls[b[i]!]!;
    // Most bytes: the tightest loop (a field end is the most common event, handled first).
    while (k === 0) {
      if (++i >= to) break;
      k = cls[b[i]!]!;
    }
    if (k === 0) break;
    if (k === K_DELIM) {
      if (!inQ) {
        col++;
        cls = col < colTables.length ? colTables[col]! : normal;
      }
      i++;
      continue;
    }
    if (k === K_DIGIT || k === K_SIGN) {
      if (k === K_SIGN && !(i + 1 < len && isDigitByte(b[i + 1]!))) {
        i++;
        continue;
      }
      const column = csv ? col : -1;
      if (attachedBefore(b, i)) {
        // A number glued to a word ("x4111 1111…", "DE89 3704…", "v2.3.1") is skipped whole.
        if (k === K_DIGIT && isUpper(b[i - 1])) lettered(st, w, i, column);
        i = skipToken(b, i);
        continue;
      }
      if (b[i - 1] === 32 && isUpper(b[i - 2]) && isUpper(b[i - 3]) && !isAlnum(b[i - 4])) scanNino(w, i - 3, column);
      const end = prescanToken(b, i);
      if (PRE[1] === 4 && PRE[3] === SEP_DOT && PRE[4] === 0) {
        if (base + i >= st.suppressBefore) dottedQuad(w, i, end, column, st.skipIpv4Before);
      } else if (PRE[4] === PRE_PLUS && base + i >= st.suppressBefore && plusPhone(w, i, end, column)) {
        // an international phone number, taken whole
      } else if (worthParsing() && base + i >= st.suppressBefore) {
        parseAndEvaluate(st, w, i, end, column);
      }
      i = end;
      continue;
    }
    switch (k) {
      case K_AT:
        scanEmail(w, i, csv ? col : -1);
        break;
      case K_COLON: {
        const v4End = scanIpv6(w, i, csv ? col : -1);
        if (v4End > st.skipIpv4Before) st.skipIpv4Before = v4End;
        if (cls === anti) i = timeRunEnd(b, i, to);
        break;
      }
      case K_NEWLINE:
        if (!inQ) {
          if (headerFrom >= 0 && st.row === 0) {
            finishHeader(st, w, b.subarray(headerFrom, i), normal, anti);
            colTables = st.colTables;
          }
          col = 0;
          st.row++;
          cls = colTables.length > 0 ? colTables[0]! : normal;
        }
        break;
      case K_QUOTE:
        inQ = !inQ;
        break;
      case K_UPPER:
        // Only the first of two capitals at a word start can begin an IBAN or NINO; the rest of a
        // run of capitals ("SKU") follows a letter, so it is stepped over without an event each.
        if (isUpper(b[i + 1])) {
          if (!(i > 0 && isAlnum(b[i - 1])) && isDigitOrSpace(b[i + 2])) upperLed(st, w, i, csv ? col : -1);
          while (i + 1 < to && isUpper(b[i + 1])) i++;
        } else if (b[i]! > 70) {
          // A lone capital that is not a hex digit ("T" in 2026-11-25T10:12:33Z) can start nothing.
          i = timeRunEnd(b, i, to);
        }
        break;
    }
    i++;
  }
  st.col = col;
  st.inQuotes = inQ;
  return i;
}

/**
 * In an identifier column (digits are plain bytes there), after a colon or a lone capital G-Z at
 * `i`: the last byte of the run of digits, dots, colons and lone capitals that follows ("10:12:33.123Z"),
 * none of which can start anything. A capital alone does nothing (upper-case values start with
 * two); a colon in the run is never an IPv6 address's first colon, since reading back from it over
 * at most four hex digits always meets a dot, a colon, a letter that is not a hex digit (the run's
 * first byte at the latest), or a fifth hex digit.
 */
function timeRunEnd(b: Buffer, i: number, to: number): number {
  while (i + 1 < to) {
    const c = b[i + 1]!;
    if (!((c >= 48 && c <= 58) || c === 46 || (c >= 65 && c <= 90 && !isUpper(b[i + 2])))) break;
    i++;
  }
  return i;
}

function isDigitOrSpace(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || c === 32);
}

/** The general path for a numeric token: parse its groups, look for every digit-based type. */
function parseAndEvaluate(st: LoopState, w: WindowContext, i: number, end: number, column: number): void {
  const tok = st.tok;
  parseToken(w.data, i, tok);
  tok.leftAttached = false;
  tok.rightAttached = attachedAfter(w.data, end);
  evaluateToken(w, tok, column, st.skipIpv4Before);
}

/** Digits right after upper-case letters: an IBAN or NINO (two letters), or a passport (one). */
function lettered(st: LoopState, w: WindowContext, i: number, column: number): void {
  const b = w.data;
  if (isUpper(b[i - 2])) {
    if (i >= 3 && isAlnum(b[i - 3])) return;
    const end = scanIban(w, i - 2, column);
    if (end >= 0) st.suppressBefore = w.base + end;
    else scanNino(w, i - 2, column);
  } else if (!isAlnum(b[i - 2])) {
    scanLetterPassport(w, i - 1, column);
  }
}

/**
 * In an anti column (see `classTables`): an IBAN or NINO starting at the upper-case letter at `i`,
 * found at the same position `lettered` finds it from the digits in other columns.
 */
function upperLed(st: LoopState, w: WindowContext, i: number, column: number): void {
  const b = w.data;
  if (!isUpper(b[i + 1]) || (i > 0 && isAlnum(b[i - 1]))) return;
  const c = b[i + 2];
  if (c !== undefined && c >= 48 && c <= 57) {
    const end = scanIban(w, i, column);
    if (end >= 0) st.suppressBefore = w.base + end;
    else scanNino(w, i, column);
  } else if (c === 32 && b[i + 3] !== undefined && b[i + 3]! >= 48 && b[i + 3]! <= 57 && !isAlnum(b[i - 1])) {
    scanNino(w, i, column);
  }
}

function addHeaderBytes(st: LoopState, bytes: Buffer): void {
  st.headerBytes += bytes.length;
  if (st.headerBytes > MAX_HEADER_BYTES) {
    st.headerDone = true;
    st.headerParts = [];
    return;
  }
  st.headerParts.push(Buffer.from(bytes));
}

function finishHeader(st: LoopState, w: WindowContext, rest: Buffer, normal: Uint8Array, anti: Uint8Array): void {
  addHeaderBytes(st, rest);
  if (st.headerDone) return;
  st.headerDone = true;
  const line = Buffer.concat(st.headerParts).toString('utf8').replace(/\r$/, '');
  st.headerParts = [];
  w.columns = columnsOf(splitCsvLine(line, String.fromCharCode(w.delimiter)));
  st.colTables = w.columns.anti.map((a, c) => (a && !w.columns.masks[c] ? anti : normal));
}

/** Split one CSV line into fields (RFC 4180 quoting). */
export function splitCsvLine(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      fields.push(cur);
      cur = '';
    } else cur += ch;
  }
  fields.push(cur);
  return fields;
}

export function columnsOf(headers: readonly string[]): ColumnInfo {
  return { masks: headers.map((h) => groupsInLabel(h)), anti: headers.map((h) => isAntiHeader(h)) };
}
