/**
 * Event marks: a WebAssembly SIMD pre-pass over a scan range that marks, 16 bytes at a time, the
 * bytes the scanner's two class tables (window-scan.ts) treat as events. The hot loop then jumps
 * from one marked byte to the next instead of looking every byte up in a table: the per-byte work
 * becomes ~0.12 ns (copy and mark) instead of ~0.67 ns, the speed limit of a JavaScript byte loop.
 *
 * Each 16-byte block gets one 32-bit word: bit j (j < 16) is set when byte j of the block is an
 * event in the normal table, bit 16 + j when it is one in the anti table. Membership is computed
 * with two nibble lookups (i8x16.swizzle): event sets are ASCII-only, so bit r of a low-nibble
 * table entry says "the byte with high nibble r and this low nibble is an event" (r < 8), and the
 * high-nibble table maps r to that bit (bytes >= 0x80 map to 0: never events).
 *
 * The module is assembled here from its instructions (no build step, no binary file). Where
 * WebAssembly SIMD is unavailable, `eventMarks()` returns undefined and the scanner uses its byte
 * loop; a property test keeps both paths' results identical.
 */

/** The marker for one pair of class tables: fills `marks` for `data[from..to)`. */
export interface EventMarker {
  /**
   * Mark `data[from..to)`. Afterwards `words[q]` holds the marks of bytes `from + 16q ..
   * from + 16q + 15` (bits beyond `to` are garbage: callers stop at `to`). An empty array when
   * the range is too long to mark (then the caller looks at every byte).
   */
  mark(data: Uint8Array, from: number, to: number): Uint32Array;
}

const TABS = 0;
const SRC = 64;
/**
 * Memory pages (64 KiB each), allocated once and never grown: growing detaches the old buffer, and
 * the first detached ArrayBuffer in a process makes V8 check for detachment on every typed-array
 * access from then on (measured: a plain byte loop elsewhere in the process ran at half speed).
 * 24 pages hold a 1 MiB range (the scanner's largest) and its marks; longer ranges use the byte loop.
 */
const PAGES = 24;
const NONE = new Uint32Array(0);

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const V128_LOAD = 0x00;
const V128_CONST = 0x0c;
const I8X16_SWIZZLE = 0x0e;
const I8X16_SPLAT = 0x0f;
const I8X16_NE = 0x24;
const V128_AND = 0x4e;
const I8X16_BITMASK = 0x64;
const I8X16_SHR_U = 0x6d;
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];

/** `mark(src, n, dst, tabs)`: n bytes at src (n a multiple of 16) → n/16 words at dst. */
function moduleBytes(): Uint8Array {
  // params 0 src, 1 n, 2 dst, 3 tabs; locals 4 end (i32), 5 loNormal, 6 loAnti, 7 hiTable, 8 x, 9 hi, 10 lo (v128)
  const maskOf = (loTable: number): number[] => [
    ...get(loTable), ...get(10), ...simd(I8X16_SWIZZLE), ...get(9), ...simd(V128_AND),
    ...simd(V128_CONST), ...new Array<number>(16).fill(0), ...simd(I8X16_NE), ...simd(I8X16_BITMASK),
  ];
  const body = [
    2, 1, 0x7f, 6, 0x7b,
    ...get(3), ...simd(V128_LOAD), 4, 0, ...set(5),
    ...get(3), ...simd(V128_LOAD), 4, 16, ...set(6),
    ...get(3), ...simd(V128_LOAD), 4, 32, ...set(7),
    ...get(0), ...get(1), 0x6a, ...set(4),
    0x02, 0x40, 0x03, 0x40,
    ...get(0), ...get(4), 0x4f, 0x0d, 1,
    ...get(0), ...simd(V128_LOAD), 4, 0, ...set(8),
    ...get(7), ...get(8), 0x41, 4, ...simd(I8X16_SHR_U), ...simd(I8X16_SWIZZLE), ...set(9),
    ...get(8), 0x41, 15, ...simd(I8X16_SPLAT), ...simd(V128_AND), ...set(10),
    ...get(2), ...maskOf(5), ...maskOf(6), 0x41, 16, 0x74, 0x72, 0x36, 2, 0,
    ...get(0), 0x41, 16, 0x6a, ...set(0),
    ...get(2), 0x41, 4, 0x6a, ...set(2),
    0x0c, 0, 0x0b, 0x0b, 0x0b,
  ];
  const section = (id: number, content: number[]): number[] => [id, ...leb(content.length), ...content];
  const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  return new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, PAGES]),
    ...section(7, [2, ...name('mark'), 0, 0, ...name('mem'), 2, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

interface Exports {
  mark(src: number, n: number, dst: number, tabs: number): void;
  mem: { readonly buffer: ArrayBuffer };
}
/** The part of the WebAssembly global used here (the project's TypeScript libs do not declare it). */
interface WasmGlobal {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

let instance: Exports | null | undefined;
function wasm(): Exports | undefined {
  if (instance === undefined) {
    try {
      const wa = (globalThis as unknown as { WebAssembly?: WasmGlobal }).WebAssembly;
      const bytes = moduleBytes();
      instance = wa !== undefined && wa.validate(bytes) ? (new wa.Instance(new wa.Module(bytes)).exports as Exports) : null;
    } catch {
      instance = null;
    }
  }
  return instance ?? undefined;
}

/** The nibble tables for a pair of class tables (48 bytes: low normal, low anti, high). */
function nibbleTables(normal: Uint8Array, anti: Uint8Array): Uint8Array {
  const t = new Uint8Array(48);
  for (let c = 0; c < 256; c++) {
    if (c >= 128) {
      if (normal[c] !== 0 || anti[c] !== 0) throw new Error('event marks: class tables must be ASCII-only');
      continue;
    }
    if (normal[c] !== 0) t[c & 15] = t[c & 15]! | (1 << (c >> 4));
    if (anti[c] !== 0) t[16 + (c & 15)] = t[16 + (c & 15)]! | (1 << (c >> 4));
  }
  for (let r = 0; r < 8; r++) t[32 + r] = 1 << r;
  return t;
}

/** Off: scanners created afterwards use the byte loop (tests compare the two paths). */
export const eventMarks = { enabled: true };

/** A marker for the tables `[normal, anti]`, or undefined when WebAssembly SIMD is unavailable. */
export function eventMarker(normal: Uint8Array, anti: Uint8Array): EventMarker | undefined {
  const x = eventMarks.enabled ? wasm() : undefined;
  if (x === undefined) return undefined;
  const tabs = nibbleTables(normal, anti);
  let words = new Uint32Array(0);
  return {
    mark(data: Uint8Array, from: number, to: number): Uint32Array {
      const n = (to - from + 15) & ~15;
      const dst = SRC + n;
      if (dst + n / 4 > x.mem.buffer.byteLength) return NONE;
      const bytes = new Uint8Array(x.mem.buffer);
      bytes.set(tabs, TABS);
      bytes.set(data.subarray(from, to), SRC);
      x.mark(SRC, n, dst, TABS);
      if (words.buffer !== x.mem.buffer || words.byteOffset !== dst || words.length !== n / 16) words = new Uint32Array(x.mem.buffer, dst, n / 16);
      return words;
    },
  };
}
