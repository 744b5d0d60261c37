/**
 * Turns whatever is written to a scanner (Buffers in UTF-8 or UTF-16, strings) into UTF-8 bytes,
 * the one form the scanner works on. Chunks may split a character anywhere; invalid bytes pass
 * through (the scanner treats them as non-word bytes) and never throw.
 *
 * `auto` decides from the first DETECT_BYTES bytes (or all of a shorter input): a byte-order mark,
 * else the pattern of zero bytes that UTF-16 text has in every other position. The decision uses
 * the same bytes however the input is chunked.
 */
import { TextDecoder } from 'node:util';
import { LabelgateError } from '../errors.js';

export type InputEncoding = 'utf8' | 'utf16le' | 'auto';
type Mode = 'undecided' | 'utf8' | 'utf16le' | 'utf16be';

export const DETECT_BYTES = 512;

function detect(head: Buffer): Exclude<Mode, 'undecided'> {
  if (head.length >= 2) {
    if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
    if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  }
  const pairs = Math.floor(head.length / 2);
  if (pairs < 2) return 'utf8';
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i + 1 < head.length; i += 2) {
    if (head[i] === 0) evenZero++;
    if (head[i + 1] === 0) oddZero++;
  }
  // Latin-script UTF-16 has a zero in (nearly) every other byte; other scripts and emoji put a few
  // zeros on the other side too.
  if (oddZero >= pairs * 0.4 && evenZero * 4 < oddZero) return 'utf16le';
  if (evenZero >= pairs * 0.4 && oddZero * 4 < evenZero) return 'utf16be';
  return 'utf8';
}

export class InputDecoder {
  /** Until the first DETECT_BYTES bytes are in, bytes are held (to detect, and to strip a BOM). */
  private mode: Mode = 'undecided';
  private readonly forced: Mode | undefined;
  private head: Buffer[] = [];
  private headBytes = 0;
  private utf16: TextDecoder | undefined;
  private atStart = true;
  /** A high surrogate that ended the previous string chunk (its pair follows in the next). */
  private pendingHigh = '';

  constructor(encoding: InputEncoding, private readonly out: (bytes: Buffer) => void) {
    this.forced = encoding === 'auto' ? undefined : encoding;
  }

  write(chunk: Buffer | Uint8Array | string): void {
    if (typeof chunk === 'string') {
      this.flushHead();
      this.flushUtf16();
      let text = this.pendingHigh + chunk;
      this.pendingHigh = '';
      const last = text.charCodeAt(text.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        this.pendingHigh = text.slice(-1);
        text = text.slice(0, -1);
      }
      if (text.length > 0) this.emitUtf8(Buffer.from(text, 'utf8'));
      return;
    }
    if (!(chunk instanceof Uint8Array)) {
      throw new LabelgateError('INPUT_INVALID', `scanner.write expects a Buffer, Uint8Array or string (got ${describe(chunk)})`);
    }
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.length === 0) return;
    if (this.pendingHigh) {
      this.emitUtf8(Buffer.from(this.pendingHigh, 'utf8'));
      this.pendingHigh = '';
    }
    if (this.mode === 'undecided') {
      this.head.push(Buffer.from(bytes)); // a copy: the caller may reuse its chunk after write()
      this.headBytes += bytes.length;
      if (this.headBytes >= DETECT_BYTES) this.flushHead();
      return;
    }
    this.decode(bytes);
  }

  end(): void {
    this.flushHead();
    this.flushUtf16();
    if (this.pendingHigh) this.emitUtf8(Buffer.from(this.pendingHigh, 'utf8'));
    this.pendingHigh = '';
  }

  /** Decide the encoding from the buffered head and pass the head on. */
  private flushHead(): void {
    if (this.mode !== 'undecided') return;
    const head = Buffer.concat(this.head);
    this.head = [];
    this.headBytes = 0;
    this.mode = this.forced ?? detect(head.subarray(0, DETECT_BYTES));
    if (head.length > 0) this.decode(head);
  }

  private decode(bytes: Buffer): void {
    if (this.mode === 'utf8') {
      if (this.atStart) {
        this.atStart = false;
        if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
      }
      if (bytes.length > 0) this.out(bytes);
      return;
    }
    this.utf16 ??= new TextDecoder(this.mode === 'utf16be' ? 'utf-16be' : 'utf-16le', { fatal: false, ignoreBOM: false });
    const text = this.utf16.decode(bytes, { stream: true });
    this.atStart = false;
    if (text.length > 0) this.emitUtf8(Buffer.from(text, 'utf8'));
  }

  private flushUtf16(): void {
    if (!this.utf16) return;
    const text = this.utf16.decode();
    if (text.length > 0) this.emitUtf8(Buffer.from(text, 'utf8'));
  }

  private emitUtf8(bytes: Buffer): void {
    this.atStart = false;
    this.out(bytes);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
