/**
 * `createScanner`: the streaming classifier. Chunks of any size, split anywhere, go in; one
 * classificationResult per (type, confidence) comes out at the end.
 *
 * Written bytes are collected until WINDOW_BYTES are pending, then scanned in one pass. The scan
 * stops CONTEXT_AFTER bytes before the end of what has arrived (a match may continue there, and a
 * keyword 300 characters later may corroborate it) and keeps CONTEXT_BEFORE bytes behind it for
 * the next window; everything else is dropped. Each candidate is evaluated exactly once, at the
 * window where it starts, with the same surrounding bytes whatever the chunking — so memory stays
 * bounded (a window plus its context, and the bounded tallies) and results do not depend on how
 * the input was split.
 */
import { isAscii } from 'node:buffer';
import { LabelgateError } from '../errors.js';
import type { ClassificationResult } from '../graph-types.js';
import type { MatchExplanation, Scanner, ScannerOptions } from './api.js';
import { BUILTIN_IDS } from './catalog.js';
import { CONTEXT_AFTER, CONTEXT_BEFORE, WindowContext } from './context.js';
import { compileCustomTypes, CustomRunner, MAX_MATCH } from './custom.js';
import { InputDecoder, type InputEncoding } from './decode.js';
import { Findings } from './tally.js';
import { SIT_NAMES } from './type-ids.js';
import { classTables, LoopState, scanRange } from './window-scan.js';

/** Pending bytes that trigger a scan. */
export const WINDOW_BYTES = 256 * 1024;
/** Largest range scanned in one window (a big single write is scanned in slices). */
export const MAX_SCAN_BYTES = 1024 * 1024;

/** Window sizes (tests use tiny windows to exercise many window boundaries). */
export interface ScanLimits {
  windowBytes: number;
  maxScanBytes: number;
}

const DELIMITERS: Readonly<Record<string, number>> = { ',': 44, '\t': 9, ';': 59, '|': 124 };

/** UTF-16 code units in UTF-8 bytes `b[from..to)` (lead bytes; 4-byte sequences count 2). */
export function countChars(b: Buffer, from: number, to: number): number {
  if (to <= from) return 0;
  const view = b.subarray(from, to);
  if (isAscii(view)) return view.length;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c < 0x80 || c >= 0xc0) n += c >= 0xf0 ? 2 : 1;
  }
  return n;
}

export class StreamScanner implements Scanner {
  private readonly decoder: InputDecoder;
  private readonly findings: Findings;
  private readonly ctx: WindowContext;
  private readonly loop = new LoopState();
  private readonly tables: [Uint8Array, Uint8Array];
  private readonly custom: CustomRunner | undefined;
  private readonly before: number;
  private readonly after: number;
  private readonly trackChars: boolean;
  /**
   * The window: carried context followed by the input written since the last scan, in one buffer
   * that is reused (written bytes are copied in; a fresh buffer per window made the garbage
   * collector run for the external memory). `win[0]` is absolute byte `tailBase`.
   */
  private win: Buffer = Buffer.alloc(0);
  private used = 0;
  private pendingBytes = 0;
  private tailBase = 0;
  /** Characters before `tailBase`. */
  private tailChars = 0;
  /** Absolute byte offset where scanning resumes. */
  private resume = 0;
  private chars = 0;
  private bytesIn = 0;
  private ended = false;
  private results: ClassificationResult[] | undefined;
  private failure: unknown;

  constructor(
    options: ScannerOptions,
    private readonly limits: ScanLimits = { windowBytes: WINDOW_BYTES, maxScanBytes: MAX_SCAN_BYTES },
  ) {
    const delimiter = options.delimiter === undefined ? -1 : DELIMITERS[options.delimiter];
    if (delimiter === undefined) {
      throw new LabelgateError('INPUT_INVALID', `delimiter must be one of ",", "\\t", ";", "|" (got ${JSON.stringify(options.delimiter)})`);
    }
    const encoding: InputEncoding = options.encoding ?? 'auto';
    if (!['utf8', 'utf16le', 'auto'].includes(encoding)) {
      throw new LabelgateError('INPUT_INVALID', `encoding must be "utf8", "utf16le" or "auto" (got ${JSON.stringify(options.encoding)})`);
    }
    if (options.customTypes !== undefined && !Array.isArray(options.customTypes)) {
      throw new LabelgateError('INPUT_INVALID', 'customTypes must be a list of custom sensitive types');
    }
    const customTypes = compileCustomTypes(options.customTypes ?? [], BUILTIN_IDS.length);
    const ids = [...BUILTIN_IDS, ...customTypes.map((t) => t.id)];
    const names = [...BUILTIN_IDS.map((id) => SIT_NAMES[id] ?? id), ...customTypes.map((t) => t.name)];
    this.findings = new Findings(ids, names, options.explain === true);
    this.ctx = new WindowContext(this.findings);
    this.ctx.delimiter = delimiter;
    this.tables = classTables(delimiter);
    this.custom = customTypes.length > 0 ? new CustomRunner(customTypes) : undefined;
    // Custom types reason in characters (up to 4 UTF-8 bytes each) and may ask for more proximity.
    const customContext = this.custom ? 4 * (MAX_MATCH + this.custom.maxProximity + 64) + 128 : 0;
    this.before = Math.max(CONTEXT_BEFORE, customContext);
    this.after = Math.max(CONTEXT_AFTER, customContext);
    this.trackChars = this.findings.explain || this.custom !== undefined;
    this.decoder = new InputDecoder(encoding, (bytes) => this.accept(bytes));
  }

  get scannedChars(): number {
    return this.chars;
  }

  /** Bytes held between writes (carried context + pending input): bounded by the window size. */
  get retainedBytes(): number {
    return this.used;
  }

  write(chunk: Buffer | Uint8Array | string): void {
    if (this.failure) throw this.failure;
    if (this.ended) throw new LabelgateError('INPUT_INVALID', 'scanner.write() after end()');
    try {
      this.decoder.write(chunk);
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  end(): ClassificationResult[] {
    if (this.failure) throw this.failure;
    if (this.results) return this.results.map((r) => ({ ...r }));
    this.ended = true;
    try {
      this.decoder.end();
      this.scan(true);
    } catch (err) {
      this.failure = err;
      throw err;
    }
    this.results = this.findings.results();
    this.win = Buffer.alloc(0);
    this.used = 0;
    return this.results.map((r) => ({ ...r }));
  }

  resultsSoFar(): ClassificationResult[] {
    if (this.failure) throw this.failure;
    if (this.results) return this.results.map((r) => ({ ...r }));
    // Scan what is pending now rather than when the window is full: a smaller window gives the
    // same results (each candidate is decided once, with the same context), only sooner.
    if (this.pendingBytes > 0) {
      try {
        this.scan(false);
      } catch (err) {
        this.failure = err;
        throw err;
      }
    }
    return this.findings.results();
  }

  explanations(): MatchExplanation[] {
    return this.findings.explain ? this.findings.explanations() : [];
  }

  /** Decoded UTF-8 bytes arrive here. */
  private accept(bytes: Buffer): void {
    this.chars += countChars(bytes, 0, bytes.length);
    this.bytesIn += bytes.length;
    // Large writes are sliced so one window never holds more than MAX_SCAN_BYTES of new bytes.
    const { windowBytes, maxScanBytes } = this.limits;
    for (let off = 0; off < bytes.length; off += maxScanBytes) {
      const part = bytes.subarray(off, Math.min(bytes.length, off + maxScanBytes));
      this.append(part);
      this.pendingBytes += part.length;
      if (this.pendingBytes >= windowBytes) this.scan(false);
    }
  }

  private append(part: Buffer): void {
    const needed = this.used + part.length;
    if (needed > this.win.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(2 * this.win.length, needed + this.limits.windowBytes)));
      this.win.copy(grown, 0, 0, this.used);
      this.win = grown;
    }
    part.copy(this.win, this.used);
    this.used = needed;
  }

  private scan(final: boolean): void {
    const data = this.win.subarray(0, this.used);
    this.pendingBytes = 0;
    const base = this.tailBase;
    const limit = final ? data.length : data.length - this.after;
    let charPos = 0; // bytes of `data` whose characters are counted in `charCount`
    let charCount = this.tailChars;
    while (this.resume - base < limit) {
      const from = this.resume - base;
      const to = Math.min(limit, from + this.limits.maxScanBytes);
      let viewStart = Math.max(0, from - this.before);
      while (viewStart > 0 && (data[viewStart]! & 0xc0) === 0x80) viewStart--; // not inside a character
      const viewEnd = final ? data.length : Math.min(data.length, to + this.after);
      const view = data.subarray(viewStart, viewEnd);
      if (this.trackChars) {
        charCount += countChars(data, charPos, viewStart);
        charPos = viewStart;
      }
      this.ctx.reset(view, base + viewStart, charCount);
      const end = Math.max(scanRange(this.loop, this.ctx, this.tables, from - viewStart, to - viewStart), to - viewStart);
      if (this.custom) {
        const text = view.toString('utf8');
        const fromChar = countChars(view, 0, from - viewStart);
        const toChar = fromChar + countChars(view, from - viewStart, end);
        this.custom.run(text, fromChar, toChar, charCount, this.findings, this.bytesIn / (1024 * 1024));
      }
      this.resume = base + viewStart + end;
    }
    // Keep the context the next window needs before its first scan position, and everything after.
    let keepFrom = Math.max(0, Math.min(data.length, this.resume - base - this.before));
    while (keepFrom > 0 && (data[keepFrom]! & 0xc0) === 0x80) keepFrom--;
    if (this.trackChars) this.tailChars = charCount + countChars(data, charPos, keepFrom);
    if (final) {
      this.used = 0;
    } else {
      this.win.copyWithin(0, keepFrom, this.used);
      this.used -= keepFrom;
    }
    this.tailBase = base + keepFrom;
  }
}

/**
 * Create a streaming scanner. Feed it with `write(chunk)`; `end()` returns the
 * classificationResult[] (one entry per type and confidence level, with distinct-value counts).
 */
export function createScanner(options: ScannerOptions = {}): Scanner {
  if (options === null || typeof options !== 'object') throw new LabelgateError('INPUT_INVALID', 'scanner options must be an object');
  return new StreamScanner(options);
}
