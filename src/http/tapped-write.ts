/**
 * The interceptor's `'tapped'` mode: after an early decision or a fail-open/fail-safe answer, the
 * app's writes go out as it makes them (small ones gathered into blocks, `coalesce.ts`) and a tap
 * sees each on its way (counting it, and feeding the scanner that completes the audit's counts).
 */
import type { ServerResponse } from 'node:http';
import { toBuffer, type AnyMethod } from './response-hooks.js';
import type { Callback, PassTap } from './intercept-types.js';
import { WriteCoalescer } from './coalesce.js';

/**
 * A write the tap sees. A UTF-8 string goes out as it came (a row written as a string is not
 * turned into a Buffer of its own: the coalescer copies it into its block directly).
 */
export function tappedWrite(tap: PassTap, write: AnyMethod, res: ServerResponse, chunk: unknown, encoding: unknown, callback: unknown): boolean {
  if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
  // After the end Node refuses the write (and says so to the callback): nothing to see or count.
  if (res.writableEnded) return write.call(res, chunk, encoding, callback) as boolean;
  let out: Buffer | string;
  if (typeof chunk === 'string' && (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8')) {
    out = chunk;
    tap.bytes += Buffer.byteLength(chunk);
  } else if (typeof chunk === 'string' || chunk instanceof Uint8Array) {
    out = toBuffer(chunk, encoding as BufferEncoding | undefined);
    tap.bytes += out.length;
  } else return write.call(res, chunk, encoding, callback) as boolean;
  const ready = tap.see === undefined || out.length === 0 || tap.see(out);
  if (res.destroyed) return write.call(res, out, callback) as boolean;
  const ok = (tap.out ??= new WriteCoalescer(res, write)).add(out, callback as Callback | undefined);
  if (!ready) {
    // The tap (a scanner) is behind: the app must wait for it, not only for the socket. While
    // it catches up the socket is corked, so the 'drain' Node would emit once its buffer empties
    // (letting the app write on, and the scanner's backlog grow without bound) does not come
    // before the tap is ready; then the bytes flow again, and the 'drain' the app waits for
    // comes from Node (if it asked for one) or from here.
    if (!tap.waiting && tap.onceReady) {
      tap.waiting = true;
      res.cork();
      tap.onceReady(() => {
        tap.waiting = false;
        res.uncork();
        if (!res.destroyed && !res.writableNeedDrain) res.emit('drain');
      });
    }
    return false;
  }
  return ok;
}

/** The app's `end` in tapped mode: its last chunk is seen too, and gathered writes go out first. */
export function tappedEnd(tap: PassTap, end: AnyMethod, res: ServerResponse, chunk: unknown, encoding: unknown, callback: unknown): unknown {
  if (!res.writableEnded && (typeof chunk === 'string' || chunk instanceof Uint8Array)) {
    if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
    const buffer = toBuffer(chunk, encoding as BufferEncoding | undefined);
    tap.bytes += buffer.length;
    if (buffer.length > 0) tap.see?.(buffer);
    tap.out?.flush();
    return end.call(res, buffer, callback);
  }
  tap.out?.flush();
  return end.call(res, chunk, encoding, callback);
}
