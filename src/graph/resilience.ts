/**
 * Fault handling for Graph calls: Retry-After parsing, retry delays within a total budget, and a
 * circuit breaker that stops calling a failing Graph for a while (and honours a long Retry-After
 * for every caller, not just the one that saw it).
 */
import { LabelgateError } from '../errors.js';
import type { GraphLogger } from './logger.js';

/** `Retry-After: <seconds>` or `Retry-After: <HTTP-date>` → milliseconds; undefined when absent or unusable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with jitter for retries without a Retry-After: ~200 ms, ~400 ms, ~800 ms … */
export function backoffDelay(attempt: number): number {
  return 200 * 2 ** attempt + Math.floor(Math.random() * 100);
}

/** Resolves after `ms`, or rejects with ABORTED when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortedError(): LabelgateError {
  return new LabelgateError('ABORTED', 'the request was aborted before Graph answered');
}

/** Wait for a promise, but give up (ABORTED) when the caller's signal fires. The promise itself runs on. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export interface CircuitBreakerOptions {
  /** Consecutive failed calls (after retries) that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before one trial call is let through. Default 30 s. */
  cooldownMs?: number;
}

type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Counts consecutive outage-type failures. Open: calls fail at once with GRAPH_UNAVAILABLE. After
 * the cooldown one trial call goes through (half-open); its success closes the circuit, its
 * failure opens it again. Any answer from Graph, even a 4xx, proves Graph is up.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private failures = 0;
  private openUntil = 0;
  private trialInFlight = false;
  private readonly threshold: number;
  private readonly cooldownMs: number;

  constructor(
    options: Required<CircuitBreakerOptions>,
    private readonly logger: GraphLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.threshold = options.failureThreshold;
    this.cooldownMs = options.cooldownMs;
  }

  get current(): CircuitState {
    return this.state;
  }

  /** Throws GRAPH_UNAVAILABLE when no call may go out now. */
  admit(endpoint: string): void {
    if (this.state === 'closed') return;
    const now = this.now();
    if (this.state === 'open' && now >= this.openUntil) {
      this.state = 'half-open';
      this.logger.info({ event: 'graph.circuit', state: 'half-open' }, 'Graph circuit half-open: letting one trial call through');
    }
    if (this.state === 'half-open' && !this.trialInFlight) {
      this.trialInFlight = true;
      return;
    }
    const waitS = Math.max(1, Math.ceil((this.openUntil - now) / 1000));
    throw new LabelgateError(
      'GRAPH_UNAVAILABLE',
      this.state === 'half-open'
        ? 'Microsoft Graph is unavailable: a trial call is in progress after repeated failures (circuit breaker half-open)'
        : `Microsoft Graph is unavailable: calls are paused for another ${waitS} s after repeated failures or throttling (circuit breaker open)`,
      { detail: { endpoint, circuit: this.state } },
    );
  }

  /** Graph answered (any status that is not an outage). */
  succeeded(): void {
    const was = this.state;
    this.failures = 0;
    this.trialInFlight = false;
    this.state = 'closed';
    if (was !== 'closed') this.logger.info({ event: 'graph.circuit', state: 'closed' }, 'Graph circuit closed: Graph answers again');
  }

  /** The call ended without an answer either way (the caller aborted): let another trial through. */
  abandoned(): void {
    this.trialInFlight = false;
  }

  /** An outage-type failure (after retries). `holdMs`: Graph asked us to stay away that long (Retry-After). */
  failed(holdMs?: number): void {
    this.failures += 1;
    this.trialInFlight = false;
    const tripped = this.state === 'half-open' || this.failures >= this.threshold;
    const hold = Math.max(tripped ? this.cooldownMs : 0, holdMs ?? 0);
    if (hold <= 0) return;
    const until = this.now() + hold;
    if (this.state === 'open' && until <= this.openUntil) return;
    this.state = 'open';
    this.openUntil = Math.max(this.openUntil, until);
    this.logger.warn(
      { event: 'graph.circuit', state: 'open', consecutiveFailures: this.failures, pauseMs: hold, retryAfter: holdMs !== undefined },
      `Graph circuit open: no Graph calls for ${Math.ceil(hold / 1000)} s`,
    );
  }
}
