/**
 * What the capture and the scan worker share: the scanner contract the capture uses, the limits
 * of its queue, the messages to and from the worker, and the errors that cross between them.
 */
import type { ClassificationResult } from '../graph-types.js';
import type { ScannerOptions } from '../classify/api.js';
import { LabelgateError, type LabelgateErrorCode } from '../errors.js';

/** What the capture needs from a scanner: synchronous writes, a (possibly asynchronous) end. */
export interface CaptureScanner {
  /** The next chunk (a string is UTF-8). */
  write(chunk: Buffer | string): void;
  end(): ClassificationResult[] | Promise<ClassificationResult[]>;
  /** The results of what has been scanned so far (the scan goes on). */
  resultsSoFar(): Promise<ClassificationResult[]>;
  /** Bytes written but not scanned yet. */
  backlog(): number;
  /** Call `listener` once the backlog is below the limit again. */
  onceDrained(listener: () => void): void;
  /** Stop scanning (abort); results are not needed any more. */
  dispose(): void;
}

/** Backlog above which the capture applies backpressure. */
export const SCAN_BACKLOG_LIMIT = 8 * 1024 * 1024;

/**
 * Bytes collected before they are posted to the worker. Apps write reports in small pieces (a
 * page of rows, or a single row): a message and a copy per piece cost the event loop a message in
 * each direction per piece. Batches grow from `FIRST_SCAN_BATCH_BYTES` (a small download holds
 * little) to this; it also bounds the scan's tail: at most this much is left when the app ends.
 */
export const SCAN_BATCH_BYTES = 256 * 1024;
export const FIRST_SCAN_BATCH_BYTES = 1024;
/** Bytes posted to the worker and not scanned yet, at most (the rest waits, already copied, in order). */
export const SCAN_IN_FLIGHT_BYTES = 1024 * 1024;

export type ToWorker =
  | { t: 'start'; id: number; options: ScannerOptions }
  | { t: 'write'; id: number; chunk: Uint8Array }
  | { t: 'end'; id: number }
  | { t: 'peek'; id: number }
  | { t: 'drop'; id: number };

/** A LabelgateError as it crosses the worker boundary (its code and message carry no content). */
export interface SerializedError {
  code: string;
  message: string;
  detail?: Record<string, unknown> | undefined;
}

export type FromWorker =
  | { t: 'ack'; id: number; bytes: number }
  | { t: 'done'; id: number; results: ClassificationResult[] }
  /** The answer to a `peek`: the results so far. */
  | { t: 'partial'; id: number; results: ClassificationResult[] }
  /** `error`: a LabelgateError of the scanner; otherwise only the name (a foreign message could quote content). */
  | { t: 'error'; id: number; name: string; error?: SerializedError | undefined };

export function scanFailed(why: string): LabelgateError {
  return new LabelgateError('CLASSIFY_FAILED', `classifying the download failed (${why})`);
}

/** Scans that failed because their worker went away (not because of the content). */
const workerLosses = new WeakSet<object>();

/** @internal exported for tests */
export function workerLost(why: string): LabelgateError {
  const err = scanFailed(why);
  workerLosses.add(err);
  return err;
}

/**
 * Did this scan fail only because its worker thread died or was stopped? Then the capture is
 * complete and can be classified inline instead (the download does not fail for it).
 */
export function isWorkerLoss(err: unknown): boolean {
  return typeof err === 'object' && err !== null && workerLosses.has(err);
}

/** The worker's LabelgateError rebuilt with its code (CLASSIFY_BUDGET, INPUT_INVALID, …), so the fail mode and the audit see it. */
export function rebuildError(error: SerializedError | undefined, name: string): LabelgateError {
  if (!error || typeof error.code !== 'string' || !/^[A-Z][A-Z_]{0,39}$/.test(error.code) || typeof error.message !== 'string') {
    return scanFailed(`the scanner raised ${name}`);
  }
  const detail = error.detail && typeof error.detail === 'object' ? error.detail : undefined;
  return new LabelgateError(error.code as LabelgateErrorCode, error.message.slice(0, 1000), detail ? { detail } : undefined);
}

