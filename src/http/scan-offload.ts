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
import type { ScannerOptions } from '../classify/api.js';
import { createScanner } from '../classify/index.js';
import { workerLost, type CaptureScanner, type FromWorker, type ToWorker } from './scan-protocol.js';
import { RemoteScan } from './remote-scan.js';

export {
  SCAN_BACKLOG_LIMIT,
  SCAN_BATCH_BYTES,
  SCAN_IN_FLIGHT_BYTES,
  isWorkerLoss,
  rebuildError,
  workerLost,
  type CaptureScanner,
  type FromWorker,
  type SerializedError,
  type ToWorker,
} from './scan-protocol.js';

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
