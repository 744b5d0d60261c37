/**
 * An incremental update (ISO 32000-1 §7.5.6): new and changed objects are appended after the
 * original bytes with a cross-reference section whose /Prev points to the previous one. The
 * original file stays byte-for-byte intact — signatures over earlier revisions stay valid, and
 * stamping costs what the change costs, not what the document costs.
 */
import { PdfDict, PdfName, PdfRef, PdfStream, indirectObjectBytes, objectText, type PdfObject } from './objects.js';
import type { PdfDocument } from './document.js';

export class IncrementalUpdate {
  private readonly objects = new Map<number, { ref: PdfRef; obj: PdfObject }>();
  private next: number;

  constructor(private readonly doc: PdfDocument) {
    this.next = doc.size;
  }

  /** A number for a new object. */
  allocate(): PdfRef {
    return new PdfRef(this.next++, 0);
  }

  /** Add a new object and return its reference. */
  add(obj: PdfObject): PdfRef {
    const ref = this.allocate();
    this.objects.set(ref.num, { ref, obj });
    return ref;
  }

  /** Write a new version of an existing object (same number and generation). */
  replace(num: number, obj: PdfObject): PdfRef {
    const ref = new PdfRef(num, this.doc.genOf(num));
    this.objects.set(num, { ref, obj });
    return ref;
  }

  /** The object as this update will leave it (for edits that build on earlier edits). */
  current(num: number): PdfObject {
    return this.objects.get(num)?.obj ?? this.doc.getObject(num);
  }

  has(num: number): boolean {
    return this.objects.has(num);
  }

  get empty(): boolean {
    return this.objects.size === 0;
  }

  build(trailerChanges: { info?: PdfRef }): Buffer {
    const base = this.doc.bytes;
    const parts: Buffer[] = [base];
    let offset = base.length;
    const last = base[base.length - 1];
    if (last !== 0x0a && last !== 0x0d) {
      parts.push(Buffer.from('\n'));
      offset += 1;
    }
    // Offsets are written relative to the header, like the rest of the file's.
    offset -= this.doc.base;
    const offsets = new Map<number, { offset: number; gen: number }>();
    // Plain objects are serialized into one latin1 string (one allocation instead of hundreds);
    // streams, whose data is binary, go in as buffers of their own.
    let text = '';
    for (const { ref, obj } of [...this.objects.values()].sort((a, b) => a.ref.num - b.ref.num)) {
      offsets.set(ref.num, { offset, gen: ref.gen });
      if (obj instanceof PdfStream) {
        if (text) parts.push(Buffer.from(text, 'latin1'));
        text = '';
        const bytes = indirectObjectBytes(ref, obj);
        parts.push(bytes);
        offset += bytes.length;
      } else {
        const s = `${ref.num} ${ref.gen} obj\n${objectText(obj)}\nendobj\n`;
        text += s;
        offset += s.length;
      }
    }
    if (text) parts.push(Buffer.from(text, 'latin1'));
    const trailer = new PdfDict();
    trailer.set('Root', this.doc.catalogRef);
    const info = trailerChanges.info ?? this.doc.trailer.get('Info');
    if (info !== undefined) trailer.set('Info', info);
    const id = this.doc.trailer.get('ID');
    if (id !== undefined) trailer.set('ID', id);
    trailer.set('Prev', this.doc.startxref);

    if (this.doc.xrefIsStream) {
      // The previous section is a cross-reference stream: continue with one.
      const xrefRef = this.allocate();
      offsets.set(xrefRef.num, { offset, gen: 0 });
      const nums = [...offsets.keys()].sort((a, b) => a - b);
      const index: number[] = [];
      const rows: Buffer[] = [];
      for (const run of runs(nums)) {
        index.push(run[0]!, run.length);
        for (const n of run) {
          const row = Buffer.alloc(7);
          row[0] = 1;
          row.writeUInt32BE(offsets.get(n)!.offset, 1);
          row.writeUInt16BE(offsets.get(n)!.gen, 5);
          rows.push(row);
        }
      }
      const dict = trailer.set('Type', new PdfName('XRef')).set('Size', this.next).set('W', [1, 4, 2]).set('Index', index);
      parts.push(indirectObjectBytes(xrefRef, new PdfStream(dict, Buffer.concat(rows))));
      parts.push(Buffer.from(`startxref\n${offset}\n%%EOF\n`, 'latin1'));
      return Buffer.concat(parts);
    }

    let xref = 'xref\n';
    for (const run of runs([...offsets.keys()].sort((a, b) => a - b))) {
      xref += `${run[0]} ${run.length}\n`;
      for (const n of run) {
        const e = offsets.get(n)!;
        xref += `${String(e.offset).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n\r\n`;
      }
    }
    trailer.set('Size', this.next);
    parts.push(Buffer.from(`${xref}trailer\n${objectText(trailer)}\nstartxref\n${offset}\n%%EOF\n`, 'latin1'));
    return Buffer.concat(parts);
  }
}

/** Consecutive runs of sorted numbers. */
function runs(nums: number[]): number[][] {
  const out: number[][] = [];
  for (const n of nums) {
    const run = out[out.length - 1];
    if (run && run[run.length - 1] === n - 1) run.push(n);
    else out.push([n]);
  }
  return out;
}
