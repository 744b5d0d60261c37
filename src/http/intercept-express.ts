/**
 * Response interception for Node/Express: `writeHead`, `write`, `end` are hooked (through the
 * prototype layer or per response, `response-hooks.ts`), as `compression` and `on-headers` do,
 * with what a labeler needs beyond them:
 * - the in-scope decision runs when headers are about to be written (explicitly, or implicitly by
 *   the first write/end), and for in-scope responses the headers are *held back*: nothing reaches
 *   the socket until labeling is done;
 * - out-of-scope responses go straight to the original methods (no copy, no buffering);
 * - captured writes honour backpressure (`false` until the capture drains, then `'drain'` on the
 *   response) and their callbacks (which `compression` drops);
 * - a client abort (`'close'` before `'finish'`) is reported once; later writes behave as on a
 *   destroyed response.
 *
 * This module knows nothing about labels: the adapter decides through `InterceptHandlers` and
 * sends its own output with `send` (the contract: `intercept-types.ts`).
 */
import type { ServerResponse } from 'node:http';
import {
  endWrapper,
  adoptHeaders,
  afterEnd,
  toBuffer,
  writeHeadWrapper,
  writeWrapper,
  type AnyMethod,
  prototypeHooks,
  HOOKED,
  hookOf,
  type HookTarget,
  type Hooked,
} from './response-hooks.js';
import type { RouteTarget } from './route-target.js';
import type { Callback, CaptureSink, InterceptHandlers, InterceptMode, PassTap, SendOptions } from './intercept-types.js';
import { OutputMeter, allDeclaredWrittenOut, closeWithConnection } from './output-meter.js';
import { tappedEnd, tappedWrite } from './tapped-write.js';

export type { CaptureSink, InterceptHandlers, InterceptMode, PassTap, SendOptions } from './intercept-types.js';

// Shared empty queue until something is queued (pass-through responses never allocate one).
const NO_QUEUE: { chunk: Buffer; callback: Callback | undefined }[] = [];
Object.freeze(NO_QUEUE);

export class ResponseInterceptor implements HookTarget {
  mode: InterceptMode = 'pending';
  /** Watches the app's writes in pass mode after our output (set by the adapter; see PassTap). */
  tap: PassTap | undefined = undefined;
  /** Our own output: bytes handed to Node and written out by it (created by `send`; pass-through responses never need it). */
  private output: OutputMeter | undefined;
  private readonly res: ServerResponse;
  /** Who decides for this response. */
  readonly handlers: InterceptHandlers;
  private sink: CaptureSink | undefined;
  private queue: { chunk: Buffer; callback: Callback | undefined }[] = NO_QUEUE;
  /** The app's bytes that went through the queue (held, or written while we sent): neither captured nor tapped. */
  queuedBytes = 0;
  private appEnded = false;
  private appEndCallback: Callback | undefined;
  private owedDrain = false;
  private watching = false;
  readonly routeTarget: RouteTarget | undefined;
  /** Hooked through the prototype layer (no own properties on the response). */
  readonly viaPrototype: boolean;
  /** @internal the layer below labelgate */
  readonly origWriteHead: AnyMethod;
  /** @internal */
  readonly origWrite: AnyMethod;
  /** @internal */
  readonly origEnd: AnyMethod;

  /**
   * `perResponse`: always own-property wrappers (`responseHooks: 'per-response'`). `unclaimed`:
   * the caller has just seen that nothing claims the response (one lookup per request, not two:
   * each property lookup on an Express response is a cache miss, its map being its own).
   */
  constructor(res: ServerResponse, handlers: InterceptHandlers & { routeTarget?: RouteTarget }, perResponse = false, unclaimed = false) {
    this.res = res;
    this.handlers = handlers;
    this.routeTarget = handlers.routeTarget;
    // A deferral (routesOnly) is replaced; a second interceptor is a bug.
    if (!unclaimed && hookOf(res) !== undefined) throw new Error('labelgate: a response can only be intercepted once');
    (res as Hooked)[HOOKED] = this;
    const below = perResponse ? undefined : prototypeHooks(res);
    this.viaPrototype = below !== undefined;
    if (below) {
      this.origWriteHead = below.writeHead;
      this.origWrite = below.write;
      this.origEnd = below.end;
      return;
    }
    this.origWriteHead = res.writeHead as AnyMethod;
    this.origWrite = res.write as AnyMethod;
    this.origEnd = res.end as AnyMethod;
    res.writeHead = writeHeadWrapper as ServerResponse['writeHead'];
    res.write = writeWrapper as ServerResponse['write'];
    res.end = endWrapper as ServerResponse['end'];
  }

  /** Watch for a client abort (only responses we hold or capture need it). */
  private watchClose(): void {
    if (this.watching) return;
    this.watching = true;
    const res = this.res;
    res.on('close', () => {
      if (res.writableFinished || this.mode === 'pass' || this.mode === 'tapped' || this.mode === 'aborted' || this.delivered()) return;
      this.mode = 'aborted';
      this.queue = NO_QUEUE;
      this.handlers.aborted();
    });
    closeWithConnection(res);
  }

  /**
   * Our complete response is out: ended, or every byte its Content-Length declares written out.
   * A client that has read it all may close the connection before we get to call end() (the last
   * read of the capture is still being awaited): that is a delivered response, not an abort.
   */
  private delivered(): boolean {
    if (this.mode !== 'closed' || !this.res.headersSent) return false;
    return this.res.writableEnded || allDeclaredWrittenOut(this.res, this.output?.written ?? 0);
  }

  /** @internal wrapper bodies (the pass-through cases were forwarded before they got here) */
  writeHeadCall(res: ServerResponse, statusCode: unknown, reasonOrHeaders: unknown, headers: unknown): unknown {
    const mode = this.mode;
    if (mode === 'pass' || mode === 'tapped' || mode === 'aborted') return this.origWriteHead.call(res, statusCode, reasonOrHeaders, headers);
    if (mode !== 'pending') return res;
    res.statusCode = statusCode as number;
    if (typeof reasonOrHeaders === 'string') {
      res.statusMessage = reasonOrHeaders;
      adoptHeaders(res, headers);
    } else adoptHeaders(res, reasonOrHeaders);
    this.handlers.decide();
    const after = this.current();
    if (after === 'pass' || after === 'discard') return this.origWriteHead.call(res, res.statusCode);
    return res;
  }

  /** @internal */
  writeCall(res: ServerResponse, chunk: unknown, encoding: unknown, callback: unknown): boolean {
    if (this.mode === 'pass') return this.origWrite.call(res, chunk, encoding, callback) as boolean;
    if (this.mode === 'tapped') return tappedWrite(this.tap!, this.origWrite, res, chunk, encoding, callback);
    if (this.mode === 'aborted') return this.origWrite.call(res, chunk, encoding, callback) as boolean;
    if (this.mode === 'pending') {
      this.handlers.decide();
      if (this.current() === 'pass') return this.origWrite.call(res, chunk, encoding, callback) as boolean;
    }
    if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
    return this.onWrite(toBuffer(chunk, encoding as BufferEncoding | undefined), callback as Callback | undefined);
  }

  /** @internal */
  endCall(res: ServerResponse, chunk: unknown, encoding: unknown, callback: unknown): unknown {
    if (this.mode === 'tapped') return tappedEnd(this.tap!, this.origEnd, res, chunk, encoding, callback);
    if (this.mode === 'pass' || this.mode === 'aborted') return this.origEnd.call(res, chunk, encoding, callback);
    if (this.mode === 'pending') {
      this.handlers.decide();
      if (this.current() === 'pass') return this.origEnd.call(res, chunk, encoding, callback);
    }
    if (typeof chunk === 'function') [callback, chunk, encoding] = [chunk, undefined, undefined];
    else if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
    this.onEnd(chunk ? toBuffer(chunk, encoding as BufferEncoding | undefined) : undefined, callback as Callback | undefined);
    return res;
  }

  /** @internal */
  private enqueue(item: { chunk: Buffer; callback: Callback | undefined }): void {
    if (this.queue === NO_QUEUE) this.queue = [];
    this.queue.push(item);
    this.queuedBytes += item.chunk.length;
  }

  /** Is the response intercepted (by this or another copy of labelgate)? A deferral is not. */
  static isIntercepted(res: ServerResponse): boolean {
    return hookOf(res) !== undefined;
  }

  /** The interceptor of a response, if this copy of labelgate intercepts it. */
  static of(res: ServerResponse): ResponseInterceptor | undefined {
    const target = hookOf(res);
    return target instanceof ResponseInterceptor ? target : undefined;
  }

  /** Bytes of our own output, and of the app's tapped writes after it, that Node has written out. */
  get writtenOut(): number {
    return (this.output?.written ?? 0) + (this.tap?.out?.written ?? 0);
  }

  /** The mode, read fresh (handlers change it during calls). */
  current(): InterceptMode {
    return this.mode;
  }

  // --- decisions (called from handlers.decide or later) -------------------------------------

  pass(): void {
    this.mode = 'pass';
  }

  /** The response becomes a 304 without body (headers describing the body are removed). */
  notModified(): void {
    const res = this.res;
    res.statusCode = 304;
    for (const h of ['content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'content-range']) res.removeHeader(h);
    this.mode = 'discard';
  }

  capture(sink: CaptureSink): void {
    this.sink = sink;
    this.mode = 'capture';
    this.watchClose();
  }

  hold(): void {
    this.mode = 'hold';
    this.watchClose();
  }

  /** The app has called `end`. */
  get ended(): boolean {
    return this.appEnded;
  }

  // --- app writes ---------------------------------------------------------------------------

  private onWrite(chunk: Buffer, callback: Callback | undefined): boolean {
    switch (this.mode) {
      case 'capture':
        if (this.appEnded) break;
        try {
          const ok = this.sink!.write(chunk, callback);
          if (!ok) {
            this.owedDrain = true;
            this.sink!.onceDrained(() => this.emitDrain());
          }
          return ok;
        } catch (err) {
          this.mode = 'hold';
          this.enqueue({ chunk, callback });
          this.owedDrain = true;
          this.handlers.captureFailed(err);
          return false;
        }
      case 'hold':
      case 'sending':
        if (this.appEnded) break;
        this.enqueue({ chunk, callback });
        this.owedDrain = true;
        return false;
      case 'discard':
      case 'closed':
        if (this.appEnded) break;
        // Like Node for a body-less response: accepted and ignored.
        if (callback) process.nextTick(callback, null);
        return true;
      default:
        break;
    }
    if (callback) process.nextTick(callback, afterEnd());
    return false;
  }

  private onEnd(chunk: Buffer | undefined, callback: Callback | undefined): void {
    if (this.appEnded) {
      if (callback) this.whenFinished(callback);
      return;
    }
    this.appEnded = true;
    switch (this.mode) {
      case 'capture':
        if (chunk) {
          try {
            this.sink!.write(chunk);
          } catch (err) {
            this.mode = 'hold';
            this.enqueue({ chunk, callback: undefined });
            this.appEndCallback = callback;
            this.handlers.captureFailed(err);
            return;
          }
        }
        this.appEndCallback = callback;
        this.mode = 'ended';
        this.handlers.captureEnded();
        return;
      case 'hold':
      case 'sending':
        if (chunk) this.enqueue({ chunk, callback: undefined });
        this.appEndCallback = callback;
        return;
      case 'discard':
        this.mode = 'pass';
        this.origEnd.call(this.res, callback);
        return;
      default:
        if (callback) this.whenFinished(callback);
    }
  }

  private whenFinished(callback: Callback): void {
    if (this.res.writableFinished) process.nextTick(callback, null);
    else this.res.once('finish', () => callback(null));
  }

  /**
   * Our own response replaces the app's body (fail closed): the app's queued writes are not sent,
   * but settled the way Node settles writes to a body-less response — callbacks run, and a writer
   * waiting for 'drain' (a piped stream) gets it, so the handler can run to its end and release
   * what it holds (e.g. close the file it streams).
   */
  private settleDroppedWrites(): void {
    const dropped = this.queue;
    this.queue = NO_QUEUE;
    if (dropped.length === 0 && !this.owedDrain) return;
    process.nextTick(() => {
      for (const { callback } of dropped) callback?.(null);
      this.emitDrain();
    });
  }

  private emitDrain(): void {
    if (!this.owedDrain || (this.mode !== 'capture' && this.mode !== 'pass' && this.mode !== 'tapped' && this.mode !== 'closed')) return;
    this.owedDrain = false;
    this.res.emit('drain');
  }

  // --- our output ---------------------------------------------------------------------------

  private async writeOut(chunk: Buffer, callback?: Callback, noWait = false): Promise<boolean> {
    // Destroyed: the client went away, or closed after reading everything (see delivered()).
    if (this.current() === 'aborted' || this.res.destroyed) return false;
    const output = (this.output ??= new OutputMeter(this.res));
    const flowing = output.write(this.origWrite, chunk, callback);
    if (!flowing && !noWait && this.current() !== 'aborted') await output.drained();
    return this.current() !== 'aborted';
  }

  /**
   * Write our response: headers, then `parts`; then either end it, or release the app's queued and
   * further writes. Returns the bytes written by us (0 when the client went away first).
   */
  async send(options: SendOptions): Promise<number> {
    const res = this.res;
    if (this.mode === 'aborted') return 0;
    this.mode = options.continueWithApp ? 'sending' : 'closed';
    if (!options.continueWithApp) this.settleDroppedWrites();
    options.headers?.(res);
    if (options.status !== undefined) res.statusCode = options.status;
    this.origWriteHead.call(res, res.statusCode);
    let bytes = 0;
    const inMemory = options.inMemory === true;
    if (inMemory) res.cork();
    try {
      for await (const part of options.parts) {
        if (part.length === 0) continue;
        if (!(await this.writeOut(part, undefined, inMemory))) return bytes;
        bytes += part.length;
      }
    } finally {
      if (inMemory) res.uncork();
    }
    // Handed over at once, but our part is done only once Node has written it out: until then the
    // body's memory stays charged to the capture (it is disposed after this), and a hang-up is an
    // abort, not a delivery.
    if (inMemory && this.output && this.current() !== 'aborted') await this.output.allWrittenOut();
    if (this.current() === 'aborted') return bytes;
    if (options.continueWithApp) {
      // What the app wrote meanwhile (a few chunks: each was answered `false`) is handed over at
      // once, without waiting for 'drain' in between: waiting would let Node's 'drain' events wake
      // the app, whose next write would join this queue, so that it never ran dry and the app's
      // writes never reached the mode below (or the tap's own backpressure).
      while (this.queue.length > 0) {
        const { chunk, callback } = this.queue.shift()!;
        // The app's bytes from here on: the tap sees them (the captured parts it saw already).
        if (chunk.length > 0) this.tap?.see?.(chunk);
        if (!(await this.writeOut(chunk, callback, true))) return bytes;
        bytes += chunk.length;
      }
      if (this.appEnded) {
        this.mode = 'closed';
        this.origEnd.call(res, this.appEndCallback);
      } else {
        this.mode = this.tap === undefined ? 'pass' : 'tapped';
        this.emitDrain();
      }
      return bytes;
    }
    const callback = this.appEndCallback;
    this.origEnd.call(res, () => callback?.(null));
    return bytes;
  }
}
