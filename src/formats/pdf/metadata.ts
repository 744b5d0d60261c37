/**
 * Label metadata in a PDF: `MSIP_Label_*` keys in the document Info dictionary (where MIP-aware
 * PDF readers look) and the same pairs in the XMP packet, as `pdfx:` properties (the namespace
 * Acrobat uses for custom document properties; exiftool reports them as XMP-pdfx).
 *
 * Reading: Info wins; the XMP pairs are used only when Info carries no MSIP key (a tool that
 * rewrote Info without our keys leaves them in XMP only).
 */
import type { KeyValuePair } from '../../graph-types.js';
import { isMsipKey } from '../../evaluate/msip.js';
import { decodeXmlBytes, decodeXmlText, escapeXmlText, localName, parseAttrs, scanXml } from '../xml/scan.js';
import { wellFormedLabelPairs } from '../label-metadata.js';
import { decodeStream, type PdfDocument } from './document.js';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString } from './objects.js';
import type { IncrementalUpdate } from './update.js';

const NS_PDFX = 'http://ns.adobe.com/pdfx/1.3/';
const MSIP_LOCAL = /^MSIP_Label_/i;

export function infoDict(doc: PdfDocument): PdfDict | undefined {
  return doc.dict(doc.trailer.get('Info'));
}

export function infoPairs(doc: PdfDocument): KeyValuePair[] {
  const info = infoDict(doc);
  const out: KeyValuePair[] = [];
  if (!info) return out;
  for (const [key, value] of info.map) {
    const v = doc.resolve(value);
    if (isMsipKey(key) && v instanceof PdfString) out.push({ name: key, value: v.text() });
  }
  return out;
}

function xmpText(doc: PdfDocument): { ref: PdfRef | undefined; xml: string } | undefined {
  const ref = doc.catalog().get('Metadata');
  const stream = doc.resolve(ref);
  if (!(stream instanceof PdfStream)) return undefined;
  const bytes = decodeStream(stream, doc.limits.maxXmlBytes, 'the XMP metadata stream');
  return { ref: ref instanceof PdfRef ? ref : undefined, xml: decodeXmlBytes(bytes) };
}

export function xmpPairs(doc: PdfDocument): KeyValuePair[] {
  const xmp = xmpText(doc);
  if (!xmp) return [];
  const out: KeyValuePair[] = [];
  let current: { name: string; text: string } | undefined;
  scanXml(
    xmp.xml,
    {
      open(name, raw) {
        const local = localName(name);
        if (MSIP_LOCAL.test(local)) current = { name: local, text: '' };
        else if (local === 'Description' && raw.includes('MSIP_Label_')) {
          for (const [k, v] of parseAttrs(raw)) if (MSIP_LOCAL.test(localName(k))) out.push({ name: localName(k), value: v });
        }
      },
      close(name) {
        if (current && localName(name) === current.name) {
          out.push({ name: current.name, value: decodeXmlText(current.text) });
          current = undefined;
        }
      },
      text(raw) {
        if (current) current.text += raw;
      },
    },
    'the XMP packet',
  );
  return out;
}

/** The label pairs in effect: Info's, or the XMP packet's when Info has none. */
export function pdfLabelPairs(doc: PdfDocument): KeyValuePair[] {
  const info = wellFormedLabelPairs(infoPairs(doc));
  return info.length > 0 ? info : wellFormedLabelPairs(xmpPairs(doc));
}

/** Write the Info dictionary: non-MSIP entries kept, MSIP entries replaced by `pairs`. Returns its reference. */
export function writeInfo(doc: PdfDocument, update: IncrementalUpdate, pairs: readonly KeyValuePair[]): PdfRef {
  const old = infoDict(doc);
  const info = new PdfDict();
  for (const [k, v] of old?.map ?? []) if (!isMsipKey(k)) info.set(k, v);
  for (const p of pairs) info.set(p.name, PdfString.fromText(p.value));
  const ref = doc.trailer.get('Info');
  return ref instanceof PdfRef ? update.replace(ref.num, info) : update.add(info);
}

function description(pairs: readonly KeyValuePair[]): string {
  if (pairs.length === 0) return '';
  const props = pairs.map((p) => `<pdfx:${p.name}>${escapeXmlText(p.value)}</pdfx:${p.name}>`).join('');
  return `<rdf:Description rdf:about="" xmlns:pdfx="${NS_PDFX}">${props}</rdf:Description>`;
}

function newPacket(pairs: readonly KeyValuePair[]): string {
  return (
    `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">` +
    `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">${description(pairs)}</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>`
  );
}

/** The packet without any MSIP property (elements or attributes), with `pairs` added in a Description of their own. */
export function rewritePacket(xml: string, pairs: readonly KeyValuePair[]): string {
  const cuts: Array<[number, number, string]> = [];
  let depth = 0;
  let msip: { start: number; depth: number } | undefined;
  let rdfClose = -1;
  const descriptions: Array<{ start: number; openEnd: number; depth: number; children: number; removed: number; onlyAbout: boolean }> = [];
  scanXml(
    xml,
    {
      open(name, raw, _self, start, end) {
        depth++;
        const local = localName(name);
        const parent = descriptions[descriptions.length - 1];
        if (parent && parent.depth === depth - 1) parent.children++;
        if (!msip && MSIP_LOCAL.test(local)) {
          msip = { start, depth };
          if (parent && parent.depth === depth - 1) parent.removed++;
        }
        if (local === 'Description') {
          const attrs = [...parseAttrs(raw).keys()];
          const msipAttrs = attrs.filter((k) => MSIP_LOCAL.test(localName(k)));
          if (msipAttrs.length > 0) {
            const tag = xml.slice(start, end).replace(/\s+[\w.-]+:MSIP_Label_[^\s=]*\s*=\s*("[^"]*"|'[^']*')/gi, '');
            cuts.push([start, end, tag]);
          }
          const onlyAbout = attrs.every((k) => k === 'rdf:about' || k.startsWith('xmlns') || MSIP_LOCAL.test(localName(k)));
          descriptions.push({ start, openEnd: end, depth, children: 0, removed: 0, onlyAbout });
        }
      },
      close(name, start, end) {
        const local = localName(name);
        if (msip && depth === msip.depth) {
          cuts.push([msip.start, end, '']);
          msip = undefined;
        }
        const d = descriptions[descriptions.length - 1];
        if (d && d.depth === depth && local === 'Description') {
          descriptions.pop();
          // A Description that only ever held MSIP properties goes away entirely.
          if (d.onlyAbout && d.children === d.removed) {
            for (let i = cuts.length - 1; i >= 0; i--) if (cuts[i]![0] >= d.start && cuts[i]![1] <= end) cuts.splice(i, 1);
            cuts.push([d.start, end, '']);
          }
        }
        if (local === 'RDF' && rdfClose === -1) rdfClose = start;
        depth--;
      },
    },
    'the XMP packet',
  );
  if (rdfClose === -1) return newPacket(pairs);
  cuts.push([rdfClose, rdfClose, description(pairs)]);
  cuts.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  let out = xml;
  for (const [s, e, text] of cuts) out = out.slice(0, s) + text + out.slice(e);
  return out;
}

/** Write the XMP packet carrying `pairs` (a new Metadata stream when the document has none). */
export function writeXmp(doc: PdfDocument, update: IncrementalUpdate, pairs: readonly KeyValuePair[]): void {
  const existing = xmpText(doc);
  if (!existing && pairs.length === 0) return;
  const xml = existing ? rewritePacket(existing.xml, pairs) : newPacket(pairs);
  const stream = new PdfStream(new PdfDict().set('Type', new PdfName('Metadata')).set('Subtype', new PdfName('XML')), Buffer.from(xml, 'utf8'));
  if (existing?.ref) {
    update.replace(existing.ref.num, stream);
    return;
  }
  const ref = update.add(stream);
  const catalogNum = doc.catalogRef.num;
  const catalog = (update.current(catalogNum) as PdfDict).clone().set('Metadata', ref);
  update.replace(catalogNum, catalog);
}
