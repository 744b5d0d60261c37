/**
 * Capture of an in-scope body: chunks are kept in memory up to `memoryBytes`, then everything is
 * spilled to a private temp file (created exclusively, mode 0600) up to the hard `maxBytes`.
 * Text formats are fed to a scanner chunk by chunk while they are captured, so classification
 * overlaps generation. `dispose()` always removes the temp file; callers run it on finish, error
 * and client abort.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ClassificationResult } from '../graph-types.js';
import { SCAN_BACKLOG_LIMIT, isWorkerLoss, type CaptureScanner } from './scan-offload.js';
import { LabelgateError, isLabelgateError } from '../errors.js';
import type { SourceBody } from '../formats/types.js';
import type { MemoryPool } from './memory-pool.js';

export interface SpoolOptions {
  memoryBytes: number;
  maxBytes: number;
  tempDir: string;
  /** Scans the body while it is captured (text formats), inline or in a worker thread. */
  scanner?: CaptureScanner | undefined;
  /** Memory shared by all captures of a middleware; when it is used up, captures spill early. */
  memoryPool?: MemoryPool | undefined;
  /**
   * Temp-file space shared by all captures of a middleware (`totalDiskBytes`); a chunk that would
   * need more is refused with `SIZE_LIMIT`, like one past `maxBytes`.
   */
  diskPool?: MemoryPool | undefined;
}

const READ_CHUNK = 256 * 1024;
/**
 * Chunks smaller than this are copied into blocks while in memory. Apps often write a report a row
 * at a time (a few hundred bytes per write): kept one by one, replaying 10 MB took ~30,000 socket
 * writes and held as many Buffers. Blocks grow from `FIRST_BLOCK_BYTES` to `BLOCK_BYTES` (a small
 * body holds little), are shared by consecutive parts (a large chunk in between does not waste
 * the rest of a block), and are what the memory limits are charged for.
 */
const COALESCE_BELOW = 16 * 1024;
const FIRST_BLOCK_BYTES = 1024;
const BLOCK_BYTES = 64 * 1024;

/** I/O failures of the temp file: the copy is unreliable, so these always fail closed. */
function captureError(err: unknown): LabelgateError {
  if (isLabelgateError(err)) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'no space left on the temp directory' : (code ?? 'I/O error');
  return new LabelgateError('CAPTURE_FAILED', `could not keep a temporary copy of the download (${why})`, { cause: err, detail: { code } });
}

export class Spool {
  /** Bytes accepted so far. */
  size = 0;
  private options: SpoolOptions;
  private memory: Buffer[] = [];
  /** The block small chunks are copied into: bytes [blockStart, blockUsed) are not in `memory` yet. */
  private block: Buffer | undefined;
  private blockStart = 0;
  private blockUsed = 0;
  /**
   * Bytes held in memory: large chunks plus whole blocks. What `memoryBytes` counts, and what was
   * taken from the shared pool (given back on spill and dispose).
   */
  private held = 0;
  /** Bytes of the temp file taken from the shared disk budget (given back on dispose). */
  private onDisk = 0;
  private file: WriteStream | undefined;
  private path: string | undefined;
  private failure: LabelgateError | undefined;
  private scanFailure: unknown;
  private results: ClassificationResult[] | undefined;
  private ended = false;
  private sealed: Promise<void> = Promise.resolve();
  private disposed = false;
  private drainWaiters: (() => void)[] = [];
  private readonly onError: (err: LabelgateError) => void;

  constructor(options: SpoolOptions, onError: (err: LabelgateError) => void = () => {}) {
    this.options = options;
    this.onError = onError;
  }

  /** Where the body lives (for tests and diagnostics). */
  get location(): 'memory' | 'file' {
    return this.file ? 'file' : 'memory';
  }

  /** The first I/O failure, if any (also reported through `onError`). */
  get error(): LabelgateError | undefined {
    return this.failure;
  }

  /** Would `n` more bytes exceed the hard maximum? */
  wouldExceed(n: number): boolean {
    return this.size + n > this.options.maxBytes;
  }

  /**
   * Accept a chunk. Throws `SIZE_LIMIT` (without accepting it) when it would exceed `maxBytes`.
   * Returns `false` when the caller should wait for `onceDrained` before writing more.
   * `callback` runs once the chunk is stored.
   */
  write(chunk: Buffer, callback?: (err?: Error | null) => void): boolean {
    if (this.ended || this.disposed) throw new LabelgateError('CAPTURE_FAILED', 'write after the capture ended');
    if (this.failure) throw this.failure;
    const n = chunk.length;
    if (this.wouldExceed(n)) {
      throw new LabelgateError('SIZE_LIMIT', `the download is larger than the labeling limit of ${this.options.maxBytes} bytes (maxBytes)`, {
        detail: { maxBytes: this.options.maxBytes },
      });
    }
    // In memory if the limits allow, else on disk: the chunk plus, on a first spill, what memory holds.
    const inMemory = !this.file && this.keep(chunk);
    if (!inMemory) this.takeDisk(this.file ? n : this.size + n);
    this.size += n;
    this.scan(chunk);
    if (inMemory) {
      if (callback) process.nextTick(callback, null);
    } else {
      if (!this.file) this.spill();
      if (!this.file!.write(chunk, callback ? (err) => callback(err ?? null) : undefined)) return false;
    }
    // A worker that scans slower than the app writes holds the app back too.
    return !this.scannerBehind();
  }

  /** Take `n` bytes of the shared temp-file budget, or refuse the chunk (nothing accepted). */
  private takeDisk(n: number): void {
    const pool = this.options.diskPool;
    if (!pool) return;
    if (!pool.tryTake(n)) {
      throw new LabelgateError('SIZE_LIMIT', `the temp-file space of concurrent downloads is used up (totalDiskBytes: ${pool.limit} bytes)`, {
        detail: { totalDiskBytes: pool.limit },
      });
    }
    this.onDisk += n;
  }

  /**
   * Keep a chunk in memory (small ones are copied into the current block), if `memoryBytes` and
   * the shared pool allow what that holds; false (nothing kept) means: spill.
   */
  private keep(chunk: Buffer): boolean {
    const n = chunk.length;
    if (n >= COALESCE_BELOW) {
      if (!this.hold(n)) return false;
      this.closeBlock();
      this.memory.push(chunk);
      return true;
    }
    let block = this.block;
    if (block === undefined || block.length - this.blockUsed < n) {
      // Never more than the memory limit leaves; when the pool cannot give a whole block, one
      // the size of this chunk will do.
      let size = Math.max(n, Math.min(block === undefined ? FIRST_BLOCK_BYTES : Math.min(BLOCK_BYTES, block.length * 2), this.options.memoryBytes - this.held));
      if (!this.hold(size)) {
        if (size === n || !this.hold(n)) return false;
        size = n;
      }
      this.closeBlock();
      block = this.block = Buffer.allocUnsafe(size);
      this.blockStart = 0;
      this.blockUsed = 0;
    }
    chunk.copy(block, this.blockUsed);
    this.blockUsed += n;
    return true;
  }

  /** Account for `n` more bytes held in memory; false if `memoryBytes` or the pool says no. */
  private hold(n: number): boolean {
    if (this.held + n > this.options.memoryBytes || !(this.options.memoryPool?.tryTake(n) ?? true)) return false;
    this.held += n;
    return true;
  }

  /** Move the block's new bytes to `memory` as one part (the block stays open for more). */
  private closeBlock(): void {
    if (this.block !== undefined && this.blockUsed > this.blockStart) this.memory.push(this.block.subarray(this.blockStart, this.blockUsed));
    this.blockStart = this.blockUsed;
  }

  /** No more small chunks go to memory (sealed, spilled or disposed). */
  private finishBlock(): void {
    this.closeBlock();
    this.block = undefined;
  }

  /**
   * The scanner, while it is healthy: for results so far. `undefined` once it failed (the
   * complete capture is then classified or failed by `classificationResults`).
   */
  get liveScanner(): CaptureScanner | undefined {
    return this.scanFailure === undefined ? this.options.scanner : undefined;
  }

  /**
   * Hand the scanner over to the caller (an early decision: the rest of the body streams past the
   * capture and is scanned for the audit only). The spool no longer feeds, ends or disposes it.
   */
  takeScanner(): CaptureScanner | undefined {
    const scanner = this.liveScanner;
    this.options = { ...this.options, scanner: undefined };
    return scanner;
  }

  /** The first `n` captured bytes, while the body is in memory (undefined once it spilled). */
  head(n: number): Buffer | undefined {
    if (this.file || this.disposed) return undefined;
    this.closeBlock();
    const parts: Buffer[] = [];
    let have = 0;
    for (const part of this.memory) {
      if (have >= n) break;
      parts.push(have + part.length > n ? part.subarray(0, n - have) : part);
      have += Math.min(part.length, n - have);
    }
    return Buffer.concat(parts, have);
  }

  private scannerBehind(): boolean {
    const scanner = this.options.scanner;
    return scanner !== undefined && this.scanFailure === undefined && scanner.backlog() > SCAN_BACKLOG_LIMIT;
  }

  /** Calls `listener` when buffered file writes and the scanner have caught up (or the spool failed). */
  onceDrained(listener: () => void): void {
    if (this.failure || this.disposed) {
      process.nextTick(listener);
      return;
    }
    const afterFile = () => {
      if (this.scannerBehind() && !this.disposed) this.options.scanner!.onceDrained(listener);
      else listener();
    };
    if (this.file && this.file.writableNeedDrain) this.drainWaiters.push(afterFile);
    else process.nextTick(afterFile);
  }

  private scan(chunk: Buffer): void {
    const scanner = this.options.scanner;
    if (!scanner || this.scanFailure !== undefined || chunk.length === 0) return;
    try {
      scanner.write(chunk);
    } catch (err) {
      this.scanFailure = err ?? new Error('scanner failed');
    }
  }

  /** Memory is no longer held: give it back to the shared pool. */
  private releaseMemory(): void {
    if (this.held > 0) this.options.memoryPool?.give(this.held);
    this.held = 0;
  }

  private spill(): void {
    this.path = join(this.options.tempDir, `labelgate-${process.pid}-${randomBytes(12).toString('hex')}.part`);
    // `wx`: never follow or reuse an existing file; 0600: other local users cannot read the copy.
    const file = createWriteStream(this.path, { flags: 'wx', mode: 0o600, highWaterMark: 256 * 1024 });
    file.on('error', (err) => this.fail(captureError(err)));
    file.on('drain', () => this.releaseDrainWaiters());
    this.file = file;
    this.finishBlock();
    for (const part of this.memory) file.write(part);
    this.memory = [];
    this.releaseMemory();
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private fail(err: LabelgateError): void {
    if (this.failure || this.disposed) return;
    this.failure = err;
    this.releaseDrainWaiters();
    this.onError(err);
  }

  /** No more chunks: flush the temp file and finish scanning. */
  async end(): Promise<void> {
    await this.seal();
    if (this.options.scanner && this.scanFailure === undefined && this.results === undefined) {
      try {
        this.results = await this.options.scanner.end();
      } catch (err) {
        this.scanFailure = err ?? new Error('scanner failed');
      }
    }
  }

  /** No more chunks: flush the temp file (so `read` sees every byte). No scanning. */
  async seal(): Promise<void> {
    if (this.ended) {
      await this.sealed;
      return;
    }
    this.ended = true;
    this.finishBlock();
    this.sealed = this.flush();
    await this.sealed;
  }

  private async flush(): Promise<void> {
    const file = this.file;
    if (file && !this.disposed) {
      await new Promise<void>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        // 'close' also settles it: dispose() (client abort) destroys the stream mid-flush.
        file.once('close', () => resolve());
        file.once('error', (err) => reject(captureError(err)));
        file.end(() => resolve());
      });
    }
    if (this.failure) throw this.failure;
    if (this.disposed) throw new LabelgateError('ABORTED', 'the capture was discarded (client went away)');
  }

  /**
   * The classification results gathered while capturing. If the scanner failed: its LabelgateError
   * unchanged (code such as `CLASSIFY_BUDGET`; labelgate's messages never quote content), anything
   * else as `CLASSIFY_FAILED` (the original error stays as `cause`, never in the message).
   */
  classificationResults(): ClassificationResult[] | undefined {
    // The worker went away (crashed, or could not run here): the body is complete, so the
    // pipeline classifies it inline instead.
    if (isWorkerLoss(this.scanFailure)) return undefined;
    if (this.scanFailure !== undefined) {
      if (isLabelgateError(this.scanFailure)) throw this.scanFailure;
      throw new LabelgateError('CLASSIFY_FAILED', 'classifying the download failed', { cause: this.scanFailure });
    }
    return this.results;
  }

  /** The captured body for the format handlers (after `end`). */
  body(): SourceBody {
    const size = this.size;
    this.finishBlock();
    if (!this.path) {
      const parts = this.memory;
      let whole: Buffer | undefined;
      return {
        size,
        bytes: () => Promise.resolve((whole ??= parts.length === 1 ? parts[0]! : Buffer.concat(parts, size))),
        async *chunks() {
          for (const part of parts) yield part;
        },
      };
    }
    return {
      size,
      bytes: () => this.readAll(),
      chunks: () => this.read(0),
    };
  }

  private async readAll(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of this.read(0)) parts.push(part);
    return Buffer.concat(parts, this.size);
  }

  /** The captured bytes from offset `start`, as chunks (memory slices or file reads). */
  async *read(start: number): AsyncGenerator<Buffer> {
    this.finishBlock();
    if (!this.path) {
      let skip = start;
      for (const part of this.memory) {
        if (skip >= part.length) {
          skip -= part.length;
          continue;
        }
        yield skip > 0 ? part.subarray(skip) : part;
        skip = 0;
      }
      return;
    }
    if (start >= this.size) return;
    // `end` lets the stream finish right after the last byte instead of after one more read:
    // a client that closes as soon as it has Content-Length bytes must not see a premature close.
    const stream = createReadStream(this.path, { start, end: this.size - 1, highWaterMark: READ_CHUNK });
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } finally {
      stream.destroy();
    }
  }

  /** Drop the body and remove the temp file. Safe to call more than once, at any time. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.memory = [];
    this.block = undefined;
    this.releaseMemory();
    if (this.onDisk > 0) this.options.diskPool?.give(this.onDisk);
    this.onDisk = 0;
    this.options.scanner?.dispose();
    this.releaseDrainWaiters();
    const file = this.file;
    if (file && !file.closed) {
      await new Promise<void>((resolve) => {
        file.once('close', () => resolve());
        file.destroy();
      });
    }
    if (this.path) {
      await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw captureError(err);
      });
    }
  }
}
