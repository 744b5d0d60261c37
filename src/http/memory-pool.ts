/**
 * Bytes that concurrent downloads of one middleware may hold together. Three pools use it:
 * - memory of captures (`totalMemoryBytes`): each download may keep up to its `memoryBytes` in
 *   memory before spilling to a temp file; a capture takes bytes as it stores them in memory
 *   (`tryTake`, never waiting: without them it spills), and gives them back when it spills or is
 *   disposed;
 * - temp-file space (`totalDiskBytes`): a capture takes what it writes; a chunk that does not fit
 *   is refused (`SIZE_LIMIT`); the space comes back when the capture is disposed;
 * - whole-body labeling: PDF and Office files are read whole, and stamped into a copy, to be
 *   labeled. Labeling them waits its turn (`reserve`) for another `totalMemoryBytes`; a file
 *   larger than that is labeled when no other is. A reservation is held only while the pipeline
 *   runs (not while the result is sent to a client, however slow): nobody holding one waits for
 *   anything but its own work, so the queue always moves.
 */
import { LabelgateError } from '../errors.js';

interface Waiter {
  n: number;
  grant: () => void;
}

export class MemoryPool {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly limit: number) {}

  /** Bytes currently held (for tests and diagnostics). */
  get inUse(): number {
    return this.used;
  }

  /** Reservations waiting for their turn (for tests and diagnostics). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Take `n` bytes if the pool has them (and nobody is waiting for them). */
  tryTake(n: number): boolean {
    if (this.waiters.length > 0 || this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
    this.serve();
  }

  /** Can `n` be granted now? A request larger than the whole pool only when nothing is held. */
  private fits(n: number): boolean {
    return this.used + n <= this.limit || this.used === 0;
  }

  /** Grant waiters in order while the first one fits (first come, first served: a large one is not overtaken). */
  private serve(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.n)) {
      const w = this.waiters.shift()!;
      this.used += w.n;
      w.grant();
    }
  }

  /**
   * Wait until `n` bytes can be held, in turn; resolves to the function that gives them back (call
   * it once). Rejects with `ABORTED` when `signal` aborts and with `SIZE_LIMIT` after `timeoutMs`.
   */
  reserve(n: number, signal: AbortSignal | undefined, timeoutMs: number): Promise<() => void> {
    let given = false;
    const release = () => {
      if (given) return;
      given = true;
      this.give(n);
    };
    if (this.waiters.length === 0 && this.fits(n)) {
      this.used += n;
      return Promise.resolve(release);
    }
    if (signal?.aborted) return Promise.reject(new LabelgateError('ABORTED', 'labeling was aborted (client went away)'));
    return new Promise((resolve, reject) => {
      const leave = (err: LabelgateError) => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        cleanup();
        reject(err);
        // The head of the queue may have been the one that did not fit.
        this.serve();
      };
      const onAbort = () => leave(new LabelgateError('ABORTED', 'labeling was aborted (client went away)'));
      const timer = setTimeout(
        () =>
          leave(
            new LabelgateError('SIZE_LIMIT', `the memory for labeling whole files is in use by other downloads (waited ${timeoutMs} ms; totalMemoryBytes: ${this.limit} bytes)`, {
              detail: { totalMemoryBytes: this.limit },
            }),
          ),
        timeoutMs,
      );
      timer.unref();
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        n,
        grant: () => {
          cleanup();
          resolve(release);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}
