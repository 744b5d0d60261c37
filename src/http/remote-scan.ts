/**
 * One scan in a worker thread, as the capture sees it: written bytes are copied into batches that
 * grow to 256 KiB and are transferred (not copied again) to the worker, at most 1 MiB ahead of
 * what it has scanned (so a `peek` is answered soon); acknowledgements drive the backlog that the
 * capture's backpressure reads.
 */
import type { Worker } from 'node:worker_threads';
import type { ClassificationResult } from '../graph-types.js';
import { LabelgateError } from '../errors.js';
import {
  FIRST_SCAN_BATCH_BYTES,
  SCAN_BACKLOG_LIMIT,
  SCAN_BATCH_BYTES,
  SCAN_IN_FLIGHT_BYTES,
  rebuildError,
  type CaptureScanner,
  type FromWorker,
  type ToWorker,
} from './scan-protocol.js';

/** What a scan needs from its pool. */
export interface ScanOwner {
  /** The scan is over (done, failed or dropped): stop tracking it. */
  forget(id: number): void;
}

export class RemoteScan implements CaptureScanner {
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
    private readonly pool: ScanOwner,
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

