/**
 * A cache for answers from Graph, on lru-cache: a time to live, stale-while-revalidate (an
 * expired entry is served while one background call refreshes it), stale-if-error (an expired
 * entry is served when Graph fails), and single flight (concurrent misses for one key share one
 * call). `source` tells the caller whether its own call produced the value (`graph`) or not
 * (`cache`, including callers that joined someone else's call).
 */
import { LRUCache } from 'lru-cache';
import { isLabelgateError } from '../errors.js';
import type { GraphLogger } from './logger.js';

export interface CacheTimes {
  ttlMs: number;
  staleWhileRevalidateMs: number;
  staleIfErrorMs: number;
}

export interface CacheResult<V> {
  value: V;
  source: 'graph' | 'cache';
  /** Served past its TTL (while revalidating, or because Graph failed). */
  stale: boolean;
}

interface Entry<V> {
  value: V;
  storedAt: number;
}

/** Errors for which an expired answer is better than none: Graph down or answering garbage. Auth errors must surface. */
function staleIsBetter(err: unknown): boolean {
  return isLabelgateError(err) && (err.code === 'GRAPH_UNAVAILABLE' || err.code === 'GRAPH_RESPONSE');
}

export class RefreshingCache<V extends object> {
  private readonly lru: LRUCache<string, Entry<V>>;
  private readonly inFlight = new Map<string, Promise<V>>();

  constructor(
    private readonly name: string,
    private readonly times: CacheTimes,
    max: number,
    private readonly logger: GraphLogger,
    private readonly now: () => number = Date.now,
  ) {
    // Entries live as long as any use of them is allowed; freshness is decided in get().
    const keepMs = times.ttlMs + Math.max(times.staleWhileRevalidateMs, times.staleIfErrorMs);
    this.lru = new LRUCache<string, Entry<V>>({ max, ...(keepMs > 0 ? { ttl: keepMs } : {}) });
  }

  get size(): number {
    return this.lru.size;
  }

  clear(): void {
    this.lru.clear();
  }

  /** The stored value while it may still be served (fresh, or stale within the stale windows); never calls Graph. */
  peek(key: string): V | undefined {
    const entry = this.times.ttlMs > 0 ? this.lru.peek(key) : undefined;
    if (!entry) return undefined;
    const age = this.now() - entry.storedAt;
    return age < this.times.ttlMs + Math.max(this.times.staleWhileRevalidateMs, this.times.staleIfErrorMs) ? entry.value : undefined;
  }

  /**
   * The cached value for `key`, or `load()`'s. `store(value)` decides whether a loaded value may be
   * reused for other callers (default: yes).
   */
  async get(key: string, load: () => Promise<V>, store: (value: V) => boolean = () => true): Promise<CacheResult<V>> {
    const entry = this.times.ttlMs > 0 ? this.lru.get(key) : undefined;
    const age = entry ? this.now() - entry.storedAt : Infinity;
    if (entry && age < this.times.ttlMs) return { value: entry.value, source: 'cache', stale: false };
    if (entry && age < this.times.ttlMs + this.times.staleWhileRevalidateMs) {
      if (!this.inFlight.has(key)) {
        this.flight(key, load, store).catch((err: unknown) => {
          this.logger.warn(
            { event: 'graph.cache.refresh_failed', cache: this.name, code: isLabelgateError(err) ? err.code : 'UNKNOWN' },
            `background refresh of the ${this.name} failed; still serving the previous answer`,
          );
        });
      }
      return { value: entry.value, source: 'cache', stale: true };
    }
    const joined = this.inFlight.get(key);
    try {
      const value = await (joined ?? this.flight(key, load, store));
      return { value, source: joined ? 'cache' : 'graph', stale: false };
    } catch (err) {
      if (entry && age < this.times.ttlMs + this.times.staleIfErrorMs && staleIsBetter(err)) {
        this.logger.warn(
          { event: 'graph.cache.stale_if_error', cache: this.name, ageMs: age, code: (err as { code: string }).code },
          `Graph failed; serving the ${this.name} from ${Math.round(age / 1000)} s ago`,
        );
        return { value: entry.value, source: 'cache', stale: true };
      }
      throw err;
    }
  }

  private flight(key: string, load: () => Promise<V>, store: (value: V) => boolean): Promise<V> {
    const promise = (async () => {
      try {
        const value = await load();
        if (this.times.ttlMs > 0 && store(value)) this.lru.set(key, { value, storedAt: this.now() });
        return value;
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, promise);
    return promise;
  }
}
