/**
 * Counting matches the way Purview reports them: per type, the number of *distinct* values, each
 * counted once at the highest confidence it was seen with; then one classificationResult per
 * (type, confidence).
 *
 * Memory is bounded and small: values are kept as 64-bit hashes (never as text). The first
 * `MAX_DISTINCT_PER_TYPE` distinct values of a type are counted exactly (a 128 KiB table that stays
 * in cache); further values are counted by a HyperLogLog sketch per confidence level (1 KiB,
 * standard error about 3%), so a report with a million distinct emails costs no more memory than
 * one with ten thousand. A value that is first counted by a sketch and later seen at another
 * confidence may be counted at both levels. Explanations are capped at `MAX_EXPLANATIONS`.
 */
import type { ClassificationResult } from '../graph-types.js';
import type { MatchExplanation } from './api.js';

export const MAX_DISTINCT_PER_TYPE = 4096;
export const MAX_EXPLANATIONS = 10_000;

/**
 * Open-addressing hash table of value hashes → highest confidence, in one typed array (a Map keyed
 * by numbers beyond 31 bits allocates per entry, and separate arrays cost a cache miss each).
 * Slot i holds [hash a, (hash b with the low 7 bits replaced by confidence + 1)]; a second word of 0
 * marks an empty slot.
 * Grows by doubling up to `MAX_DISTINCT_PER_TYPE` entries at load ≤ 0.25 (a miss, the common case
 * in a report of distinct values, then costs about one probe).
 */
export class DistinctSet {
  private table = new Int32Array(2 * 64);
  private mask = 63;
  /**
   * Once the set is full: a blocked Bloom filter of the stored values (8 KiB: the word picked by the
   * mixed hash's top 11 bits, three bits in it picked by lower bits; see `filterBits`). Most values
   * of a large report are new by then, and this filter answers "not stored" without touching the
   * 128 KiB table, whose cache misses cost more than the rest of counting a match. With one bit per
   * value, 6% of new values still reached the table; with three, about 1%.
   */
  private full: Int32Array | undefined;
  size = 0;

  /**
   * Previous confidence of the value hashed to (a, b), or -1 if new (then it is inserted), or -2
   * if new and the set is full.
   */
  upsert(a: number, b: number, confidence: number): number {
    const key = b & ~0x7f;
    const mixed = Math.imul(a ^ Math.imul(key, 0x85ebca6b), 0x9e3779b1);
    if (this.full !== undefined) {
      const bits = filterBits(mixed);
      if ((this.full[mixed >>> 21]! & bits) !== bits) return -2;
    }
    const t = this.table;
    let slot = (mixed >>> 15) & this.mask;
    for (;;) {
      const packed = t[2 * slot + 1]!;
      if (packed === 0) break;
      if (t[2 * slot] === a && (packed & ~0x7f) === key) {
        const c = (packed & 0x7f) - 1;
        if (confidence > c) t[2 * slot + 1] = key | (confidence + 1);
        return c;
      }
      slot = (slot + 1) & this.mask;
    }
    if (this.size >= MAX_DISTINCT_PER_TYPE) return -2;
    t[2 * slot] = a;
    t[2 * slot + 1] = key | (confidence + 1);
    this.size++;
    if (this.size * 4 > this.mask + 1) this.grow();
    if (this.size === MAX_DISTINCT_PER_TYPE) this.full = this.filterOfStored();
    return -1;
  }

  private filterOfStored(): Int32Array {
    const f = new Int32Array(2048);
    const t = this.table;
    for (let i = 0; i < t.length; i += 2) {
      const packed = t[i + 1]!;
      if (packed === 0) continue;
      const mixed = Math.imul(t[i]! ^ Math.imul(packed & ~0x7f, 0x85ebca6b), 0x9e3779b1);
      f[mixed >>> 21] = f[mixed >>> 21]! | filterBits(mixed);
    }
    return f;
  }

  private grow(): void {
    const old = this.table;
    const cap = (this.mask + 1) * 2;
    this.table = new Int32Array(2 * cap);
    this.mask = cap - 1;
    for (let i = 0; i < old.length; i += 2) {
      const a = old[i]!;
      const packed = old[i + 1]!;
      if (packed === 0) continue;
      let slot = (Math.imul(a ^ Math.imul(packed & ~0x7f, 0x85ebca6b), 0x9e3779b1) >>> 15) & this.mask;
      while (this.table[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
      this.table[2 * slot] = a;
      this.table[2 * slot + 1] = packed;
    }
  }

  /** Confidence levels of the stored values. */
  *confidences(): Generator<number> {
    const t = this.table;
    for (let i = 0; i < t.length; i += 2) {
      if (t[i + 1] !== 0) yield (t[i + 1]! & 0x7f) - 1;
    }
  }
}

/** The three filter bits of a value (in the 32-bit word `mixed >>> 21` of DistinctSet's filter). */
function filterBits(mixed: number): number {
  return (1 << ((mixed >>> 16) & 31)) | (1 << ((mixed >>> 11) & 31)) | (1 << ((mixed >>> 6) & 31));
}

/** HyperLogLog distinct-count sketch over 64-bit hashes (2^10 registers, ~3% standard error). */
export class HyperLogLog {
  private readonly registers = new Uint8Array(1024);

  add(a: number, b: number): void {
    const idx = a >>> 22;
    // Rank: position of the first 1 bit in the remaining 22 bits of `a`, then in `b`.
    const rest = (a << 10) >>> 10;
    const rank = rest !== 0 ? Math.clz32(rest) - 9 : 23 + Math.clz32(b | 1);
    if (rank > this.registers[idx]!) this.registers[idx] = rank;
  }

  estimate(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    // Small-range correction (linear counting).
    return raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw;
  }
}

/**
 * Incremental 64-bit value hash in two 32-bit lanes (FNV-1a and a multiply-xorshift lane). Feed
 * numbers (char codes or digit values); read `a` and `b`.
 */
export class Hash64 {
  a = 0x811c9dc5;
  b = 0x2545f491;
  reset(salt: number): this {
    this.a = 0x811c9dc5 ^ salt;
    this.b = 0x2545f491 ^ Math.imul(salt, 0x9e3779b1);
    return this;
  }
  add(v: number): this {
    this.a = Math.imul(this.a ^ v, 0x01000193);
    const b = Math.imul(this.b ^ v, 0x85ebca6b);
    this.b = b ^ (b >>> 15);
    return this;
  }

  /** Set both lanes directly (detectors that hash while they parse), finishing lane b. */
  set(a: number, b: number): this {
    b ^= b >>> 16;
    b = Math.imul(b, 0x85ebca6b);
    b ^= b >>> 13;
    b = Math.imul(b, 0xc2b2ae35);
    this.a = a;
    this.b = b ^ (b >>> 16);
    return this;
  }

  /** Hash bytes `src[from..to)` (ASCII letters folded to lower case when `fold`), as `add` would. */
  setBytes(src: Uint8Array, from: number, to: number, salt: number, fold: boolean): this {
    // Lane a: FNV-1a. Lane b: a cheap polynomial, finished with a murmur3 mix.
    let a = 0x811c9dc5 ^ salt;
    let b = 0x2545f491 ^ salt;
    for (let i = from; i < to; i++) {
      let v = src[i]!;
      if (fold && v >= 65 && v <= 90) v |= 0x20;
      a = Math.imul(a ^ v, 0x01000193);
      b = ((b << 5) - b + v) | 0;
    }
    return this.set(a, b);
  }
}

export class Findings {
  private readonly seen: DistinctSet[];
  /** Per type and confidence, sketches of the values beyond the exact set's capacity. */
  private readonly overflow: (HyperLogLog | undefined)[][];
  private readonly notes: MatchExplanation[] = [];

  constructor(
    private readonly typeIds: readonly string[],
    private readonly typeNames: readonly string[],
    readonly explain: boolean,
  ) {
    this.seen = typeIds.map(() => new DistinctSet());
    this.overflow = typeIds.map(() => new Array<HyperLogLog | undefined>(101).fill(undefined));
  }

  /** Record one match of `type` whose normalized value hashed to `hash`. */
  add(type: number, hash: Hash64, confidence: number): void {
    if (this.seen[type]!.upsert(hash.a, hash.b, confidence) === -2) this.sketch(type, confidence).add(hash.a, hash.b);
  }

  private sketch(type: number, confidence: number): HyperLogLog {
    const byConfidence = this.overflow[type]!;
    let hll = byConfidence[confidence];
    if (!hll) {
      hll = new HyperLogLog();
      byConfidence[confidence] = hll;
    }
    return hll;
  }

  /** Record an explanation (only kept with `explain: true`). */
  note(type: number, confidence: number, offset: number, length: number, masked: string): void {
    if (this.notes.length >= MAX_EXPLANATIONS) return;
    this.notes.push({ sensitiveTypeId: this.typeIds[type]!, typeName: this.typeNames[type]!, offset, length, confidenceLevel: confidence, masked });
  }

  /** One result per (type, confidence), types in catalog order, confidence descending. */
  results(): ClassificationResult[] {
    const out: ClassificationResult[] = [];
    this.typeIds.forEach((id, type) => {
      const byConfidence = new Map<number, number>();
      this.overflow[type]!.forEach((hll, c) => {
        if (hll) byConfidence.set(c, Math.round(hll.estimate()));
      });
      for (const c of this.seen[type]!.confidences()) byConfidence.set(c, (byConfidence.get(c) ?? 0) + 1);
      for (const c of [...byConfidence.keys()].sort((x, y) => y - x)) {
        out.push({ sensitiveTypeId: id, count: byConfidence.get(c)!, confidenceLevel: c });
      }
    });
    return out;
  }

  explanations(): MatchExplanation[] {
    return [...this.notes].sort((a, b) => a.offset - b.offset || a.sensitiveTypeId.localeCompare(b.sensitiveTypeId));
  }

}
