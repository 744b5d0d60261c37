/**
 * A small pull scanner for the XML that OOXML packages and XMP packets contain.
 *
 * Why not a DOM or a general parser: sheet parts run to tens of megabytes (scanned as a stream,
 * never held as a tree), edits must keep every byte we do not touch (we splice by offset), and
 * hostile input must not expand: any DOCTYPE is refused (Office and XMP writers never emit one),
 * so no entity can be declared; only the five predefined entities and character references are
 * decoded. Namespaces are not resolved: callers match local names, which is what Office readers do
 * in practice for the vocabularies involved.
 */
import { LabelgateError } from '../../errors.js';

export interface XmlEvents {
  /** A start tag or empty-element tag. `attrs` is the raw attribute text; offsets span the tag. */
  open?(name: string, attrs: string, selfClosing: boolean, start: number, end: number): void;
  /** An end tag; offsets span the tag. */
  close?(name: string, start: number, end: number): void;
  /** Character data, raw: entity references are not decoded (see `decodeXmlText`). CDATA content is passed as is. */
  text?(raw: string, cdata: boolean): void;
}

function refuseDoctype(where: string): never {
  throw new LabelgateError(
    'FORMAT_MALFORMED',
    `${where} declares a DOCTYPE; labelgate refuses DTDs in document XML (no Office or XMP writer emits one, and they enable entity-expansion attacks)`,
  );
}

function incomplete(where: string): never {
  throw new LabelgateError('FORMAT_MALFORMED', `${where} is not well-formed XML (unterminated markup)`);
}

/**
 * Scan `s` from `from`. With `final` false, an incomplete construct at the end is left unconsumed
 * and its offset returned (streaming); with `final` true it is an error. Returns the offset up to
 * which input was consumed.
 */
export function scanXml(s: string, events: XmlEvents, where: string, from = 0, final = true): number {
  const n = s.length;
  let i = from;
  while (i < n) {
    const lt = s.indexOf('<', i);
    if (lt === -1) {
      if (!final) {
        // Hold back a partial entity reference so it is never split across two text events.
        const amp = s.lastIndexOf('&');
        const keep = amp >= i && s.indexOf(';', amp) === -1 ? amp : n;
        if (keep > i) events.text?.(s.slice(i, keep), false);
        return keep;
      }
      events.text?.(s.slice(i), false);
      return n;
    }
    if (lt > i) events.text?.(s.slice(i, lt), false);
    const c = s.charCodeAt(lt + 1);
    if (Number.isNaN(c)) {
      if (final) incomplete(where);
      return lt;
    }
    if (c === 0x2f /* / */) {
      const gt = s.indexOf('>', lt + 2);
      if (gt === -1) {
        if (final) incomplete(where);
        return lt;
      }
      events.close?.(s.slice(lt + 2, gt).trim(), lt, gt + 1);
      i = gt + 1;
    } else if (c === 0x3f /* ? */) {
      const end = s.indexOf('?>', lt + 2);
      if (end === -1) {
        if (final) incomplete(where);
        return lt;
      }
      i = end + 2;
    } else if (c === 0x21 /* ! */) {
      if (s.startsWith('<!--', lt)) {
        const end = s.indexOf('-->', lt + 4);
        if (end === -1) {
          if (final) incomplete(where);
          return lt;
        }
        i = end + 3;
      } else if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt + 9);
        if (end === -1) {
          if (final) incomplete(where);
          return lt;
        }
        events.text?.(s.slice(lt + 9, end), true);
        i = end + 3;
      } else if (n - lt < 9 && !final) {
        return lt;
      } else {
        // <!DOCTYPE, <!ENTITY, <!ELEMENT …: all DTD syntax.
        refuseDoctype(where);
      }
    } else {
      // Start tag: find the closing '>' outside quoted attribute values.
      let j = lt + 1;
      let gt = -1;
      while (j < n) {
        const ch = s.charCodeAt(j);
        if (ch === 0x3e /* > */) {
          gt = j;
          break;
        }
        if (ch === 0x22 || ch === 0x27) {
          const q = s.indexOf(ch === 0x22 ? '"' : "'", j + 1);
          if (q === -1) break;
          j = q + 1;
        } else {
          j++;
        }
      }
      if (gt === -1) {
        if (final) incomplete(where);
        return lt;
      }
      const selfClosing = s.charCodeAt(gt - 1) === 0x2f;
      const bodyEnd = selfClosing ? gt - 1 : gt;
      let k = lt + 1;
      while (k < bodyEnd) {
        const ch = s.charCodeAt(k);
        if (ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d) break;
        k++;
      }
      events.open?.(s.slice(lt + 1, k), s.slice(k, bodyEnd), selfClosing, lt, gt + 1);
      if (selfClosing) events.close?.(s.slice(lt + 1, k), gt + 1, gt + 1);
      i = gt + 1;
    }
  }
  return n;
}

/** Scans XML that arrives in chunks (a part inflated as a stream). Offsets are not meaningful. */
export class XmlStreamScanner {
  private carry = '';
  constructor(
    private readonly events: XmlEvents,
    private readonly where: string,
  ) {}

  feed(chunk: string): void {
    const s = this.carry === '' ? chunk : this.carry + chunk;
    const used = scanXml(s, this.events, this.where, 0, false);
    this.carry = used < s.length ? s.slice(used) : '';
  }

  end(): void {
    if (this.carry !== '') scanXml(this.carry, this.events, this.where, 0, true);
    this.carry = '';
  }
}

/** `w:t` → `t`. */
export function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

/** `w:t` → `w`; `t` → ``. */
export function prefixOf(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? '' : qname.slice(0, colon);
}

const ENTITY = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeRef(whole: string, ref: string): string {
  if (ref.charCodeAt(0) === 0x23 /* # */) {
    const code = ref.charCodeAt(1) === 0x78 ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
  }
  return NAMED[ref] ?? whole;
}

/** Decode the predefined entities and character references (nothing else exists without a DTD). */
export function decodeXmlText(raw: string): string {
  return raw.indexOf('&') === -1 ? raw : raw.replace(ENTITY, decodeRef);
}

const ATTR = /([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** Attributes of a start tag (raw text from `open`), values decoded, names as written. */
export function parseAttrs(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  if (raw.trim() === '') return out;
  for (const m of raw.matchAll(ATTR)) out.set(m[1]!, decodeXmlText(m[2] ?? m[3] ?? ''));
  return out;
}

/**
 * One attribute of a start tag's raw text, without parsing the others (hot paths: the `t` of
 * every sheet cell). Falls back to `parseAttrs` for unusual spacing around `=`.
 */
export function attrValue(raw: string, name: string): string | undefined {
  const key = `${name}=`;
  for (let i = raw.indexOf(key); i !== -1; i = raw.indexOf(key, i + 1)) {
    const before = raw.charCodeAt(i - 1);
    if (i > 0 && before !== 0x20 && before !== 0x09 && before !== 0x0a && before !== 0x0d) continue;
    const quote = raw[i + key.length];
    if (quote !== '"' && quote !== "'") break;
    const end = raw.indexOf(quote, i + key.length + 1);
    if (end === -1) break;
    return decodeXmlText(raw.slice(i + key.length + 1, end));
  }
  return raw.includes(name) ? parseAttrs(raw).get(name) : undefined;
}

/** An attribute by local name (`r:id` matches `id` only when asked for `r:id` or the local name is unique). */
export function attrByLocalName(attrs: Map<string, string>, local: string): string | undefined {
  for (const [name, value] of attrs) if (localName(name) === local && !name.startsWith('xmlns')) return value;
  return undefined;
}

export function escapeXmlText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;')).replace(INVALID_XML_CHARS, '');
}

export function escapeXmlAttr(text: string): string {
  return text
    .replace(/[&<>"\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[c]!)
    .replace(INVALID_XML_CHARS, '');
}

/** Characters XML 1.0 cannot carry at all (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/F). */
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The namespace prefix a root element binds to `uri` (`''` for the default namespace), if any. */
export function prefixForNamespace(rootAttrs: Map<string, string>, uri: string): string | undefined {
  for (const [name, value] of rootAttrs) {
    if (value !== uri) continue;
    if (name === 'xmlns') return '';
    if (name.startsWith('xmlns:')) return name.slice(6);
  }
  return undefined;
}

/** Decode an XML part's bytes: UTF-8 (with or without BOM) or UTF-16 with BOM. */
export function decodeXmlBytes(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return bytes.toString('utf8', start);
}
