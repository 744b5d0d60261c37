/**
 * Everything a detector needs to turn a validated candidate into a counted match: the bytes around
 * it, corroborating keywords within 300 characters (searched lazily, once per window and group),
 * the CSV column it sits in, the label before it, and the findings it is reported to.
 *
 * Positions are byte offsets into `data`, the current window: the carried-over context of earlier
 * chunks followed by new bytes. The scanner keeps enough context on both sides of the scanned
 * range (`CONTEXT_BEFORE`, `CONTEXT_AFTER`) that every decision here sees the same bytes however
 * the input was split into chunks.
 */
import { MASK_STYLE, T, type Rule } from './catalog.js';
import { acceptKeywordHit, ANCHORED_GROUPS, anchorIn, antiLabelAt, GROUP_PRESENCE, GROUP_REGEX, groupsInLabel, isAntiHeader, KEYWORD_GROUPS, labelHasKeyword, type KeywordGroup } from './keywords.js';
import { KeywordCursor } from './proximity.js';
import { Hash64, type Findings } from './tally.js';

/** Keyword proximity (Microsoft's patternsProximity). */
export const PROXIMITY = 300;
/** Longest keyword (bytes) a proximity search may need to see past the window edge. */
export const MAX_KEYWORD_BYTES = 64;
/** Longest candidate the detectors read (an email: 64 + 1 + 253 bytes, rounded up). */
export const MAX_CANDIDATE_BYTES = 330;
/** Bytes of context the scanner keeps before the next scan position. */
export const CONTEXT_BEFORE = PROXIMITY + MAX_KEYWORD_BYTES + MAX_CANDIDATE_BYTES;
/** Bytes that must follow a scan position before it is scanned (unless the input has ended). */
export const CONTEXT_AFTER = MAX_CANDIDATE_BYTES + PROXIMITY + MAX_KEYWORD_BYTES;

/** Length of the label searched before a number ("Order #", "SKU:"). */
const LABEL_BYTES = 40;
/** Longest JSON key looked at before a value. */
const MAX_KEY_BYTES = 64;
/** Flag in a JSON key's info: the key names an identifier (order_id, timestamp…). */
const KEY_ANTI = 1 << 30;
/** JSON keys seen recently → groups | KEY_ANTI (keys repeat on every object of a report). */
const KEY_CACHE = new Map<string, number>();

const GROUP_SLOTS = KEYWORD_GROUPS.length;
function slotOf(group: KeywordGroup): number {
  return 31 - Math.clz32(group);
}

/** Column knowledge from a CSV/TSV header row. */
export interface ColumnInfo {
  /** Keyword groups named by each column's header. */
  masks: number[];
  /** Columns whose header names a non-sensitive identifier (order id, timestamp, version…). */
  anti: boolean[];
}

export class WindowContext {
  data: Buffer = Buffer.alloc(0);
  /** Absolute byte offset of `data[0]` in the (UTF-8) input. */
  base = 0;
  /** Characters (UTF-16 code units) before `data[0]`, for explanations. */
  charBase = 0;
  private latin: string | undefined;
  private readonly cursors: KeywordCursor[] = KEYWORD_GROUPS.map(
    (g) => new KeywordCursor(GROUP_REGEX.get(g)!, (text, index, hit) => acceptKeywordHit(g, text, index, hit), MAX_KEYWORD_BYTES),
  );
  private readonly cursorReady = new Uint8Array(GROUP_SLOTS);
  /** Bytes searched so far in this window with per-match slices, per group. */
  private readonly slicedBytes = new Int32Array(GROUP_SLOTS);
  /** Per group: 0 unknown, 1 an anchor occurs in this window, 2 none does (no keyword possible). */
  private readonly anchorState = new Uint8Array(GROUP_SLOTS);
  private charPosByte = 0;
  private charPosChars = 0;
  /** The hash of the candidate about to be reported (detectors fill it in before `report`). */
  readonly hash = new Hash64();
  /** Delimiter byte in CSV mode, else -1. */
  delimiter = -1;
  /** Keyword answers for the last candidate span (groups asked, groups found). */
  private lastStart = -1;
  private lastEnd = -1;
  private lastKnown = 0;
  private lastFound = 0;
  columns: ColumnInfo = { masks: [], anti: [] };

  constructor(readonly findings: Findings) {}

  /** Start a new window. */
  reset(data: Buffer, base: number, charBase: number): void {
    this.data = data;
    this.base = base;
    this.charBase = charBase;
    this.latin = undefined;
    this.cursorReady.fill(0);
    this.slicedBytes.fill(0);
    this.anchorState.fill(0);
    this.lastStart = -1;
    this.charPosByte = 0;
    this.charPosChars = 0;
  }

  /** The window as a Latin-1 string (one char per byte), for regex searches. */
  text(): string {
    this.latin ??= this.data.toString('latin1');
    return this.latin;
  }

  /**
   * Is there a keyword of `group` within PROXIMITY bytes of [start, end)? Sparse questions search
   * just the neighbourhood (a ~700-byte slice); once a group's slices add up to a quarter of the
   * window, one cursor walks the whole window instead. Both give the same answer.
   */
  near(group: KeywordGroup, start: number, end: number): boolean {
    const k = slotOf(group);
    const lo = start - PROXIMITY;
    const hi = end + PROXIMITY;
    const cursor = this.cursors[k]!;
    if (this.cursorReady[k] === 0) {
      if (this.slicedBytes[k]! * 4 < this.data.length) return this.nearInSlice(group, k, lo, hi);
      // Many questions: is any keyword possible in this window at all? Then one walk over it.
      if (this.noAnchor(group, k)) return false;
      cursor.reset(this.text());
      this.cursorReady[k] = 1;
    }
    return cursor.overlaps(lo, hi);
  }

  /** True when the window holds none of the group's anchors (so none of its keywords). */
  private noAnchor(group: KeywordGroup, k: number): boolean {
    if (this.anchorState[k] === 0) {
      const presence = GROUP_PRESENCE.get(group);
      this.anchorState[k] = presence === undefined || presence.test(this.text()) ? 1 : 2;
    }
    return this.anchorState[k] === 2;
  }

  private nearInSlice(group: KeywordGroup, k: number, lo: number, hi: number): boolean {
    // One byte beyond the longest keyword on each side, so boundary checks see real neighbours.
    const from = Math.max(0, lo - MAX_KEYWORD_BYTES - 1);
    const to = Math.min(this.data.length, hi + MAX_KEYWORD_BYTES + 1);
    this.slicedBytes[k] = this.slicedBytes[k]! + (to - from);
    const text = this.data.toString('latin1', from, to);
    // A keyword-required group's keywords all contain one of its anchors: without one, no keyword.
    // (Native regex code: about twice as fast as a byte loop over these ~700 bytes.)
    const presence = GROUP_PRESENCE.get(group);
    if (presence !== undefined && !presence.test(text)) return false;
    const re = GROUP_REGEX.get(group)!;
    re.lastIndex = 0;
    for (;;) {
      const m = re.exec(text);
      if (m === null) return false;
      const s = from + m.index;
      if (s >= hi) return false;
      if (s + m[0].length > lo && acceptKeywordHit(group, text, m.index, m[0])) return true;
      re.lastIndex = m.index + 1;
    }
  }

  /**
   * The label right before `start` on the same line/field, if it names something else
   * ("Order #", "SKU", "Version") and carries no keyword of `groups`.
   */
  antiLabelBefore(start: number, groups: number): boolean {
    const b = this.data;
    // The label is on the same line and in the same field, within LABEL_BYTES.
    let q = start;
    const stop = Math.max(0, start - LABEL_BYTES);
    while (q > stop) {
      const d = b[q - 1]!;
      if (d === 10 || d === 13 || d === 34 || d === 44 || d === 59 || d === 124 || d === 9 || d === 62 || d === 60 || d === this.delimiter) break;
      q--;
    }
    if (q === start || !antiLabelAt(b, start, q)) return false;
    // Anchored groups without an anchor in the label have no keyword there: no string, no regex.
    let asked = groups;
    for (let g = groups & ANCHORED_GROUPS; g !== 0; g &= g - 1) {
      const group = (g & -g) as KeywordGroup;
      if (!anchorIn(b, q, start, group)) asked &= ~group;
    }
    return asked === 0 || !labelHasKeyword(b.toString('latin1', q, start), asked);
  }

  /**
   * Decide the confidence of a validated candidate under `rule` and count it. `column` is the CSV
   * column (or -1); `this.hash` must hold the hash of the normalized value.
   */
  report(rule: Rule, start: number, end: number, column: number): void {
    const colMask = this.fieldMask(start, column);
    const colAnti = this.fieldAnti;
    // The label check (a few bytes back) is cheaper than a keyword search, so it goes first.
    if (rule.numeric && this.suppressed(rule.groups, start, colAnti, colMask)) return;
    this.count(rule, start, end, colMask);
  }

  /**
   * `report` for two rules about the same value with the same keyword groups (a card and an EU
   * debit card, "IP Address" and "IP Address v4"): the label is looked at once.
   */
  reportBoth(a: Rule, b: Rule, start: number, end: number, column: number): void {
    const colMask = this.fieldMask(start, column);
    if (a.numeric && this.suppressed(a.groups, start, this.fieldAnti, colMask)) return;
    this.count(a, start, end, colMask);
    this.count(b, start, end, colMask);
  }

  /**
   * Keyword groups named by the value's field — its CSV column's header, or in other text the JSON
   * key right before it (`"card_number": "4111…"`) — and (in `fieldAnti`) whether that name is an
   * identifier such as `order_id`.
   */
  private fieldMask(start: number, column: number): number {
    if (column >= 0) {
      this.fieldAnti = this.columns.anti[column] === true;
      return this.columns.masks[column] ?? 0;
    }
    const key = this.jsonKeyInfo(start);
    this.fieldAnti = (key & KEY_ANTI) !== 0;
    return key & ~KEY_ANTI;
  }
  private fieldAnti = false;

  /** Groups (and KEY_ANTI) of a JSON key `"…":` just before `start`, or 0. */
  private jsonKeyInfo(start: number): number {
    const b = this.data;
    let p = start - 1;
    const floor = Math.max(0, start - 16); // a little whitespace around the colon, no more
    if (b[p] === 34) p--;
    while (p > floor && (b[p] === 32 || b[p] === 9)) p--;
    if (p < 1 || b[p] !== 58 /* : */) return 0;
    p--;
    while (p > floor && (b[p] === 32 || b[p] === 9)) p--;
    if (p < 1 || b[p] !== 34) return 0;
    const keyEnd = p;
    const stop = Math.max(0, keyEnd - MAX_KEY_BYTES);
    for (p = keyEnd - 1; p >= stop; p--) {
      const c = b[p]!;
      if (c === 34) break;
      if (c < 32 || c === 92 /* \ */) return 0;
    }
    if (p < stop || p === keyEnd - 1) return 0;
    const key = b.toString('latin1', p + 1, keyEnd);
    let info = KEY_CACHE.get(key);
    if (info === undefined) {
      info = groupsInLabel(key) | (isAntiHeader(key) ? KEY_ANTI : 0);
      if (KEY_CACHE.size >= 512) KEY_CACHE.clear();
      KEY_CACHE.set(key, info);
    }
    return info;
  }

  /** An anti column or an anti-label before the number (and no keyword of `groups` in them). */
  private suppressed(groups: number, start: number, colAnti: boolean, colMask: number): boolean {
    if (colAnti && (colMask & groups) === 0) return true;
    return this.antiLabelBefore(start, groups);
  }

  private count(rule: Rule, start: number, end: number, colMask: number): void {
    // Usually a CSV column (or no keyword need at all) settles it without searching.
    const confidence = (rule.groups & colMask) === rule.groups ? rule.top : this.levelOf(rule, start, end, colMask);
    if (confidence < 0) return;
    this.add(rule.type, confidence, start, end);
  }

  private add(type: number, confidence: number, start: number, end: number): void {
    this.findings.add(type, this.hash, confidence);
    if (this.findings.explain) this.explain(type, confidence, start, end);
  }

  /** The first level of `rule` whose keyword masks are all corroborated, or -1. */
  private levelOf(rule: Rule, start: number, end: number, colMask: number): number {
    const levels = rule.levels;
    for (let li = 0; li < levels.length; li++) {
      const all = levels[li]!.all;
      let ok = true;
      for (let gi = 0; gi < all.length; gi++) {
        if (!this.corroborated(all[gi]!, start, end, colMask)) {
          ok = false;
          break;
        }
      }
      if (ok) return levels[li]!.confidence;
    }
    return -1;
  }

  /** Is any group of `mask` named by the column or found within PROXIMITY of [start, end)? */
  private corroborated(mask: number, start: number, end: number, colMask: number): boolean {
    if ((colMask & mask) !== 0) return true;
    // The last answer is reused: a card and an EU debit card ask the same question.
    if (start === this.lastStart && end === this.lastEnd && (this.lastKnown & mask) === mask) return (this.lastFound & mask) !== 0;
    if (start !== this.lastStart || end !== this.lastEnd) {
      this.lastStart = start;
      this.lastEnd = end;
      this.lastKnown = 0;
      this.lastFound = 0;
    }
    for (let g = mask & -mask; g !== 0 && g <= mask; g <<= 1) {
      if ((mask & g) === 0) continue;
      if ((this.lastKnown & g) === 0) {
        this.lastKnown |= g;
        if (this.near(g as KeywordGroup, start, end)) this.lastFound |= g;
      }
      if ((this.lastFound & g) !== 0) return true;
    }
    return false;
  }

  private explain(type: number, confidence: number, start: number, end: number): void {
    const offset = this.charOffset(start);
    const length = this.charOffset(end) - offset;
    this.findings.note(type, confidence, offset, length, this.mask(type, start, end));
  }

  /** Character offset (UTF-16 code units) of byte `pos` in the whole input. */
  charOffset(pos: number): number {
    if (pos < this.charPosByte) {
      this.charPosByte = 0;
      this.charPosChars = 0;
    }
    let chars = this.charPosChars;
    const b = this.data;
    for (let i = this.charPosByte; i < pos; i++) {
      const c = b[i]!;
      if (c < 0x80 || c >= 0xc0) chars += c >= 0xf0 ? 2 : 1;
    }
    this.charPosByte = pos;
    this.charPosChars = chars;
    return this.charBase + chars;
  }

  /** A match with most characters replaced by `*`, e.g. `4111********1111`, `j***@example.com`. */
  mask(type: number, start: number, end: number): string {
    return maskValue(this.data.toString('utf8', start, end), type);
  }
}

/** Mask a matched value for display: never the full value. */
export function maskValue(value: string, type: number): string {
  if (type === T.email) {
    const at = value.lastIndexOf('@');
    return `${value.slice(0, 1)}***${value.slice(at)}`;
  }
  const style = MASK_STYLE[type] ?? { keepStart: 2, keepEnd: 2 };
  return maskKeeping(value, style.keepStart, style.keepEnd);
}

/** Replace letters and digits with `*`, keeping `keepStart`/`keepEnd` of them (never half or more). */
export function maskKeeping(value: string, keepStart: number, keepEnd: number): string {
  const chars = [...value];
  const isAlnum = (ch: string) => /[\p{L}\p{N}]/u.test(ch);
  const total = chars.filter(isAlnum).length;
  const cap = Math.floor(total / 2);
  const tail = Math.min(keepEnd, cap);
  const head = Math.min(keepStart, cap - tail);
  let seen = 0;
  return chars
    .map((ch) => {
      if (!isAlnum(ch)) return ch;
      const idx = seen++;
      return idx < head || idx >= total - tail ? ch : '*';
    })
    .join('');
}
