/**
 * Text of an OOXML package for the classifier, streamed part by part:
 * - workbooks: every worksheet in workbook order, one line per row, cells separated by tabs, shared
 *   and inline strings resolved, numbers as written; then cell comments;
 * - documents: body, headers, footers, footnotes, endnotes, comments (paragraphs → lines, tabs kept);
 * - presentations: every slide in order, then its notes.
 * Markup never reaches the scanner (a GUID in an attribute is not a finding).
 */
import { attrValue, decodeXmlText, localName, parseAttrs, XmlStreamScanner, type XmlEvents } from '../xml/scan.js';
import type { OoxmlPackage } from './package.js';

const FLUSH_AT = 64 * 1024;

/** Collects text from scanner events into chunks the generator yields between feeds. */
class TextSink {
  private parts: string[] = [];
  private size = 0;
  push(text: string): void {
    this.parts.push(text);
    this.size += text.length;
  }
  get ready(): boolean {
    return this.size >= FLUSH_AT;
  }
  take(): string {
    const s = this.parts.join('');
    this.parts = [];
    this.size = 0;
    return s;
  }
}

async function* streamPart(pkg: OoxmlPackage, part: string, events: XmlEvents, sink: TextSink, check: () => void): AsyncGenerator<string> {
  const scanner = new XmlStreamScanner(events, part);
  for await (const chunk of pkg.xmlChunks(part)) {
    check();
    scanner.feed(chunk);
    if (sink.ready) yield sink.take();
  }
  scanner.end();
  const rest = sink.take();
  if (rest) yield rest;
}

/** Paragraph-structured text (WordprocessingML, DrawingML): text elements, tabs, breaks, paragraph ends. */
function paragraphEvents(sink: TextSink, textElements: ReadonlySet<string>): XmlEvents {
  let inText = 0;
  return {
    open(name) {
      const el = localName(name);
      if (textElements.has(el)) inText++;
      else if (el === 'tab') sink.push('\t');
      else if (el === 'br' || el === 'cr') sink.push('\n');
    },
    close(name) {
      const el = localName(name);
      if (textElements.has(el)) inText--;
      else if (el === 'p' || el === 'comment') sink.push('\n');
      else if (el === 'tc') sink.push('\t');
    },
    text(raw, cdata) {
      if (inText > 0) sink.push(cdata ? raw : decodeXmlText(raw));
    },
  };
}

const WORD_TEXT = new Set(['t', 'delText']);
const DRAWING_TEXT = new Set(['t']);

/** Shared strings table: one string per `si`, phonetic runs (`rPh`) left out. */
async function sharedStrings(pkg: OoxmlPackage, part: string | undefined, check: () => void): Promise<string[]> {
  const out: string[] = [];
  if (!part) return out;
  let current: string[] | undefined;
  let inT = 0;
  let inPhonetic = 0;
  const events: XmlEvents = {
    open(name) {
      const el = localName(name);
      if (el === 'si') current = [];
      else if (el === 't') inT++;
      else if (el === 'rPh') inPhonetic++;
    },
    close(name) {
      const el = localName(name);
      if (el === 'si') {
        out.push(current?.join('') ?? '');
        current = undefined;
      } else if (el === 't') inT--;
      else if (el === 'rPh') inPhonetic--;
    },
    text(raw, cdata) {
      if (current && inT > 0 && inPhonetic === 0) current.push(cdata ? raw : decodeXmlText(raw));
    },
  };
  const sink = new TextSink();
  for await (const _ of streamPart(pkg, part, events, sink, check)) void _;
  return out;
}

/** A worksheet as rows of tab-separated cell values. */
function sheetEvents(sink: TextSink, strings: readonly string[]): XmlEvents {
  let type: string | undefined;
  let inCell = false;
  let inValue = 0;
  let inInline = 0;
  let inPhonetic = 0;
  let value = '';
  return {
    open(name, raw) {
      const el = localName(name);
      if (el === 'c') {
        inCell = true;
        value = '';
        type = attrValue(raw, 't');
      } else if (inCell && el === 'v') inValue++;
      else if (inCell && el === 'is') inInline++;
      else if (el === 'rPh') inPhonetic++;
      else if (inInline > 0 && el === 't') inValue++;
    },
    close(name) {
      const el = localName(name);
      if (el === 'c') {
        inCell = false;
        let text = value;
        if (type === 's') text = strings[Number(value.trim())] ?? '';
        else if (type === 'b' || type === 'e') text = '';
        if (text !== '') sink.push(`${text}\t`);
      } else if (el === 'row') sink.push('\n');
      else if (el === 'v' && inValue > 0) inValue--;
      else if (el === 'is') inInline--;
      else if (el === 'rPh') inPhonetic--;
      else if (inInline > 0 && el === 't') inValue--;
    },
    text(raw, cdata) {
      if (inCell && inValue > 0 && inPhonetic === 0) value += cdata ? raw : decodeXmlText(raw);
    },
  };
}

/** Parts in the order of an id list in `listPart` (`sheet r:id`, `sldId r:id`). */
function orderedTargets(pkg: OoxmlPackage, listPart: string, listElement: string, relType: string): string[] {
  const xml = pkg.xml(listPart) ?? '';
  const ids: string[] = [];
  const re = new RegExp(`<(?:[A-Za-z0-9_]+:)?${listElement}\\b([^>]*)>`, 'g');
  for (const m of xml.matchAll(re)) {
    const attrs = parseAttrs(m[1]!);
    for (const [k, v] of attrs) if (localName(k) === 'id' && k.includes(':')) ids.push(v);
  }
  const rels = pkg.relsOfType(listPart, relType);
  const byId = new Map(rels.map((r) => [r.id, r.part!]));
  const ordered = ids.map((id) => byId.get(id)).filter((p): p is string => !!p && pkg.has(p));
  // Anything related but not listed still gets scanned.
  for (const r of rels) if (!ordered.includes(r.part!) && pkg.has(r.part!)) ordered.push(r.part!);
  return ordered;
}

export async function* ooxmlText(pkg: OoxmlPackage, check: () => void): AsyncGenerator<string> {
  const main = pkg.mainPart;
  if (!main || !pkg.kind) return;
  const sink = new TextSink();
  if (pkg.kind === 'xlsx') {
    const sst = pkg.relsOfType(main, 'sharedStrings')[0]?.part;
    const strings = await sharedStrings(pkg, sst, check);
    for (const sheet of orderedTargets(pkg, main, 'sheet', 'worksheet')) {
      yield* streamPart(pkg, sheet, sheetEvents(sink, strings), sink, check);
      for (const c of pkg.relsOfType(sheet, 'comments')) yield* streamPart(pkg, c.part!, paragraphEvents(sink, DRAWING_TEXT), sink, check);
    }
  } else if (pkg.kind === 'docx') {
    yield* streamPart(pkg, main, paragraphEvents(sink, WORD_TEXT), sink, check);
    for (const type of ['header', 'footer', 'footnotes', 'endnotes', 'comments']) {
      for (const r of pkg.relsOfType(main, type)) yield* streamPart(pkg, r.part!, paragraphEvents(sink, WORD_TEXT), sink, check);
    }
  } else {
    for (const slide of orderedTargets(pkg, main, 'sldId', 'slide')) {
      yield* streamPart(pkg, slide, paragraphEvents(sink, DRAWING_TEXT), sink, check);
      for (const n of pkg.relsOfType(slide, 'notesSlide')) yield* streamPart(pkg, n.part!, paragraphEvents(sink, DRAWING_TEXT), sink, check);
    }
  }
}
