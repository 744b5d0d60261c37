/**
 * Document markings: the label's header/footer text as a paragraph inside a block-level content
 * control (`w:sdt`) tagged with the action's uiElementName (e.g. `MSIPCM_v1_header`), at the top
 * of every header part (bottom of every footer part) the document's sections use. A section
 * without a default header/footer gets a new part. Removal deletes exactly the content controls
 * with the named tags — what labelgate wrote, nothing else. Watermarks (VML shapes) are not drawn.
 */
import type { AddContentFooterAction, AddContentHeaderAction } from '../../graph-types.js';
import { escapeXmlAttr, escapeXmlText, localName, parseAttrs, prefixForNamespace, scanXml } from '../xml/scan.js';
import { CONTENT_TYPE, REL_TYPE, relTypeIs, type OoxmlPackage } from './package.js';

type Marking = AddContentHeaderAction | AddContentFooterAction;
type Kind = 'header' | 'footer';

export interface DocxMarkingPlan {
  header: Marking | undefined;
  footer: Marking | undefined;
  removeHeader: string[];
  removeFooter: string[];
}

export interface PartChanges {
  /** Part name → new XML. */
  parts: Map<string, string>;
  /** New parts with their content type. */
  added: Array<{ part: string; contentType: string }>;
  header: boolean;
  footer: boolean;
}

const NS_REL_TRANSITIONAL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const NS_REL_STRICT = 'http://purl.oclc.org/ooxml/officeDocument/relationships';

interface Section {
  /** Span of the sectPr start tag (or the whole empty element). */
  start: number;
  end: number;
  selfClosing: boolean;
  name: string;
  refs: Array<{ kind: Kind; type: string; id: string }>;
}

interface DocumentInfo {
  sections: Section[];
  rootAttrs: Map<string, string>;
  wPrefix: string;
}

function readDocument(xml: string, part: string): DocumentInfo {
  const info: DocumentInfo = { sections: [], rootAttrs: new Map(), wPrefix: 'w' };
  let depth = 0;
  let current: Section | undefined;
  scanXml(
    xml,
    {
      open(name, raw, selfClosing, start, end) {
        depth++;
        if (depth === 1) {
          info.rootAttrs = parseAttrs(raw);
          info.wPrefix = name.includes(':') ? name.slice(0, name.indexOf(':')) : '';
          return;
        }
        const el = localName(name);
        if (el === 'sectPr') {
          current = { start, end, selfClosing, name, refs: [] };
          info.sections.push(current);
        } else if (current && (el === 'headerReference' || el === 'footerReference')) {
          const a = parseAttrs(raw);
          let type = 'default';
          let id = '';
          for (const [k, v] of a) {
            if (localName(k) === 'type') type = v;
            else if (localName(k) === 'id' && k.includes(':')) id = v;
          }
          current.refs.push({ kind: el === 'headerReference' ? 'header' : 'footer', type, id });
        }
      },
      close(name) {
        depth--;
        if (localName(name) === 'sectPr') current = undefined;
      },
    },
    part,
  );
  return info;
}

function wNamespace(info: DocumentInfo): string {
  return info.rootAttrs.get(info.wPrefix ? `xmlns:${info.wPrefix}` : 'xmlns') ?? 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
}

function markingBlock(m: Marking, w: string, strict: boolean): string {
  const p = w ? `${w}:` : '';
  const jc = m.alignment === 'left' ? (strict ? 'start' : 'left') : m.alignment === 'right' ? (strict ? 'end' : 'right') : 'center';
  const color = (m.fontColor ?? '').replace(/^#/, '').toUpperCase();
  const halfPoints = Math.max(2, Math.round((m.fontSize || 10) * 2));
  const font = escapeXmlAttr(m.fontName || 'Calibri');
  const rPr =
    `<${p}rPr><${p}rFonts ${p}ascii="${font}" ${p}hAnsi="${font}" ${p}cs="${font}"/>` +
    (/^[0-9A-F]{6}$/.test(color) ? `<${p}color ${p}val="${color}"/>` : '') +
    `<${p}sz ${p}val="${halfPoints}"/><${p}szCs ${p}val="${halfPoints}"/></${p}rPr>`;
  const runs = m.text
    .split(/\r\n?|\n/)
    .map((line) => `<${p}r>${rPr}<${p}t xml:space="preserve">${escapeXmlText(line)}</${p}t></${p}r>`)
    .join(`<${p}r>${rPr}<${p}br/></${p}r>`);
  return (
    `<${p}sdt><${p}sdtPr><${p}tag ${p}val="${escapeXmlAttr(m.uiElementName ?? '')}"/></${p}sdtPr><${p}sdtContent>` +
    `<${p}p><${p}pPr><${p}jc ${p}val="${jc}"/></${p}pPr>${runs}</${p}p></${p}sdtContent></${p}sdt>`
  );
}

/** Remove our tagged content controls from a header/footer part and add a new one; undefined = unchanged. */
function editHeaderPart(xml: string, part: string, kind: Kind, remove: readonly string[], add: Marking | undefined, strict: boolean): string | undefined {
  const drop: Array<[number, number]> = [];
  let depth = 0;
  let rootOpenEnd = -1;
  let rootCloseStart = -1;
  let wPrefix = 'w';
  let sdt: { start: number; depth: number; tag: string | undefined } | undefined;
  let paragraphs = 0;
  scanXml(
    xml,
    {
      open(name, raw, _self, start, end) {
        depth++;
        const el = localName(name);
        if (depth === 1) {
          rootOpenEnd = end;
          wPrefix = name.includes(':') ? name.slice(0, name.indexOf(':')) : '';
        } else if (el === 'sdt' && depth === 2 && !sdt) sdt = { start, depth, tag: undefined };
        else if (el === 'tag' && sdt && sdt.tag === undefined) sdt.tag = [...parseAttrs(raw)].find(([k]) => localName(k) === 'val')?.[1];
        else if (el === 'p' && depth === 2) paragraphs++;
      },
      close(name, start, end) {
        if (depth === 1) rootCloseStart = start;
        if (sdt && depth === sdt.depth && localName(name) === 'sdt') {
          if (sdt.tag !== undefined && remove.includes(sdt.tag)) drop.push([sdt.start, end]);
          else paragraphs++;
          sdt = undefined;
        }
        depth--;
      },
    },
    part,
  );
  if (rootOpenEnd < 0 || rootCloseStart < 0) return undefined;
  if (drop.length === 0 && !add) return undefined;
  let out = '';
  let at = 0;
  for (const [s, e] of drop) {
    out += xml.slice(at, s);
    at = e;
  }
  out += xml.slice(at);
  const shift = (pos: number) => pos - drop.filter(([, e]) => e <= pos).reduce((n, [s, e]) => n + (e - s), 0);
  const openEnd = shift(rootOpenEnd);
  const closeStart = shift(rootCloseStart);
  if (add) {
    const block = markingBlock(add, wPrefix, strict);
    return kind === 'header' ? out.slice(0, openEnd) + block + out.slice(openEnd) : out.slice(0, closeStart) + block + out.slice(closeStart);
  }
  // A header part must keep at least one block-level element.
  if (paragraphs === 0) {
    const p = wPrefix ? `${wPrefix}:` : '';
    return out.slice(0, closeStart) + `<${p}p/>` + out.slice(closeStart);
  }
  return out;
}

function newHeaderPart(kind: Kind, m: Marking, wNs: string, strict: boolean): string {
  const root = kind === 'header' ? 'w:hdr' : 'w:ftr';
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<${root} xmlns:w="${wNs}">${markingBlock(m, 'w', strict)}</${root}>`;
}

/** Everything the document's header/footer markings change: parts, new parts, and the document itself. */
export function markDocument(pkg: OoxmlPackage, plan: DocxMarkingPlan, rels: { addRelationship(source: string, type: string, target: string): string }): PartChanges {
  const main = pkg.mainPart!;
  const changes: PartChanges = { parts: new Map(), added: [], header: false, footer: false };
  const docXml = pkg.xml(main);
  if (docXml === undefined) return changes;
  const info = readDocument(docXml, main);
  const wNs = wNamespace(info);
  const strict = wNs.includes('purl.oclc.org');
  const mainRels = pkg.rels(main);
  const inserts: Array<{ section: Section; xml: string }> = [];
  const relType = (kind: Kind) => {
    const office = pkg.rootRels.find((r) => relTypeIs(r.type, REL_TYPE.officeDocument))?.type ?? REL_TYPE.officeDocument;
    return office.slice(0, office.lastIndexOf('/') + 1) + kind;
  };
  let rPrefix = prefixForNamespace(info.rootAttrs, NS_REL_TRANSITIONAL) ?? prefixForNamespace(info.rootAttrs, NS_REL_STRICT);
  if (rPrefix === '') rPrefix = undefined;

  for (const kind of ['header', 'footer'] as const) {
    const add = kind === 'header' ? plan.header : plan.footer;
    const remove = kind === 'header' ? plan.removeHeader : plan.removeFooter;
    if (!add && remove.length === 0) continue;
    const parts = new Set<string>();
    for (const s of info.sections) {
      for (const ref of s.refs) {
        const part = ref.kind === kind ? mainRels.find((r) => r.id === ref.id)?.part : undefined;
        if (part && pkg.has(part)) parts.add(part);
      }
    }
    for (const part of parts) {
      const xml = changes.parts.get(part) ?? pkg.xml(part);
      const edited = xml === undefined ? undefined : editHeaderPart(xml, part, kind, remove, add, strict);
      if (edited !== undefined) changes.parts.set(part, edited);
    }
    const lacking = info.sections.filter((s) => !s.refs.some((r) => r.kind === kind && r.type === 'default'));
    if (add && lacking.length > 0 && info.sections.length > 0) {
      let n = 1;
      while (pkg.has(`word/${kind}${n}.xml`) || changes.added.some((a) => a.part === `word/${kind}${n}.xml`)) n++;
      const part = `word/${kind}${n}.xml`;
      changes.parts.set(part, newHeaderPart(kind, add, wNs, strict));
      changes.added.push({ part, contentType: kind === 'header' ? CONTENT_TYPE.wordHeader : CONTENT_TYPE.wordFooter });
      const id = rels.addRelationship(main, relType(kind), `${kind}${n}.xml`);
      const w = info.wPrefix ? `${info.wPrefix}:` : '';
      const rAttr = rPrefix ? `${rPrefix}:id` : 'lgr:id';
      const rDecl = rPrefix ? '' : ` xmlns:lgr="${strict ? NS_REL_STRICT : NS_REL_TRANSITIONAL}"`;
      for (const section of lacking) inserts.push({ section, xml: `<${w}${kind}Reference${rDecl} ${w}type="default" ${rAttr}="${escapeXmlAttr(id)}"/>` });
    }
    if (add) changes[kind] = parts.size > 0 || lacking.length > 0;
  }

  if (inserts.length > 0) {
    // Splice the new references as the first children of each sectPr, back to front.
    let out = docXml;
    const bySection = new Map<Section, string>();
    for (const i of inserts) bySection.set(i.section, (bySection.get(i.section) ?? '') + i.xml);
    for (const [s, refs] of [...bySection].sort((a, b) => b[0].start - a[0].start)) {
      const tag = docXml.slice(s.start, s.end);
      const replacement = s.selfClosing ? `${tag.replace(/\s*\/>$/, '>')}${refs}</${s.name}>` : `${tag}${refs}`;
      out = out.slice(0, s.start) + replacement + out.slice(s.end);
    }
    changes.parts.set(main, out);
  }
  return changes;
}
