/**
 * Collects the changes to an OOXML package — part contents, new parts with their content-type
 * overrides, new relationships — and writes the new package, copying every other entry as is.
 */
import { LabelgateError } from '../../errors.js';
import { escapeXmlAttr, localName, parseAttrs, scanXml } from '../xml/scan.js';
import { findEntry } from '../zip/read.js';
import { rewriteZip, type DeflatedPart } from '../zip/write.js';
import { CONTENT_TYPE, relsPartOf, relTypeIs, type OoxmlPackage } from './package.js';

const NS_RELS = 'http://schemas.openxmlformats.org/package/2006/relationships';

/**
 * Insert an element before the root element's end tag (or expand an empty root element).
 * `element` gets the root's namespace prefix (`''` or `p:`), so a prefixed part stays valid.
 */
function insertIntoRoot(xml: string, element: (prefix: string) => string, part: string): string {
  let depth = 0;
  let closeAt = -1;
  let prefix = '';
  let emptyRoot: { start: number; end: number; name: string } | undefined;
  scanXml(
    xml,
    {
      open(name, _raw, selfClosing, start, end) {
        depth++;
        if (depth === 1) prefix = name.includes(':') ? name.slice(0, name.indexOf(':') + 1) : '';
        if (depth === 1 && selfClosing) emptyRoot = { start, end, name };
      },
      close(_name, start) {
        if (depth === 1 && closeAt === -1 && !emptyRoot) closeAt = start;
        depth--;
      },
    },
    part,
  );
  const fragment = element(prefix);
  if (emptyRoot) {
    const tag = xml.slice(emptyRoot.start, emptyRoot.end).replace(/\s*\/>$/, '>');
    return `${xml.slice(0, emptyRoot.start)}${tag}${fragment}</${emptyRoot.name}>${xml.slice(emptyRoot.end)}`;
  }
  if (closeAt < 0) throw new LabelgateError('FORMAT_MALFORMED', `${part} has no root element`);
  return `${xml.slice(0, closeAt)}${fragment}${xml.slice(closeAt)}`;
}

/** The Override element for a part in `[Content_Types].xml`, with its span. */
function findOverride(ct: string, part: string): { type: string; start: number; end: number; prefix: string } | undefined {
  let found: { type: string; start: number; end: number; prefix: string } | undefined;
  scanXml(
    ct,
    {
      open(name, raw, _self, start, end) {
        if (found || localName(name) !== 'Override') return;
        const attrs = parseAttrs(raw);
        if ((attrs.get('PartName') ?? '').toLowerCase() !== `/${part.toLowerCase()}`) return;
        found = { type: attrs.get('ContentType') ?? '', start, end, prefix: name.includes(':') ? name.slice(0, name.indexOf(':') + 1) : '' };
      },
    },
    '[Content_Types].xml',
  );
  return found;
}

export class PackageEdit {
  private readonly parts = new Map<string, Buffer | DeflatedPart>();
  private readonly added: Array<{ name: string; data: Buffer }> = [];
  private readonly xmlParts = new Map<string, string>();
  private readonly relIds = new Map<string, Set<string>>();

  constructor(private readonly pkg: OoxmlPackage) {}

  /** Current text of a part, including edits made so far. */
  xml(part: string): string | undefined {
    return this.xmlParts.get(part.toLowerCase()) ?? this.pkg.xml(part);
  }

  setXml(part: string, xml: string): void {
    this.xmlParts.set(part.toLowerCase(), xml);
    this.setBytes(part, Buffer.from(xml, 'utf8'));
  }

  /** Replace an existing part with content deflated elsewhere (a sheet re-encoded as a stream). */
  setDeflated(part: string, data: DeflatedPart): void {
    this.parts.set(part.toLowerCase(), data);
  }

  setBytes(part: string, data: Buffer): void {
    if (findEntry(this.pkg.zip, part)) {
      this.parts.set(part.toLowerCase(), data);
      return;
    }
    const existing = this.added.find((a) => a.name.toLowerCase() === part.toLowerCase());
    if (existing) existing.data = data;
    else this.added.push({ name: part, data });
  }

  /** Make sure `[Content_Types].xml` gives `part` this content type (an Override when it does not yet). */
  ensureContentType(part: string, contentType: string, accept: readonly string[] = [contentType]): void {
    const ct = this.xml('[Content_Types].xml')!;
    const override = findOverride(ct, part);
    if (override && accept.includes(override.type.toLowerCase())) return;
    // A Default (by extension) only counts when it gives exactly the preferred type.
    if (!override && this.pkg.contentType(part) === contentType) return;
    const element = (p: string) => `<${p}Override PartName="/${escapeXmlAttr(part)}" ContentType="${escapeXmlAttr(contentType)}"/>`;
    if (override) {
      // An Override with another type: replace the element.
      this.setXml('[Content_Types].xml', ct.slice(0, override.start) + element(override.prefix) + ct.slice(override.end));
      return;
    }
    this.setXml('[Content_Types].xml', insertIntoRoot(ct, element, '[Content_Types].xml'));
  }

  /** The id of a relationship from `source` to `targetPart` of `type`, adding one if none exists. */
  ensureRelationship(source: string, type: string, targetPart: string): string {
    const existing = this.pkg.rels(source).find((r) => !r.external && relTypeIs(r.type, type) && r.part?.toLowerCase() === targetPart.toLowerCase());
    if (existing) return existing.id;
    const base = source === '' ? '' : `${source.slice(0, source.lastIndexOf('/') + 1)}`;
    const target = source === '' ? targetPart : targetPart.startsWith(base) ? targetPart.slice(base.length) : `/${targetPart}`;
    return this.addRelationship(source, type, target);
  }

  /** Add a relationship (target relative to the source part, as written in the rels part) and return its id. */
  addRelationship(source: string, type: string, target: string): string {
    const relsPart = relsPartOf(source);
    let ids = this.relIds.get(relsPart);
    if (!ids) this.relIds.set(relsPart, (ids = new Set(this.pkg.rels(source).map((r) => r.id))));
    let n = ids.size + 1;
    while (ids.has(`rId${n}`)) n++;
    const id = `rId${n}`;
    ids.add(id);
    const rel = (p: string) => `<${p}Relationship Id="${id}" Type="${escapeXmlAttr(type)}" Target="${escapeXmlAttr(target)}"/>`;
    const xml = this.xml(relsPart);
    if (xml === undefined) {
      this.setXml(relsPart, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${NS_RELS}">${rel('')}</Relationships>`);
      if (!this.pkg.contentType(relsPart)) this.ensureContentType(relsPart, CONTENT_TYPE.relationships);
    } else {
      this.setXml(relsPart, insertIntoRoot(xml, rel, relsPart));
    }
    return id;
  }

  build(): Buffer {
    return rewriteZip(this.pkg.zip, { replace: this.parts, add: this.added });
  }
}
