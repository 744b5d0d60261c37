/**
 * Small writes that pass through after an early decision, gathered into blocks. An export written
 * one row per `res.write` (a CSV stringifier piped into the response) costs Node a chunked-encoding
 * frame and four internal writes per row; held whole, labelgate used to replay such a body as a
 * few large writes, and streamed after an early decision it would lose that. Rows are copied into
 * a 64 KiB block instead, which goes out when full, before a large write or the end, and at the
 * latest on the next turn of the event loop (so a slow writer's rows are not kept back).
 *
 * Contract kept for the app: bytes go out in order; a write's callback runs once the block holding
 * it is written out (with its error, if any); `write` returns `false` while Node's buffer is full
 * from the last block, and Node then emits 'drain' as usual.
 */
import type { ServerResponse } from 'node:http';
import type { Callback } from './intercept-types.js';
import type { AnyMethod } from './response-hooks.js';

/** Chunks at least this large are written as they are (after the block). */
const SMALL = 16 * 1024;
const BLOCK = 64 * 1024;

export class WriteCoalescer {
  /** Bytes Node has written out (counted in write callbacks, as OutputMeter does). */
  written = 0;
  private block: Buffer | undefined;
  private used = 0;
  private callbacks: Callback[] = [];
  private scheduled = false;
  /** The last write to Node returned false and no 'drain' came since. */
  private full = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly write: AnyMethod,
  ) {
    res.on('drain', () => {
      this.full = false;
    });
  }

  /** Take a chunk (a string is UTF-8); returns what `res.write` should return. */
  add(chunk: Buffer | string, callback: Callback | undefined): boolean {
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (n >= SMALL) {
      this.flush();
      this.full = !(this.write.call(this.res, chunk, this.counting(n, callback ? [callback] : [])) as boolean);
      return !this.full;
    }
    if (this.block !== undefined && this.used + n > this.block.length) this.flush();
    this.block ??= Buffer.allocUnsafe(BLOCK);
    if (typeof chunk === 'string') this.block.write(chunk, this.used);
    else chunk.copy(this.block, this.used);
    this.used += n;
    if (callback) this.callbacks.push(callback);
    if (this.used === this.block.length) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return !this.full;
  }

  /** Write out what the block holds (before the end, a large write, or when the loop turns). */
  flush(): void {
    if (this.used === 0) return;
    const bytes = this.block!.subarray(0, this.used);
    // The block's memory now belongs to Node until written: the next rows go into a new one.
    this.block = undefined;
    this.used = 0;
    const callbacks = this.callbacks;
    this.callbacks = [];
    this.full = !(this.write.call(this.res, bytes, this.counting(bytes.length, callbacks)) as boolean);
  }

  /**
   * The callback of one write to Node: counts its bytes as written out (not when the socket is
   * gone: Node calls back without an error for writes a destroyed socket dropped), then runs the
   * app's callbacks.
   */
  private counting(n: number, callbacks: Callback[]): Callback {
    return (err) => {
      if (!err && !this.res.destroyed) this.written += n;
      for (const cb of callbacks) cb(err);
    };
  }
}
