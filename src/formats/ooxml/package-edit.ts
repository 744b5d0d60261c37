/**
 * Collects the changes to an OOXML package — part contents, new parts with their content-type
 * overrides, new relationships — and writes the new package, copying every other entry as is.
 */
import { escapeXmlAttr, localName, scanXml } from '../xml/scan.js';
import { findEntry } from '../zip/read.js';
import { rewriteZip, type DeflatedPart } from '../zip/write.js';
import { relsPartOf, relTypeIs, type OoxmlPackage } from './package.js';

const NS_RELS = 'http://schemas.openxmlformats.org/package/2006/relationships';

/** Insert `fragment` before the root element's end tag (or expand an empty root element). */
function insertIntoRoot(xml: string, fragment: string, part: string): string {
  let depth = 0;
  let closeAt = -1;
  let emptyRoot: { start: number; end: number; name: string } | undefined;
  scanXml(
    xml,
    {
      open(name, _raw, selfClosing, start, end) {
        depth++;
        if (depth === 1 && selfClosing) emptyRoot = { start, end, name };
      },
      close(_name, start) {
        if (depth === 1 && closeAt === -1 && !emptyRoot) closeAt = start;
        depth--;
      },
    },
    part,
  );
  if (emptyRoot) {
    const tag = xml.slice(emptyRoot.start, emptyRoot.end).replace(/\s*\/>$/, '>');
    return `${xml.slice(0, emptyRoot.start)}${tag}${fragment}</${emptyRoot.name}>${xml.slice(emptyRoot.end)}`;
  }
  return `${xml.slice(0, closeAt)}${fragment}${xml.slice(closeAt)}`;
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
    const override = this.overrideType(part);
    if (override !== undefined && accept.includes(override.toLowerCase())) return;
    // A Default (by extension) only counts when it gives exactly the preferred type.
    if (override === undefined && this.pkg.contentType(part) === contentType) return;
    const ct = this.xml('[Content_Types].xml')!;
    if (override !== undefined) {
      // An Override with another type: replace its ContentType.
      const re = new RegExp(`(<(?:[\\w.-]+:)?Override\\b[^>]*PartName="/${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*ContentType=")[^"]*(")`, 'i');
      this.setXml('[Content_Types].xml', ct.replace(re, `$1${escapeXmlAttr(contentType)}$2`));
      return;
    }
    this.setXml('[Content_Types].xml', insertIntoRoot(ct, `<Override PartName="/${escapeXmlAttr(part)}" ContentType="${escapeXmlAttr(contentType)}"/>`, '[Content_Types].xml'));
  }

  private overrideType(part: string): string | undefined {
    const ct = this.xml('[Content_Types].xml')!;
    let found: string | undefined;
    scanXml(
      ct,
      {
        open(name, raw) {
          if (found !== undefined || localName(name) !== 'Override') return;
          const m = /PartName\s*=\s*"([^"]*)"/.exec(raw);
          if (m && m[1]!.toLowerCase() === `/${part.toLowerCase()}`) found = /ContentType\s*=\s*"([^"]*)"/.exec(raw)?.[1] ?? '';
        },
      },
      '[Content_Types].xml',
    );
    return found;
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
    const rel = `<Relationship Id="${id}" Type="${escapeXmlAttr(type)}" Target="${escapeXmlAttr(target)}"/>`;
    const xml = this.xml(relsPart);
    if (xml === undefined) {
      this.setXml(relsPart, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${NS_RELS}">${rel}</Relationships>`);
      if (!this.pkg.contentType(relsPart)) this.ensureContentType(relsPart, 'application/vnd.openxmlformats-package.relationships+xml');
    } else {
      this.setXml(relsPart, insertIntoRoot(xml, rel, relsPart));
    }
    return id;
  }

  get changed(): boolean {
    return this.parts.size > 0 || this.added.length > 0;
  }

  build(): Buffer {
    return rewriteZip(this.pkg.zip, { replace: this.parts, add: this.added });
  }
}
