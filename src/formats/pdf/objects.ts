/**
 * PDF objects (ISO 32000-1 §7.3): the model, a parser over the file's bytes, and a serializer.
 * Only what labelgate needs to read a document's structure and append an incremental update —
 * content streams are never interpreted. Nesting depth is capped so a hostile file cannot blow the
 * stack.
 */
import { LabelgateError } from '../../errors.js';

export class PdfName {
  /** The decoded name, bytes as latin1 characters (`#xx` escapes resolved). */
  constructor(readonly value: string) {}
}

export class PdfString {
  constructor(
    readonly bytes: Buffer,
    readonly hex = false,
  ) {}

  /** A text string: UTF-16BE with BOM, UTF-8 with BOM (PDF 2.0), or PDFDocEncoding. */
  text(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      const swapped = Buffer.from(b.subarray(2, b.length - (b.length % 2)));
      return swapped.swap16().toString('utf16le');
    }
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.toString('utf8', 3);
    let out = '';
    for (const byte of b) out += String.fromCharCode(PDF_DOC_HIGH[byte - 0x80] ?? byte);
    return out;
  }

  /** Printable ASCII as is; anything else as UTF-16BE with BOM. */
  static fromText(text: string): PdfString {
    if (/^[\x20-\x7e]*$/.test(text)) return new PdfString(Buffer.from(text, 'latin1'));
    const utf16 = Buffer.from(text, 'utf16le').swap16();
    return new PdfString(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16]), true);
  }
}

/** PDFDocEncoding 0x80–0x9F (ISO 32000-1 Annex D), as Unicode code units. */
const PDF_DOC_HIGH = [
  0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203a, 0x2212, 0x2030, 0x201e, 0x201c, 0x201d, 0x2018,
  0x2019, 0x201a, 0x2122, 0xfb01, 0xfb02, 0x0141, 0x0152, 0x0160, 0x0178, 0x017d, 0x0131, 0x0142, 0x0153, 0x0161, 0x017e, 0xfffd,
];

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
}

export class PdfDict {
  constructor(readonly map: Map<string, PdfObject> = new Map()) {}
  get(key: string): PdfObject | undefined {
    return this.map.get(key);
  }
  set(key: string, value: PdfObject): this {
    this.map.set(key, value);
    return this;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  clone(): PdfDict {
    return new PdfDict(new Map(this.map));
  }
}

export class PdfStream {
  /** `data` is the stream as stored (still encoded by its filters). */
  constructor(
    readonly dict: PdfDict,
    readonly data: Buffer,
  ) {}
}

export type PdfObject = null | boolean | number | PdfName | PdfString | PdfRef | PdfObject[] | PdfDict | PdfStream;

export function malformed(message: string): never {
  throw new LabelgateError('FORMAT_MALFORMED', `PDF: ${message}`);
}

const MAX_DEPTH = 64;

const WS = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WS[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;

/** Resolves an indirect /Length while a stream is parsed. */
export type LengthResolver = (ref: PdfRef) => number | undefined;

export class PdfParser {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    private readonly resolveLength?: LengthResolver,
  ) {}

  skipWs(): void {
    const b = this.buf;
    while (this.pos < b.length) {
      const c = b[this.pos]!;
      if (WS[c]) this.pos++;
      else if (c === 0x25 /* % */) {
        while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
      } else break;
    }
  }

  /** A bare token (keyword or number) without consuming delimiters. */
  private token(): string {
    const b = this.buf;
    const start = this.pos;
    while (this.pos < b.length && !WS[b[this.pos]!] && !DELIM[b[this.pos]!]) this.pos++;
    return b.toString('latin1', start, this.pos);
  }

  keyword(): string {
    this.skipWs();
    return this.token();
  }

  expectKeyword(word: string): void {
    const got = this.keyword();
    if (got !== word) malformed(`expected "${word}" at byte ${this.pos - got.length}, found "${got.slice(0, 20)}"`);
  }

  /** An unsigned integer, or undefined (position restored). */
  int(): number | undefined {
    this.skipWs();
    const b = this.buf;
    let p = this.pos;
    let v = 0;
    while (p < b.length && b[p]! >= 0x30 && b[p]! <= 0x39 && p - this.pos < 15) v = v * 10 + (b[p++]! - 0x30);
    // Digits only, ending at a delimiter or whitespace.
    if (p === this.pos || (p < b.length && !WS[b[p]!] && !DELIM[b[p]!])) return undefined;
    this.pos = p;
    return v;
  }

  parseObject(depth = 0): PdfObject {
    if (depth > MAX_DEPTH) malformed('objects are nested too deeply');
    this.skipWs();
    const b = this.buf;
    if (this.pos >= b.length) malformed('unexpected end of file inside an object (truncated?)');
    const c = b[this.pos]!;
    if (c === 0x2f /* / */) return this.name();
    if (c === 0x28 /* ( */) return this.literalString();
    if (c === 0x3c /* < */) {
      if (b[this.pos + 1] === 0x3c) return this.dict(depth);
      return this.hexString();
    }
    if (c === 0x5b /* [ */) {
      this.pos++;
      const arr: PdfObject[] = [];
      for (;;) {
        this.skipWs();
        if (this.pos >= b.length) malformed('unterminated array (truncated?)');
        if (b[this.pos] === 0x5d /* ] */) {
          this.pos++;
          return arr;
        }
        arr.push(this.parseObject(depth + 1));
      }
    }
    const start = this.pos;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) {
      // Fast path for the commonest tokens: integers and `n g R` references.
      const n = this.int();
      if (n !== undefined) {
        const save = this.pos;
        const gen = this.int();
        if (gen !== undefined) {
          this.skipWs();
          if (b[this.pos] === 0x52 /* R */ && (this.pos + 1 >= b.length || WS[b[this.pos + 1]!] || DELIM[b[this.pos + 1]!])) {
            this.pos++;
            return new PdfRef(n, gen);
          }
        }
        this.pos = save;
        return n;
      }
    }
    const t = this.token();
    if (t === '') malformed(`unexpected character 0x${c.toString(16)} at byte ${start}`);
    if (t === 'true') return true;
    if (t === 'false') return false;
    if (t === 'null') return null;
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return Number(t);
    malformed(`unexpected token "${t.slice(0, 20)}" at byte ${start}`);
  }

  private name(): PdfName {
    const b = this.buf;
    this.pos++;
    const start = this.pos;
    while (this.pos < b.length && !WS[b[this.pos]!] && !DELIM[b[this.pos]!]) this.pos++;
    const raw = b.toString('latin1', start, this.pos);
    return new PdfName(raw.includes('#') ? raw.replace(/#([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : raw);
  }

  private literalString(): PdfString {
    const b = this.buf;
    this.pos++;
    const out: number[] = [];
    let nest = 1;
    while (this.pos < b.length) {
      const c = b[this.pos++]!;
      if (c === 0x5c /* \ */) {
        const e = b[this.pos++];
        if (e === undefined) break;
        const simple: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x66: 0x0c, 0x28: 0x28, 0x29: 0x29, 0x5c: 0x5c };
        if (simple[e] !== undefined) out.push(simple[e]!);
        else if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          for (let k = 0; k < 2 && b[this.pos]! >= 0x30 && b[this.pos]! <= 0x37; k++) v = v * 8 + (b[this.pos++]! - 0x30);
          out.push(v & 0xff);
        } else if (e === 0x0d) {
          if (b[this.pos] === 0x0a) this.pos++;
        } else if (e !== 0x0a) out.push(e);
      } else if (c === 0x28) {
        nest++;
        out.push(c);
      } else if (c === 0x29) {
        if (--nest === 0) return new PdfString(Buffer.from(out));
        out.push(c);
      } else if (c === 0x0d) {
        if (b[this.pos] === 0x0a) this.pos++;
        out.push(0x0a);
      } else out.push(c);
    }
    malformed('unterminated string (truncated?)');
  }

  private hexString(): PdfString {
    const b = this.buf;
    const end = b.indexOf(0x3e /* > */, this.pos);
    if (end === -1) malformed('unterminated hex string (truncated?)');
    let hex = b.toString('latin1', this.pos + 1, end).replace(/[\s\0]/g, '');
    if (!/^[0-9a-fA-F]*$/.test(hex)) malformed('invalid hex string');
    if (hex.length % 2) hex += '0';
    this.pos = end + 1;
    return new PdfString(Buffer.from(hex, 'hex'), true);
  }

  private dict(depth: number): PdfDict | PdfStream {
    const b = this.buf;
    this.pos += 2;
    const dict = new PdfDict();
    for (;;) {
      this.skipWs();
      if (this.pos >= b.length) malformed('unterminated dictionary (truncated?)');
      if (b[this.pos] === 0x3e && b[this.pos + 1] === 0x3e) {
        this.pos += 2;
        break;
      }
      if (b[this.pos] !== 0x2f) malformed(`dictionary key expected at byte ${this.pos}`);
      const key = this.name().value;
      dict.set(key, this.parseObject(depth + 1));
    }
    // A stream follows its dictionary directly.
    const save = this.pos;
    this.skipWs();
    if (b.toString('latin1', this.pos, this.pos + 6) !== 'stream') {
      this.pos = save;
      return dict;
    }
    this.pos += 6;
    if (b[this.pos] === 0x0d) this.pos++;
    if (b[this.pos] === 0x0a) this.pos++;
    const start = this.pos;
    const lengthObj = dict.get('Length');
    let length = typeof lengthObj === 'number' ? lengthObj : lengthObj instanceof PdfRef ? this.resolveLength?.(lengthObj) : undefined;
    if (length === undefined || length < 0 || start + length > b.length || !this.endstreamAt(start + length)) {
      // A wrong /Length is common in the wild: fall back to the keyword.
      const end = b.indexOf('endstream', start, 'latin1');
      if (end === -1) malformed('stream without "endstream" (truncated?)');
      length = end - start;
      if (length > 0 && b[start + length - 1] === 0x0a) length--;
      if (length > 0 && b[start + length - 1] === 0x0d) length--;
    }
    this.pos = start + length;
    const data = b.subarray(start, start + length);
    this.skipWs();
    if (b.toString('latin1', this.pos, this.pos + 9) === 'endstream') this.pos += 9;
    return new PdfStream(dict, data);
  }

  private endstreamAt(pos: number): boolean {
    let p = pos;
    while (p < this.buf.length && WS[this.buf[p]!]) p++;
    return this.buf.toString('latin1', p, p + 9) === 'endstream';
  }

  /** `num gen obj <object> [endobj]` at the current position. */
  indirectObject(): { num: number; gen: number; obj: PdfObject } {
    const num = this.int();
    const gen = this.int();
    if (num === undefined || gen === undefined) malformed(`no object header at byte ${this.pos}`);
    this.expectKeyword('obj');
    const obj = this.parseObject();
    return { num, gen, obj };
  }
}

// ---------------------------------------------------------------------------------------------
// Serialization
// ---------------------------------------------------------------------------------------------

const PLAIN_NAME = /^[A-Za-z0-9_.+*:,;!?@$&'"=~^`|-]*$/;

function nameText(value: string): string {
  if (PLAIN_NAME.test(value)) return `/${value}`;
  let out = '/';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i) & 0xff;
    out += code > 0x20 && code < 0x7f && !DELIM[code] && code !== 0x23 ? value[i] : `#${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) return '0';
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(6).replace(/\.?0+$/, '');
}

function stringText(s: PdfString): string {
  const b = s.bytes;
  if (!s.hex && b.every((c) => c >= 0x20 && c <= 0x7e)) return `(${b.toString('latin1').replace(/[()\\]/g, (c) => `\\${c}`)})`;
  return `<${b.toString('hex')}>`;
}

/** Serialize a non-stream object (bytes as latin1 characters). */
export function objectText(obj: PdfObject): string {
  if (obj === null) return 'null';
  if (typeof obj === 'boolean') return obj ? 'true' : 'false';
  if (typeof obj === 'number') return numberText(obj);
  if (obj instanceof PdfName) return nameText(obj.value);
  if (obj instanceof PdfString) return stringText(obj);
  if (obj instanceof PdfRef) return `${obj.num} ${obj.gen} R`;
  if (Array.isArray(obj)) return `[${obj.map(objectText).join(' ')}]`;
  if (obj instanceof PdfDict) {
    let out = '<<';
    for (const [k, v] of obj.map) out += `${nameText(k)} ${objectText(v)}`;
    return `${out}>>`;
  }
  throw new TypeError('streams cannot be direct objects');
}

/** `num gen obj … endobj` for an indirect object, streams included. */
export function indirectObjectBytes(ref: PdfRef, obj: PdfObject): Buffer {
  if (obj instanceof PdfStream) {
    const dict = obj.dict.clone().set('Length', obj.data.length);
    return Buffer.concat([
      Buffer.from(`${ref.num} ${ref.gen} obj\n${objectText(dict)}\nstream\n`, 'latin1'),
      obj.data,
      Buffer.from('\nendstream\nendobj\n', 'latin1'),
    ]);
  }
  return Buffer.from(`${ref.num} ${ref.gen} obj\n${objectText(obj)}\nendobj\n`, 'latin1');
}
