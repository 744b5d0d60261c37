/**
 * Distinct counting: the exact set (with the membership filter it switches to once full) answers
 * like a plain Map of values, whatever the order, repeats and confidences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctSet, MAX_DISTINCT_PER_TYPE } from '../../src/classify/tally.js';

/** The reference: a Map keyed by the value (the set ignores the low 7 bits of `b`). */
class MapSet {
  private readonly map = new Map<string, number>();
  upsert(a: number, b: number, confidence: number): number {
    const key = `${a}:${b & ~0x7f}`;
    const prev = this.map.get(key);
    if (prev === undefined) {
      if (this.map.size >= MAX_DISTINCT_PER_TYPE) return -2;
      this.map.set(key, confidence);
      return -1;
    }
    if (confidence > prev) this.map.set(key, confidence);
    return prev;
  }
  confidences(): number[] {
    return [...this.map.values()].sort((x, y) => x - y);
  }
}

/** Deterministic 32-bit values from a seed (mulberry32). */
function values(seed: number, n: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = t ^ (t >>> 14);
  }
  return out;
}

describe('DistinctSet', () => {
  it('answers like a Map before and after it is full (filter included)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 * MAX_DISTINCT_PER_TYPE }),
        fc.integer({ min: 1, max: 5 * MAX_DISTINCT_PER_TYPE }),
        fc.integer(),
        fc.boolean(),
        (pool, draws, seed, lowBitsVary) => {
          const a = values(seed, pool);
          const b = values(seed ^ 0x5bd1e995, pool);
          const pick = values(seed + 1, draws);
          const set = new DistinctSet();
          const ref = new MapSet();
          let mismatches = 0;
          for (let i = 0; i < draws; i++) {
            const v = (pick[i]! >>> 0) % pool;
            // Values that differ only in b's low 7 bits are the same value to the set.
            const bv = lowBitsVary ? b[v]! ^ (pick[i]! & 0x7f) : b[v]!;
            const confidence = [55, 65, 75, 85, 95][(pick[i]! >>> 8) % 5]!;
            if (set.upsert(a[v]!, bv, confidence) !== ref.upsert(a[v]!, bv, confidence)) mismatches++;
          }
          expect(mismatches).toBe(0);
          expect([...set.confidences()].sort((x, y) => x - y)).toEqual(ref.confidences());
        },
      ),
      { numRuns: 25 },
    );
  });

  it('values whose filter bit is shared with a stored value are still told apart', () => {
    const set = new DistinctSet();
    const answers = (from: number, to: number, confidence: number) => {
      const seen = new Set<number>();
      for (let i = from; i < to; i++) seen.add(set.upsert(i * 7919, i << 7, confidence));
      return [...seen];
    };
    expect(answers(0, MAX_DISTINCT_PER_TYPE, 65)).toEqual([-1]);
    // Full: stored values answer their confidence, others -2, whether or not their filter bit is set.
    expect(answers(0, MAX_DISTINCT_PER_TYPE, 85)).toEqual([65]);
    expect(answers(MAX_DISTINCT_PER_TYPE, 20 * MAX_DISTINCT_PER_TYPE, 85)).toEqual([-2]);
    expect([...set.confidences()].every((c) => c === 85)).toBe(true);
  });
});
