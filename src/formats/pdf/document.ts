/**
 * A PDF opened the way a viewer opens it — from the cross-reference data at the end — without
 * parsing every object: the trailer, the catalog, the page tree, the Info dictionary and whatever
 * else is asked for, one object at a time. This is what lets a 200-page report be labeled by an
 * incremental update in a few milliseconds.
 *
 * Hostile input: the xref chain, object references and the page tree are walked with visited sets
 * and depth caps (cycles are errors, not loops); object and page counts are checked against the
 * limits; inflating is capped; encrypted files are refused (they cannot be labeled honestly).
 */
import { constants as zc, inflateSync } from 'node:zlib';
import { LabelgateError } from '../../errors.js';
import type { FormatLimits } from '../types.js';
import { malformed, PdfDict, PdfName, PdfParser, PdfRef, PdfStream, type PdfObject } from './objects.js';

type XrefEntry = { type: 1; offset: number; gen: number } | { type: 2; stream: number; index: number };

export interface PdfPage {
  ref: PdfRef;
  dict: PdfDict;
  /** Effective resources (own or inherited), as written (a dict or a reference). */
  resources: PdfObject | undefined;
  resourcesInherited: boolean;
  /** The visible box (CropBox, else MediaBox): [llx, lly, urx, ury]. */
  box: [number, number, number, number];
  /** 0, 90, 180 or 270. */
  rotate: number;
}

function limitError(message: string): never {
  throw new LabelgateError('FORMAT_LIMIT', `PDF: ${message}`);
}

/** Decode a stream's data (FlateDecode or none), capped at `maxBytes`. */
export function decodeStream(stream: PdfStream, maxBytes: number, what: string): Buffer {
  const filter = stream.dict.get('Filter');
  const filters = (Array.isArray(filter) ? filter : filter ? [filter] : []).map((f) => (f instanceof PdfName ? f.value : '?'));
  if (filters.length === 0) return stream.data;
  if (filters.length > 1 || (filters[0] !== 'FlateDecode' && filters[0] !== 'Fl')) {
    throw new LabelgateError('FORMAT_UNSUPPORTED', `PDF: ${what} uses the ${filters.join('+')} filter, which labelgate cannot decode`);
  }
  let out: Buffer;
  try {
    out = inflateSync(stream.data, { maxOutputLength: maxBytes, finishFlush: zc.Z_SYNC_FLUSH });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') limitError(`${what} inflates to more than ${maxBytes} bytes`);
    malformed(`${what} is not valid FlateDecode data`);
  }
  const parms = stream.dict.get('DecodeParms');
  const p = Array.isArray(parms) ? parms[0] : parms;
  if (p instanceof PdfDict && typeof p.get('Predictor') === 'number' && (p.get('Predictor') as number) >= 10) {
    out = pngUnpredict(out, typeof p.get('Columns') === 'number' ? (p.get('Columns') as number) : 1, what);
  } else if (p instanceof PdfDict && (p.get('Predictor') ?? 1) !== 1) {
    throw new LabelgateError('FORMAT_UNSUPPORTED', `PDF: ${what} uses a TIFF predictor, which labelgate cannot decode`);
  }
  return out;
}

/** Undo PNG row prediction (one byte per pixel, as xref streams use it). */
function pngUnpredict(data: Buffer, columns: number, what: string): Buffer {
  if (columns < 1 || columns > 64) malformed(`${what} has an unsupported predictor width`);
  const rowLen = columns + 1;
  const rows = Math.floor(data.length / rowLen);
  const out = Buffer.alloc(rows * columns);
  for (let r = 0; r < rows; r++) {
    const type = data[r * rowLen]!;
    for (let c = 0; c < columns; c++) {
      const x = data[r * rowLen + 1 + c]!;
      const left = c > 0 ? out[r * columns + c - 1]! : 0;
      const up = r > 0 ? out[(r - 1) * columns + c]! : 0;
      const upLeft = r > 0 && c > 0 ? out[(r - 1) * columns + c - 1]! : 0;
      let v: number;
      if (type === 0) v = x;
      else if (type === 1) v = x + left;
      else if (type === 2) v = x + up;
      else if (type === 3) v = x + ((left + up) >> 1);
      else if (type === 4) {
        const pa = Math.abs(up - upLeft);
        const pb = Math.abs(left - upLeft);
        const pc = Math.abs(left + up - 2 * upLeft);
        v = x + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
      } else malformed(`${what} has an unknown PNG predictor`);
      out[r * columns + c] = v & 0xff;
    }
  }
  return out;
}

export class PdfDocument {
  readonly xref = new Map<number, XrefEntry>();
  /** Offset of the newest cross-reference section (`startxref`), relative to the header. */
  readonly startxref: number;
  /**
   * Where `%PDF-` starts. Offsets inside a PDF count from there: junk before the header (which
   * viewers accept) shifts every position by this much.
   */
  readonly base: number;
  /** Whether the newest section is a cross-reference stream (the update then writes one too). */
  readonly xrefIsStream: boolean;
  readonly trailer: PdfDict;
  private readonly cache = new Map<number, PdfObject>();
  private readonly objectStreams = new Map<number, { data: Buffer; offsets: Map<number, number> }>();
  private readonly resolving = new Set<number>();

  constructor(
    readonly bytes: Buffer,
    readonly limits: FormatLimits,
  ) {
    this.base = bytes.length < 8 ? -1 : bytes.toString('latin1', 0, 1024).indexOf('%PDF-');
    if (this.base === -1) malformed('no %PDF header');
    const tail = bytes.toString('latin1', Math.max(0, bytes.length - 2048));
    const at = tail.lastIndexOf('startxref');
    if (at === -1) malformed('no "startxref" at the end of the file: the file is truncated');
    const m = /^startxref\s+(\d+)\s+%%EOF/.exec(tail.slice(at));
    if (!m) malformed('no "%%EOF" after "startxref": the file is truncated');
    this.startxref = Number(m[1]);
    if (this.base + this.startxref >= bytes.length) malformed('"startxref" points past the end of the file: the file is truncated');

    const trailers: PdfDict[] = [];
    const seen = new Set<number>();
    let offset: number | undefined = this.startxref;
    let first = true;
    let isStream = false;
    while (offset !== undefined) {
      if (seen.has(offset)) malformed('the cross-reference chain loops (/Prev points back)');
      if (seen.size > 1000) malformed('too many cross-reference sections');
      seen.add(offset);
      let section: { trailer: PdfDict; isStream: boolean };
      try {
        section = this.readXrefSection(offset);
      } catch (err) {
        if (err instanceof LabelgateError && err.code === 'FORMAT_MALFORMED') {
          malformed(`the cross-reference data at byte ${offset} is damaged or the file is truncated (${err.message.replace(/^PDF: /, '')})`);
        }
        throw err;
      }
      if (first) isStream = section.isStream;
      first = false;
      trailers.push(section.trailer);
      const prev = section.trailer.get('Prev');
      offset = typeof prev === 'number' ? prev : undefined;
    }
    this.xrefIsStream = isStream;
    // The newest trailer wins, older ones fill in what it lacks.
    const merged = new PdfDict();
    for (const t of [...trailers].reverse()) for (const [k, v] of t.map) merged.set(k, v);
    merged.map.delete('Prev');
    merged.map.delete('XRefStm');
    this.trailer = merged;
    if (merged.has('Encrypt')) {
      throw new LabelgateError('FORMAT_ENCRYPTED', 'the PDF is encrypted; labelgate cannot label it without changing what was encrypted — decrypt it first');
    }
    const size = merged.get('Size');
    if (typeof size === 'number' && size > limits.maxPdfObjects) limitError(`${size} objects exceed the limit of ${limits.maxPdfObjects} objects`);
    if (!(merged.get('Root') instanceof PdfRef)) malformed('the trailer has no /Root (catalog) reference');
  }

  get size(): number {
    const size = this.trailer.get('Size');
    const maxNum = Math.max(0, ...this.xref.keys());
    return Math.max(typeof size === 'number' ? size : 0, maxNum + 1);
  }

  private addEntry(num: number, entry: XrefEntry): void {
    if (this.xref.has(num)) return;
    this.xref.set(num, entry);
    if (this.xref.size > this.limits.maxPdfObjects) limitError(`more than ${this.limits.maxPdfObjects} objects`);
  }

  private readXrefSection(offset: number): { trailer: PdfDict; isStream: boolean } {
    const p = new PdfParser(this.bytes, this.base + offset);
    p.skipWs();
    if (this.bytes.toString('latin1', p.pos, p.pos + 4) === 'xref') {
      p.pos += 4;
      const free: number[] = [];
      for (;;) {
        const start = p.int();
        if (start === undefined) break;
        const count = p.int();
        if (count === undefined) malformed('damaged cross-reference table');
        if (count > this.limits.maxPdfObjects) limitError(`a cross-reference section of ${count} entries exceeds the limit of ${this.limits.maxPdfObjects} objects`);
        for (let i = 0; i < count; i++) {
          const off = p.int();
          const gen = p.int();
          p.skipWs();
          const kind = this.bytes[p.pos++];
          if (off === undefined || gen === undefined || (kind !== 0x6e /* n */ && kind !== 0x66) /* f */) malformed('damaged cross-reference table (truncated?)');
          if (kind === 0x6e) this.addEntry(start + i, { type: 1, offset: off, gen });
          else free.push(start + i);
        }
      }
      p.expectKeyword('trailer');
      const trailer = p.parseObject();
      if (!(trailer instanceof PdfDict)) malformed('the trailer is not a dictionary');
      // Free entries hide older versions of the same object number.
      for (const n of free) if (!this.xref.has(n)) this.xref.set(n, { type: 1, offset: -1, gen: 0 });
      const xrefStm = trailer.get('XRefStm');
      if (typeof xrefStm === 'number') this.readXrefStream(xrefStm);
      return { trailer, isStream: false };
    }
    return { trailer: this.readXrefStream(offset), isStream: true };
  }

  private readXrefStream(offset: number): PdfDict {
    const { obj } = new PdfParser(this.bytes, this.base + offset, (r) => this.lengthOf(r)).indirectObject();
    if (!(obj instanceof PdfStream) || !(obj.dict.get('Type') instanceof PdfName) || (obj.dict.get('Type') as PdfName).value !== 'XRef') {
      malformed('startxref does not point to a cross-reference table or stream');
    }
    const w = obj.dict.get('W');
    if (!Array.isArray(w) || w.length !== 3 || !w.every((x) => typeof x === 'number' && x >= 0 && x <= 8)) malformed('damaged /W in a cross-reference stream');
    const [w1, w2, w3] = w as [number, number, number];
    const size = obj.dict.get('Size');
    const index = obj.dict.get('Index') ?? [0, typeof size === 'number' ? size : 0];
    if (!Array.isArray(index) || index.length % 2 || !index.every((x) => typeof x === 'number')) malformed('damaged /Index in a cross-reference stream');
    const data = decodeStream(obj, this.limits.maxInflatedBytes, 'a cross-reference stream');
    const rowLen = w1 + w2 + w3;
    const read = (at: number, width: number) => {
      let v = 0;
      for (let i = 0; i < width; i++) v = v * 256 + data[at + i]!;
      return v;
    };
    let row = 0;
    for (let i = 0; i < index.length; i += 2) {
      const start = index[i] as number;
      const count = index[i + 1] as number;
      if (count > this.limits.maxPdfObjects) limitError(`a cross-reference section of ${count} entries exceeds the limit of ${this.limits.maxPdfObjects} objects`);
      for (let k = 0; k < count; k++, row++) {
        const at = row * rowLen;
        if (at + rowLen > data.length) malformed('cross-reference stream is shorter than its /Index says');
        const type = w1 === 0 ? 1 : read(at, w1);
        const f2 = read(at + w1, w2);
        const f3 = read(at + w1 + w2, w3);
        if (type === 1) this.addEntry(start + k, { type: 1, offset: f2, gen: f3 });
        else if (type === 2) this.addEntry(start + k, { type: 2, stream: f2, index: f3 });
        else if (type === 0 && !this.xref.has(start + k)) this.xref.set(start + k, { type: 1, offset: -1, gen: 0 });
      }
    }
    return obj.dict;
  }

  private lengthOf(ref: PdfRef): number | undefined {
    const v = this.tryGet(ref.num);
    return typeof v === 'number' ? v : undefined;
  }

  private tryGet(num: number): PdfObject | undefined {
    try {
      return this.getObject(num);
    } catch (err) {
      if (err instanceof LabelgateError && err.code !== 'FORMAT_MALFORMED') throw err;
      return undefined;
    }
  }

  /** Generation number of an object (0 for objects inside object streams). */
  genOf(num: number): number {
    const e = this.xref.get(num);
    return e?.type === 1 ? e.gen : 0;
  }

  /** An indirect object by number; `null` for free or missing objects (as the spec says). */
  getObject(num: number): PdfObject {
    if (this.cache.has(num)) return this.cache.get(num)!;
    const entry = this.xref.get(num);
    if (!entry || (entry.type === 1 && entry.offset < 0)) return null;
    if (this.resolving.has(num)) malformed(`object ${num} refers to itself while being read`);
    this.resolving.add(num);
    try {
      let obj: PdfObject;
      if (entry.type === 1) {
        if (this.base + entry.offset >= this.bytes.length) malformed(`object ${num} lies past the end of the file (truncated?)`);
        const parsed = new PdfParser(this.bytes, this.base + entry.offset, (r) => this.lengthOf(r)).indirectObject();
        if (parsed.num !== num) malformed(`cross-reference entry for object ${num} points to object ${parsed.num}`);
        obj = parsed.obj;
      } else {
        obj = this.fromObjectStream(num, entry.stream, entry.index);
      }
      this.cache.set(num, obj);
      return obj;
    } finally {
      this.resolving.delete(num);
    }
  }

  private fromObjectStream(num: number, streamNum: number, _index: number): PdfObject {
    let os = this.objectStreams.get(streamNum);
    if (!os) {
      const stream = this.getObject(streamNum);
      if (!(stream instanceof PdfStream)) malformed(`object stream ${streamNum} is missing`);
      const data = decodeStream(stream, this.limits.maxInflatedBytes, `object stream ${streamNum}`);
      const n = stream.dict.get('N');
      const first = stream.dict.get('First');
      if (typeof n !== 'number' || typeof first !== 'number' || n > this.limits.maxPdfObjects) malformed(`object stream ${streamNum} has a damaged header`);
      const header = new PdfParser(data, 0);
      const offsets = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const objNum = header.int();
        const off = header.int();
        if (objNum === undefined || off === undefined) malformed(`object stream ${streamNum} has a damaged header`);
        offsets.set(objNum, first + off);
      }
      os = { data, offsets };
      this.objectStreams.set(streamNum, os);
    }
    const at = os.offsets.get(num);
    if (at === undefined) return null;
    return new PdfParser(os.data, at).parseObject();
  }

  /**
   * Whether an object is an array, without parsing it when it is not (page /Contents: a stream,
   * usually, or an array of streams). Objects inside object streams cannot be streams.
   */
  isArray(num: number): boolean {
    const entry = this.xref.get(num);
    if (entry?.type === 2) return Array.isArray(this.getObject(num));
    if (!entry || entry.offset < 0) return false;
    const at = this.base + entry.offset;
    const obj = this.bytes.indexOf('obj', at, 'latin1');
    if (obj === -1 || obj - at > 40) return Array.isArray(this.getObject(num));
    const p = new PdfParser(this.bytes, obj + 3);
    p.skipWs();
    return this.bytes[p.pos] === 0x5b /* [ */ && Array.isArray(this.getObject(num));
  }

  /** Follow references (bounded) to a direct object. */
  resolve(obj: PdfObject | undefined): PdfObject | undefined {
    let cur = obj;
    for (let hops = 0; cur instanceof PdfRef; hops++) {
      if (hops > 32) malformed('a reference chain is too long (cycle?)');
      cur = this.getObject(cur.num);
    }
    return cur;
  }

  dict(obj: PdfObject | undefined): PdfDict | undefined {
    const d = this.resolve(obj);
    return d instanceof PdfDict ? d : d instanceof PdfStream ? d.dict : undefined;
  }

  get catalogRef(): PdfRef {
    return this.trailer.get('Root') as PdfRef;
  }

  catalog(): PdfDict {
    const c = this.resolve(this.catalogRef);
    if (!(c instanceof PdfDict)) malformed('the catalog is missing or not a dictionary');
    return c;
  }

  /** Every page in order, with inherited attributes resolved. Cycles and over-limit trees are errors. */
  pages(deadline?: () => void): PdfPage[] {
    const root = this.catalog().get('Pages');
    if (!(root instanceof PdfRef)) malformed('the catalog has no /Pages reference');
    const out: PdfPage[] = [];
    const visited = new Set<number>();
    type Inherited = { resources: PdfObject | undefined; mediaBox: PdfObject | undefined; cropBox: PdfObject | undefined; rotate: PdfObject | undefined };
    const walk = (ref: PdfRef, inh: Inherited, depth: number): void => {
      if (depth > 64) malformed('the page tree is too deep');
      if (visited.has(ref.num)) malformed('the page tree contains a cycle (a node is its own ancestor or appears twice)');
      visited.add(ref.num);
      deadline?.();
      const node = this.resolve(ref);
      if (!(node instanceof PdfDict)) malformed(`page tree node ${ref.num} is not a dictionary`);
      const here: Inherited = {
        resources: node.get('Resources') ?? inh.resources,
        mediaBox: node.get('MediaBox') ?? inh.mediaBox,
        cropBox: node.get('CropBox') ?? inh.cropBox,
        rotate: node.get('Rotate') ?? inh.rotate,
      };
      const type = node.get('Type');
      const kids = this.resolve(node.get('Kids'));
      if (Array.isArray(kids) && !(type instanceof PdfName && type.value === 'Page')) {
        for (const kid of kids) {
          if (!(kid instanceof PdfRef)) malformed('a page tree /Kids entry is not a reference');
          walk(kid, here, depth + 1);
        }
        return;
      }
      if (out.length >= this.limits.maxPdfPages) limitError(`more than ${this.limits.maxPdfPages} pages`);
      const box = this.box(here.cropBox) ?? this.box(here.mediaBox) ?? [0, 0, 612, 792];
      const rot = this.resolve(here.rotate);
      const rotate = typeof rot === 'number' ? (((Math.round(rot / 90) * 90) % 360) + 360) % 360 : 0;
      out.push({ ref, dict: node, resources: here.resources, resourcesInherited: !node.has('Resources'), box, rotate });
    };
    walk(root, { resources: undefined, mediaBox: undefined, cropBox: undefined, rotate: undefined }, 0);
    return out;
  }

  private box(obj: PdfObject | undefined): [number, number, number, number] | undefined {
    const a = this.resolve(obj);
    if (!Array.isArray(a) || a.length !== 4) return undefined;
    const n = a.map((x) => this.resolve(x));
    if (!n.every((x): x is number => typeof x === 'number')) return undefined;
    const [x1, y1, x2, y2] = n as [number, number, number, number];
    const box: [number, number, number, number] = [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
    return box[2] - box[0] > 0 && box[3] - box[1] > 0 ? box : undefined;
  }
}
