/**
 * Classification while capturing, off the event loop: captured chunks of text formats are copied
 * to a worker thread that runs the classifier, so scanning overlaps the app's report generation on
 * another core instead of adding to it (and never blocks other requests). Falls back to scanning
 * inline when no worker is available (e.g. running from the TypeScript sources, or on one core).
 *
 * Backpressure: a scan reports how many bytes the worker has not processed yet; the capture stops
 * accepting writes (`write()` returns false) while that backlog is above a limit.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClassificationResult } from '../graph-types.js';
import type { ScannerOptions } from '../classify/api.js';
import { createScanner } from '../classify/index.js';
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
const FIRST_SCAN_BATCH_BYTES = 1024;
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

function scanFailed(why: string): LabelgateError {
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

/** A scanner running inline (the fallback). */
function inlineScanner(options: ScannerOptions): CaptureScanner {
  const scanner = createScanner(options);
  return {
    write: (chunk) => scanner.write(chunk),
    end: () => scanner.end(),
    resultsSoFar: () => {
      try {
        return Promise.resolve(scanner.resultsSoFar());
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    backlog: () => 0,
    onceDrained: (listener) => process.nextTick(listener),
    dispose: () => {},
  };
}

class RemoteScan implements CaptureScanner {
  /** Bytes written and not acknowledged by the worker (including the batch not posted yet). */
  pending = 0;
  private batch: Buffer | undefined;
  private batched = 0;
  private batchSize = FIRST_SCAN_BATCH_BYTES / 2;
  failure: LabelgateError | undefined;
  private waiters: (() => void)[] = [];
  private settle: { resolve: (r: ClassificationResult[]) => void; reject: (e: Error) => void } | undefined;
  /** Outstanding `resultsSoFar` calls, answered in order (the worker handles messages in order). */
  private peeks: { resolve: (r: ClassificationResult[]) => void; reject: (e: Error) => void }[] = [];
  private closed = false;
  /** Full batches not posted yet, and bytes posted but not acknowledged. */
  private queued: Buffer[] = [];
  private inFlight = 0;

  constructor(
    private readonly pool: ScanPool,
    readonly worker: Worker,
    readonly id: number,
  ) {}

  write(input: Buffer | string): void {
    if (this.closed || this.failure || input.length === 0) return;
    let chunk: Buffer;
    if (typeof input === 'string') {
      const n = Buffer.byteLength(input);
      if (this.batch !== undefined && this.batch.length - this.batched >= n) {
        // A row written as a string: encoded straight into the batch.
        this.batch.write(input, this.batched);
        this.batched += n;
        this.pending += n;
        if (this.batched === this.batch.length) this.flush();
        return;
      }
      chunk = Buffer.from(input, 'utf8');
    } else chunk = input;
    this.pending += chunk.length;
    // Copy into the batch (a Buffer may be a view on a much larger ArrayBuffer, and the app may
    // reuse it); a full batch is transferred, not copied again.
    let from = 0;
    while (from < chunk.length) {
      if (this.batch === undefined) {
        this.batchSize = Math.min(SCAN_BATCH_BYTES, this.batchSize * 2);
        // Its own (unpooled, uninitialized) memory: only the filled part is ever posted.
        this.batch = Buffer.allocUnsafeSlow(Math.max(this.batchSize, Math.min(SCAN_BATCH_BYTES, chunk.length - from)));
      }
      const n = Math.min(chunk.length - from, this.batch.length - this.batched);
      this.batch.set(chunk.subarray(from, from + n), this.batched);
      this.batched += n;
      from += n;
      if (this.batched === this.batch.length) this.flush();
    }
  }

  /** Hand the collected bytes on (posted as soon as fewer than SCAN_IN_FLIGHT_BYTES are with the worker). */
  private flush(): void {
    const batch = this.batch;
    if (!batch || this.batched === 0) return;
    // A view on the filled part; its memory is transferred whole (not copied).
    this.queued.push(batch.subarray(0, this.batched));
    this.batch = undefined;
    this.batched = 0;
    this.post();
  }

  /**
   * Post queued batches while the worker has less than SCAN_IN_FLIGHT_BYTES to scan. A large body
   * written at once (`res.send(buffer)`) is not put in the worker's queue whole: a `peek` asked
   * meanwhile is then answered after at most that much scanning, not after the whole body.
   */
  private post(all = false): void {
    while (this.queued.length > 0 && (all || this.inFlight < SCAN_IN_FLIGHT_BYTES)) {
      const bytes = this.queued.shift()!;
      this.inFlight += bytes.length;
      this.worker.postMessage({ t: 'write', id: this.id, chunk: bytes } satisfies ToWorker, [bytes.buffer as ArrayBuffer]);
    }
  }

  end(): Promise<ClassificationResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    this.flush();
    this.post(true);
    this.closed = true;
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
      this.worker.postMessage({ t: 'end', id: this.id } satisfies ToWorker);
    });
  }

  resultsSoFar(): Promise<ClassificationResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new LabelgateError('ABORTED', 'the scan has ended'));
    // The batch being filled joins the queue; the peek goes out now, behind what is posted (at most
    // SCAN_IN_FLIGHT_BYTES): its answer covers a prefix of what was written, soon.
    this.flush();
    return new Promise((resolve, reject) => {
      this.peeks.push({ resolve, reject });
      this.worker.postMessage({ t: 'peek', id: this.id } satisfies ToWorker);
    });
  }

  private rejectPeeks(err: Error): void {
    const peeks = this.peeks;
    this.peeks = [];
    for (const p of peeks) p.reject(err);
  }

  backlog(): number {
    return this.failure ? 0 : this.pending;
  }

  onceDrained(listener: () => void): void {
    if (this.backlog() <= SCAN_BACKLOG_LIMIT) process.nextTick(listener);
    else this.waiters.push(listener);
  }

  dispose(): void {
    this.batch = undefined;
    this.batched = 0;
    this.queued = [];
    if (this.closed && !this.settle) return;
    this.closed = true;
    this.worker.postMessage({ t: 'drop', id: this.id } satisfies ToWorker);
    this.pool.forget(this.id);
    // A capture waiting for results must not wait forever.
    const dropped = new LabelgateError('ABORTED', 'the scan was dropped (client went away)');
    this.settle?.reject(dropped);
    this.settle = undefined;
    this.rejectPeeks(dropped);
    this.release();
  }

  /** From the worker. */
  receive(msg: FromWorker): void {
    if (msg.t === 'ack') {
      this.pending -= msg.bytes;
      this.inFlight -= msg.bytes;
      this.post();
      if (this.pending <= SCAN_BACKLOG_LIMIT) this.release();
    } else if (msg.t === 'partial') {
      this.peeks.shift()?.resolve(msg.results);
    } else if (msg.t === 'done') {
      this.pool.forget(this.id);
      this.settle?.resolve(msg.results);
      this.settle = undefined;
    } else {
      this.fail(rebuildError(msg.error, msg.name));
    }
  }

  fail(err: LabelgateError): void {
    if (this.failure) return;
    this.failure = err;
    this.batch = undefined;
    this.queued = [];
    this.pool.forget(this.id);
    this.settle?.reject(err);
    this.settle = undefined;
    this.rejectPeeks(err);
    this.release();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * A worker for `file`. It inherits the process's Node options, except when they include
 * `--input-type` (an app started with `node --input-type=module -e …`), which makes a worker started
 * from a file fail: then the options are passed without it. Options a worker may not take
 * explicitly (per-process V8 flags such as `--expose-gc`) make Node refuse the list; the worker then
 * starts with none.
 */
function createWorker(file: string): Worker {
  const argv = process.execArgv;
  const nodeOptions = process.env.NODE_OPTIONS;
  // NODE_OPTIONS reaches the worker through its environment: drop --input-type there as well.
  const env = nodeOptions && /--input-type/.test(nodeOptions)
    ? { ...process.env, NODE_OPTIONS: nodeOptions.replace(/--input-type(?:=|\s+)\S*/g, '').trim() }
    : undefined;
  if (!argv.some((a) => a === '--input-type' || a.startsWith('--input-type='))) return env ? new Worker(file, { env }) : new Worker(file);
  const execArgv: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--input-type=')) continue;
    if (arg === '--input-type') {
      i++;
      continue;
    }
    execArgv.push(arg);
  }
  try {
    return new Worker(file, { execArgv, ...(env ? { env } : {}) });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(file, { execArgv: [], ...(env ? { env } : {}) });
  }
}

/**
 * Worker threads running scans; started on first use. An idle worker never keeps the process
 * alive (it is unref'd after its listeners are attached: attaching a 'message' listener refs the
 * worker's port again); a worker with a scan running is ref'd, as the download it serves is.
 */
class ScanPool {
  private workers: Worker[] = [];
  private next = 0;
  private nextId = 1;
  private readonly scans = new Map<number, RemoteScan>();
  /** Running scans per worker. */
  private readonly busy = new Map<Worker, number>();
  /** Workers that have answered at least once (the others may not be able to run at all). */
  private readonly answered = new WeakSet<Worker>();
  /** Workers stopped by `close()` that still finish their running scans. */
  private readonly retiring = new Set<Worker>();
  /** A fresh worker died before answering: workers cannot run in this process; scan inline. */
  disabled = false;

  constructor(
    private readonly file: string,
    private readonly size: number,
  ) {}

  private spawn(): Worker {
    const worker = createWorker(this.file);
    worker.on('message', (msg: FromWorker) => {
      this.answered.add(worker);
      this.scans.get(msg.id)?.receive(msg);
    });
    let gone = false;
    const lost = (why: string) => {
      if (gone) return;
      gone = true;
      if (!this.answered.has(worker) && !this.retiring.has(worker)) this.disabled = true;
      this.workers = this.workers.filter((w) => w !== worker);
      this.retiring.delete(worker);
      for (const scan of [...this.scans.values()]) if (scan.worker === worker) scan.fail(workerLost(why));
      this.busy.delete(worker);
    };
    worker.on('error', (err) => lost(`the scan worker failed: ${err.name}`));
    worker.on('exit', (code) => lost(`the scan worker exited with code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    return worker;
  }

  /** A scan started (+1) or finished (-1) on `worker`: ref it while it has work, unref it when idle. */
  private track(worker: Worker, delta: 1 | -1): void {
    const before = this.busy.get(worker) ?? 0;
    const after = Math.max(0, before + delta);
    if (after === 0) this.busy.delete(worker);
    else this.busy.set(worker, after);
    if (before === 0 && after > 0) worker.ref();
    else if (before > 0 && after === 0) {
      worker.unref();
      if (this.retiring.has(worker)) void worker.terminate().catch(() => {});
    }
  }

  /**
   * Stop the workers: idle ones now, busy ones as soon as their running scans are done (a
   * download in flight is never failed by a shutdown). A later scan starts new workers.
   */
  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    const idle: Worker[] = [];
    for (const w of workers) {
      if (this.busy.has(w)) this.retiring.add(w);
      else idle.push(w);
    }
    await Promise.all(idle.map((w) => w.terminate().catch(() => {})));
  }

  start(options: ScannerOptions): CaptureScanner {
    if (this.workers.length < this.size) {
      try {
        this.workers.push(this.spawn());
      } catch (err) {
        // More workers are an optimization: keep using the ones that started.
        if (this.workers.length === 0) throw err;
      }
    }
    const worker = this.workers[this.next++ % this.workers.length]!;
    const id = this.nextId++;
    const scan = new RemoteScan(this, worker, id);
    this.scans.set(id, scan);
    this.track(worker, 1);
    // Custom types are plain data; their patterns are compiled again in the worker.
    worker.postMessage({ t: 'start', id, options: { customTypes: options.customTypes, delimiter: options.delimiter, encoding: options.encoding } } satisfies ToWorker);
    return scan;
  }

  forget(id: number): void {
    const scan = this.scans.get(id);
    if (!scan) return;
    this.scans.delete(id);
    this.track(scan.worker, -1);
  }
}

/** The built worker next to this module (`dist/scan-worker.js` or `.cjs`); none when running from sources. */
function workerFile(): string | undefined {
  // tsup shims import.meta.url in the CommonJS build.
  const here = fileURLToPath(import.meta.url);
  if (!/\.c?js$/.test(here)) return undefined;
  const file = join(dirname(here), here.endsWith('.cjs') ? 'scan-worker.cjs' : 'scan-worker.js');
  return existsSync(file) ? file : undefined;
}

let pool: ScanPool | null | undefined;

/** `true` when scans run in worker threads (the built package on a machine with more than one core). */
export function scanWorkersAvailable(): boolean {
  if (pool === undefined) {
    const file = workerFile();
    const cores = availableParallelism();
    pool = file && cores > 1 ? new ScanPool(file, Math.max(1, Math.min(4, cores - 1))) : null;
  }
  return pool !== null;
}

/**
 * Stop the scan worker threads (the middlewares' `close()` calls this). Idle workers do not keep
 * the process alive anyway; this ends them now (e.g. before a test runner checks for open handles).
 */
export async function closeScanWorkers(): Promise<void> {
  if (pool) await pool.close();
}

let users = 0;

/**
 * A middleware that may scan in workers (each `expressLabeling`/`koaLabeling`). The workers are
 * shared by all of them, so they stop when the last one that registered is closed; the returned
 * function (its `close()`) is idempotent.
 */
export function registerScanUser(): () => Promise<void> {
  users++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    users--;
    if (users === 0) await closeScanWorkers();
  };
}

/** A scanner for one captured download: in a worker when possible (and wanted), else inline. */
export function startScanner(options: ScannerOptions, useWorker: boolean): CaptureScanner {
  if (useWorker && scanWorkersAvailable()) {
    try {
      if (pool!.disabled) throw new Error('scan workers cannot run in this process');
      return pool!.start(options);
    } catch {
      // No worker can start in this process (resource limits, a sandbox, Node options a worker
      // refuses): scanning inline is slower for the event loop but labels the same.
      pool = null;
    }
  }
  return inlineScanner(options);
}
