/**
 * The contract between the response interceptor (`intercept-express.ts`) and the adapter that
 * decides for it: the modes a hooked response goes through, and what each side calls.
 */
import type { ServerResponse } from 'node:http';
import type { WriteCoalescer } from './coalesce.js';

export type Callback = (err?: Error | null) => void;

export type InterceptMode =
  /** Headers not written yet, no decision. */
  | 'pending'
  /** Out of scope (or released after a fail-open): the original methods. */
  | 'pass'
  /** Released after our output, with a `PassTap` watching the app's writes on their way out. */
  | 'tapped'
  /** Writes go to the capture sink. */
  | 'capture'
  /** The app ended its body while capturing; labeling/sending in progress. */
  | 'ended'
  /** Waiting for an asynchronous decision; the app's writes queue up (with backpressure). */
  | 'hold'
  /** Our output is being written; app writes queue up and follow when `continueWithApp`. */
  | 'sending'
  /** A 304 derived for an out-of-scope response: the app's body is dropped. */
  | 'discard'
  /** Our own response is complete; what the app still writes is dropped. */
  | 'closed'
  /** The client went away: the original (destroyed) response handles everything. */
  | 'aborted';

export interface CaptureSink {
  /** Store a chunk; throw (without storing) to fail the capture; `false` = wait for `onceDrained`. */
  write(chunk: Buffer, callback?: Callback): boolean;
  onceDrained(listener: () => void): void;
}

export interface InterceptHandlers {
  /**
   * Headers are about to be written (status and headers are final on `res`). Must call one of
   * `pass`, `capture`, `hold`, `notModified` synchronously.
   */
  decide(): void;
  /** The app ended its response while capturing (the sink has every byte). */
  captureEnded(): void;
  /** `sink.write` threw: the chunk was not stored; the interceptor now holds (queues) app writes. */
  captureFailed(err: unknown): void;
  /** The client went away before the response finished. */
  aborted(): void;
}

export interface SendOptions {
  /** Status to send (default: `res.statusCode`). */
  status?: number | undefined;
  /** Header changes, applied just before the headers are written. */
  headers?: ((res: ServerResponse) => void) | undefined;
  /** Body parts, written with backpressure. */
  parts: Iterable<Buffer> | AsyncIterable<Buffer>;
  /** After the parts, let the app's queued and further writes through (fail open / fail-safe label). */
  continueWithApp: boolean;
  /**
   * Every part is in memory already (a captured body that was not spilled, or stamped bytes): they
   * are handed to Node in one corked batch without waiting for 'drain' between them (Node keeps
   * references, not copies), and `send` returns once Node has written them all out — until then
   * the capture, and the memory it is charged for, stays.
   */
  inMemory?: boolean | undefined;
}

/**
 * What watches the app's writes that pass through after our output (`continueWithApp`): their
 * byte count, and optionally each chunk (a scanner completing the audit's counts after an early
 * decision). `see` returning `false` asks the app to wait: its write returns `false` and the
 * response emits 'drain' once `onceReady` calls back.
 */
export interface PassTap {
  bytes: number;
  /** A chunk on its way out (a string is UTF-8). */
  see?: ((chunk: Buffer | string) => boolean) | undefined;
  onceReady?: ((listener: () => void) => void) | undefined;
  /** @internal a 'drain' is owed once `onceReady` calls back */
  waiting?: boolean | undefined;
  /** @internal small writes gathered into blocks on their way out */
  out?: WriteCoalescer | undefined;
}
