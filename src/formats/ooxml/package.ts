/**
 * An OOXML package (Open Packaging Conventions over ZIP): parts, content types, relationships,
 * and which application wrote it (workbook, document, presentation), all read under the limits.
 */
import { posix } from 'node:path';
import { LabelgateError } from '../../errors.js';
import type { FormatLimits, SourceBody } from '../types.js';
import { findEntry, inflateEntry, inflateEntryChunks, isZip, readZip, type ZipArchive } from '../zip/read.js';
import { attrByLocalName, decodeXmlBytes, localName, parseAttrs, scanXml } from '../xml/scan.js';

export type OoxmlKind = 'xlsx' | 'docx' | 'pptx';

/** Relationship types, matched by their last path segment so Strict OOXML URIs match too. */
export const REL_TYPE = {
  officeDocument: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument',
  customProperties: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties',
  classificationLabels: 'http://schemas.microsoft.com/office/2020/02/relationships/classificationlabels',
} as const;

export const CONTENT_TYPE = {
  customProperties: 'application/vnd.openxmlformats-officedocument.custom-properties+xml',
  labelInfo: 'application/vnd.ms-office.classificationlabels+xml',
  relationships: 'application/vnd.openxmlformats-package.relationships+xml',
  wordHeader: 'application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml',
  wordFooter: 'application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml',
} as const;

export interface Relationship {
  id: string;
  type: string;
  target: string;
  external: boolean;
  /** The target part name (no leading `/`), for internal relationships. */
  part: string | undefined;
}

/** Does a relationship type URI name this type (last segment, case-insensitive)? */
export function relTypeIs(type: string, wanted: string): boolean {
  const a = type.slice(type.lastIndexOf('/') + 1).toLowerCase();
  return a === wanted.slice(wanted.lastIndexOf('/') + 1).toLowerCase();
}

/** `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`; the package itself (``) → `_rels/.rels`. */
export function relsPartOf(part: string): string {
  if (part === '') return '_rels/.rels';
  const dir = posix.dirname(part);
  return `${dir === '.' ? '' : `${dir}/`}_rels/${posix.basename(part)}.rels`;
}

export function resolveTarget(sourcePart: string, target: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(target.split('#', 1)[0]!);
  } catch {
    return undefined;
  }
  if (decoded === '') return undefined;
  const base = sourcePart === '' ? '/' : `/${posix.dirname(sourcePart)}/`;
  const resolved = posix.normalize(decoded.startsWith('/') ? decoded : `${base}${decoded}`);
  return resolved.startsWith('/') ? resolved.slice(1) : resolved;
}

function kindOf(contentType: string | undefined): OoxmlKind | undefined {
  const t = (contentType ?? '').toLowerCase();
  if (t.includes('spreadsheetml') || t.includes('ms-excel')) return 'xlsx';
  if (t.includes('wordprocessingml') || t.includes('ms-word')) return 'docx';
  if (t.includes('presentationml') || t.includes('ms-powerpoint')) return 'pptx';
  return undefined;
}

const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** An OLE compound file where a package was expected: an encrypted Office file, or a legacy binary one. */
function refuseCompoundFile(bytes: Buffer): never {
  if (bytes.includes(Buffer.from('EncryptionInfo', 'utf16le'))) {
    throw new LabelgateError(
      'FORMAT_ENCRYPTED',
      'the Office file is encrypted (password or rights-management protection); it cannot be labeled without decrypting it first',
    );
  }
  throw new LabelgateError('FORMAT_UNSUPPORTED', 'this is a legacy binary Office file (.xls/.doc/.ppt), not an OOXML package; save it as .xlsx/.docx/.pptx');
}

export class OoxmlPackage {
  readonly zip: ZipArchive;
  readonly limits: FormatLimits;
  readonly contentTypesXml: string;
  private readonly defaults = new Map<string, string>();
  private readonly overrides = new Map<string, string>();
  private readonly relsCache = new Map<string, Relationship[]>();
  readonly rootRels: Relationship[];
  readonly mainPart: string | undefined;
  readonly kind: OoxmlKind | undefined;

  constructor(bytes: Buffer, limits: FormatLimits) {
    if (bytes.subarray(0, 8).equals(CFB_MAGIC)) refuseCompoundFile(bytes);
    if (!isZip(bytes)) throw new LabelgateError('FORMAT_MALFORMED', 'not an OOXML package: the file does not start with a ZIP header');
    this.zip = readZip(bytes, limits);
    this.limits = limits;
    const ct = this.xml('[Content_Types].xml');
    if (ct === undefined) throw new LabelgateError('FORMAT_MALFORMED', 'not an OOXML package: [Content_Types].xml is missing');
    this.contentTypesXml = ct;
    scanXml(
      ct,
      {
        open: (name, raw) => {
          const el = localName(name);
          if (el !== 'Default' && el !== 'Override') return;
          const attrs = parseAttrs(raw);
          const type = attrs.get('ContentType');
          if (!type) return;
          if (el === 'Default' && attrs.get('Extension')) this.defaults.set(attrs.get('Extension')!.toLowerCase(), type);
          if (el === 'Override' && attrs.get('PartName')) this.overrides.set(attrs.get('PartName')!.toLowerCase(), type);
        },
      },
      '[Content_Types].xml',
    );
    this.rootRels = this.rels('');
    const main = this.rootRels.find((r) => relTypeIs(r.type, REL_TYPE.officeDocument) && r.part);
    this.mainPart = main?.part;
    this.kind = this.mainPart ? kindOf(this.contentType(this.mainPart)) : undefined;
  }

  has(part: string): boolean {
    return findEntry(this.zip, part) !== undefined;
  }

  contentType(part: string): string | undefined {
    const lower = part.toLowerCase();
    return this.overrides.get(`/${lower}`) ?? this.defaults.get(posix.extname(lower).slice(1));
  }

  /** A part's bytes, capped at the XML size limit. */
  bytes(part: string): Buffer | undefined {
    const entry = findEntry(this.zip, part);
    return entry ? inflateEntry(this.zip, entry, this.limits.maxXmlBytes) : undefined;
  }

  xml(part: string): string | undefined {
    const bytes = this.bytes(part);
    return bytes ? decodeXmlBytes(bytes) : undefined;
  }

  /** A large part as decoded text chunks (sheet data), capped at the XML size limit. */
  async *xmlChunks(part: string): AsyncGenerator<string> {
    const entry = findEntry(this.zip, part);
    if (!entry) return;
    const decoder = new TextDecoder('utf-8');
    for await (const chunk of inflateEntryChunks(this.zip, entry, this.limits.maxXmlBytes)) yield decoder.decode(chunk, { stream: true });
    const rest = decoder.decode();
    if (rest) yield rest;
  }

  /** Relationships of a part (`''` for the package). */
  rels(part: string): Relationship[] {
    const cached = this.relsCache.get(part);
    if (cached) return cached;
    const relsPart = relsPartOf(part);
    const xml = this.xml(relsPart);
    const out: Relationship[] = [];
    if (xml !== undefined) {
      scanXml(
        xml,
        {
          open: (name, raw) => {
            if (localName(name) !== 'Relationship') return;
            const a = parseAttrs(raw);
            const id = attrByLocalName(a, 'Id');
            const type = attrByLocalName(a, 'Type');
            const target = attrByLocalName(a, 'Target');
            if (!id || !type || target === undefined) return;
            const external = (attrByLocalName(a, 'TargetMode') ?? '').toLowerCase() === 'external';
            out.push({ id, type, target, external, part: external ? undefined : resolveTarget(part, target) });
          },
        },
        relsPart,
      );
    }
    this.relsCache.set(part, out);
    return out;
  }

  relsOfType(part: string, type: string): Relationship[] {
    return this.rels(part).filter((r) => !r.external && r.part && relTypeIs(r.type, type));
  }
}

const cache = new WeakMap<SourceBody, Promise<OoxmlPackage>>();

/** Open (once per body) the package a body holds. */
export function openPackage(body: SourceBody, limits: FormatLimits): Promise<OoxmlPackage> {
  let pkg = cache.get(body);
  if (!pkg) {
    pkg = body.bytes().then((bytes) => new OoxmlPackage(bytes, limits));
    cache.set(body, pkg);
  }
  return pkg;
}
