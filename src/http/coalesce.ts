/**
 * Small writes that pass through after an early decision, gathered into blocks. An export written
 * one row per `res.write` (a CSV stringifier piped into the response) costs Node a chunked-encoding
 * frame and four internal writes per row; held whole, labelgate used to replay such a body as a
 * few large writes, and streamed after an early decision it would lose that. Rows are copied into
 * a 64 KiB block instead, which goes out when full, before a large write or the end, and at the
 * latest on the next turn of the event loop (so a slow writer's rows are not kept back).
 *
 * Contract kept for the app: bytes go out in order; a write's callback runs once Node has written
 * the bytes out (a write with a callback goes out at once: an app that waits for each callback is
 * not made to wait a turn of the loop per row); `write` returns what Node's own state says
 * (`writableNeedDrain`), so Node emits the 'drain' an app waits for. Consecutive flushes share one
 * block (Node queues views of it), so what a slow client leaves queued costs its bytes, not a
 * block per flush.
 */
import type { ServerResponse } from 'node:http';
import type { Callback } from './intercept-types.js';
import type { AnyMethod } from './response-hooks.js';
import { connectionOf } from './output-meter.js';

/** Chunks at least this large are written as they are (after the block). */
const SMALL = 16 * 1024;
const BLOCK = 64 * 1024;

export class WriteCoalescer {
  /** Bytes Node has written out (counted in write callbacks, as OutputMeter does). */
  written = 0;
  private block: Buffer | undefined;
  /** Bytes of `block` handed to Node already; [start, used) waits for the next flush. */
  private start = 0;
  private used = 0;
  private callbacks: Callback[] = [];
  private scheduled = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly write: AnyMethod,
  ) {}

  /** Take a chunk (a string is UTF-8); returns what `res.write` should return. */
  add(chunk: Buffer | string, callback: Callback | undefined): boolean {
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (n >= SMALL || n === 0) {
      // Large (or empty: Node orders its callback): after what the block holds, as it is.
      this.flush();
      this.writeOut(chunk, n, callback ? [callback] : []);
      return !this.res.writableNeedDrain;
    }
    if (this.block === undefined || this.used + n > this.block.length) {
      this.flush();
      this.block = Buffer.allocUnsafe(BLOCK);
      this.start = 0;
      this.used = 0;
    }
    if (typeof chunk === 'string') this.block.write(chunk, this.used);
    else chunk.copy(this.block, this.used);
    this.used += n;
    if (callback) {
      this.callbacks.push(callback);
      this.flush();
    } else if (this.used === this.block.length) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush(true);
      });
    }
    return !this.res.writableNeedDrain;
  }

  /** Write out what the block holds (before the end, a large write, or when the loop turns). */
  flush(scheduled = false): void {
    if (this.used === this.start) return;
    const bytes = this.block!.subarray(this.start, this.used);
    this.start = this.used;
    const callbacks = this.callbacks;
    this.callbacks = [];
    this.writeOut(bytes, bytes.length, callbacks, scheduled);
  }

  private writeOut(chunk: Buffer | string, n: number, callbacks: Callback[], scheduled = false): void {
    try {
      this.write.call(this.res, chunk, this.counting(n, callbacks));
    } catch (err) {
      // Node refused the write (e.g. more bytes than a strict Content-Length). In the app's own
      // write call it throws there, as without labelgate; in a scheduled flush nobody would catch
      // it: the response cannot be completed, and the writes' callbacks get the error.
      if (!scheduled) throw err;
      this.res.destroy(err as Error);
      for (const cb of callbacks) process.nextTick(cb, err as Error);
    }
  }

  /**
   * The callback of one write to Node: counts its bytes as written out (not when the socket is
   * gone: Node calls back without an error for writes a destroyed socket dropped), then runs the
   * app's callbacks.
   */
  private counting(n: number, callbacks: Callback[]): Callback {
    // The connection as it is now: Node may have destroyed it (the response does not say so) or
    // detached it by then; a pipelined response waiting for its turn has none of its own yet.
    const socket = connectionOf(this.res);
    return (err) => {
      if (!err && !socket?.destroyed) this.written += n;
      for (const cb of callbacks) cb(err);
    };
  }
}
