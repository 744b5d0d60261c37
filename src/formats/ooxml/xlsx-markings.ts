/**
 * Workbook markings: the label's header/footer text goes into each worksheet's print header/footer
 * (`headerFooter`: oddHeader/oddFooter, plus even/first when the sheet uses them), in the section
 * of its alignment (&L, &C, &R) with its font, size and colour codes. Excel has no watermark.
 *
 * What we write is recognisable, so a later relabel can take it off: a segment
 * `&"<font>,Regular"&<size>&K<RRGGBB><text>` at the end of a section. Removal takes off the last
 * such segment of each section (and nothing else). Print headers are limited to 255 characters:
 * when the marking does not fit, it is not applied (and ContentBits says so).
 */
import type { AddContentFooterAction, AddContentHeaderAction } from '../../graph-types.js';
import { crc32, createDeflateRaw } from 'node:zlib';
import { decodeXmlText, escapeXmlText, localName, parseAttrs, scanXml } from '../xml/scan.js';
import type { DeflatedPart } from '../zip/write.js';

type Marking = AddContentHeaderAction | AddContentFooterAction;

export interface SheetMarkingPlan {
  header: Marking | undefined;
  footer: Marking | undefined;
  removeHeader: boolean;
  removeFooter: boolean;
}

export interface SheetMarkingResult {
  /** The new part, or undefined when nothing changed. */
  bytes: Buffer | undefined;
  header: boolean;
  footer: boolean;
}

const MAX_HEADER_CHARS = 255;
const CHILD_ORDER = ['oddHeader', 'oddFooter', 'evenHeader', 'evenFooter', 'firstHeader', 'firstFooter'] as const;
type Child = (typeof CHILD_ORDER)[number];
/** Elements that follow headerFooter in CT_Worksheet: a new headerFooter goes before the first of them. */
const AFTER_HEADER_FOOTER = new Set([
  'rowBreaks', 'colBreaks', 'customProperties', 'cellWatches', 'ignoredErrors', 'smartTags', 'drawing', 'legacyDrawing',
  'legacyDrawingHF', 'drawingHF', 'picture', 'oleObjects', 'controls', 'webPublishItems', 'tableParts', 'extLst',
]);

type Sections = { L: string; C: string; R: string };

/** Split a header/footer string into its left/centre/right sections (text before any code is centred). */
export function parseSections(s: string): Sections {
  const out: Sections = { L: '', C: '', R: '' };
  let current: keyof Sections = 'C';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '&' && i + 1 < s.length) {
      const code = s[i + 1]!;
      if (code === 'L' || code === 'C' || code === 'R') {
        current = code;
        i += 2;
        continue;
      }
      out[current] += ch + code;
      i += 2;
      continue;
    }
    out[current] += ch;
    i++;
  }
  return out;
}

export function formatSections(s: Sections): string {
  return (s.L ? `&L${s.L}` : '') + (s.C ? `&C${s.C}` : '') + (s.R ? `&R${s.R}` : '');
}

function colorCode(color: string | undefined): string {
  const hex = (color ?? '').replace(/^#/, '').toUpperCase();
  return /^[0-9A-F]{6}$/.test(hex) ? hex : '000000';
}

/** The segment labelgate writes for a marking. */
export function markingSegment(m: Marking): string {
  const font = (m.fontName || 'Calibri').replace(/["&]/g, '');
  const size = Math.min(409, Math.max(1, Math.round(m.fontSize || 10)));
  return `&"${font},Regular"&${size}&K${colorCode(m.fontColor)}${m.text.replace(/\r\n?/g, '\n').replace(/&/g, '&&')}`;
}

const OUR_SEGMENT = /(?:^|\n)&"[^"&]*,Regular"&\d{1,3}&K[0-9A-F]{6}(?:[^&]|&&)*$/;

function withoutMarking(section: string): string {
  return section.replace(OUR_SEGMENT, '');
}

function sectionOf(m: Marking): keyof Sections {
  return m.alignment === 'left' ? 'L' : m.alignment === 'right' ? 'R' : 'C';
}

/** Change one header or footer string; `undefined` when the result would exceed Excel's limit. */
function changeString(value: string, remove: boolean, add: Marking | undefined): string | undefined {
  const s = parseSections(value);
  if (remove) for (const k of ['L', 'C', 'R'] as const) s[k] = withoutMarking(s[k]);
  if (add) {
    const k = sectionOf(add);
    const segment = markingSegment(add);
    s[k] = s[k] ? `${s[k]}\n${segment}` : segment;
  }
  const out = formatSections(s);
  return out.length > MAX_HEADER_CHARS ? undefined : out;
}

interface Located {
  /** Existing headerFooter element span, or an empty span at the insertion point. */
  start: number;
  end: number;
  elementName: string;
  attrs: string;
  children: Map<Child, string>;
}

/** Find headerFooter (or where it belongs) in the tail of a worksheet that starts at depth `depth`. */
function locate(tail: string, depth: number, prefix: string): Located {
  let d = depth;
  let found: Located | undefined;
  let insertAt = -1;
  let child: Child | undefined;
  let text = '';
  let hfDepth = -1;
  scanXml(
    tail,
    {
      open(name, raw, selfClosing, start, end) {
        d++;
        const el = localName(name);
        if (d === 2 && el === 'headerFooter') {
          found = { start, end: selfClosing ? end : -1, elementName: name, attrs: raw, children: new Map() };
          hfDepth = d;
        } else if (d === 2 && insertAt === -1 && AFTER_HEADER_FOOTER.has(el)) {
          insertAt = start;
        } else if (found && d === hfDepth + 1 && (CHILD_ORDER as readonly string[]).includes(el)) {
          child = el as Child;
          text = '';
        }
      },
      close(name, start, end) {
        if (found && child && d === hfDepth + 1) {
          found.children.set(child, decodeXmlText(text));
          child = undefined;
        }
        if (found && d === hfDepth && localName(name) === 'headerFooter' && found.end === -1) found.end = end;
        if (d === 1 && insertAt === -1) insertAt = start; // the root's end tag
        d--;
      },
      text(raw) {
        if (child) text += raw;
      },
    },
    'worksheet',
  );
  if (found) return found;
  return { start: insertAt, end: insertAt, elementName: `${prefix}headerFooter`, attrs: '', children: new Map() };
}

const ROOT = /<([A-Za-z_][\w.-]*:)?worksheet\b/;

interface TailEdit {
  /** The new tail, or undefined when nothing changes. */
  tail: string | undefined;
  header: boolean;
  footer: boolean;
}

/** Edit the end of a worksheet (from `</sheetData>` at depth 2, or the whole part at depth 0). */
function editTail(tail: string, depth: number, prefix: string, plan: SheetMarkingPlan): TailEdit {
  const loc = locate(tail, depth, prefix);
  if (loc.start < 0) return { tail: undefined, header: false, footer: false };
  const attrs = parseAttrs(loc.attrs);
  const even = attrs.get('differentOddEven') === '1' || attrs.get('differentOddEven') === 'true';
  const first = attrs.get('differentFirst') === '1' || attrs.get('differentFirst') === 'true';
  const children = new Map(loc.children);
  let header = !!plan.header;
  let footer = !!plan.footer;
  const targets: Array<readonly [Child, 'header' | 'footer']> = [
    ['oddHeader', 'header'],
    ['oddFooter', 'footer'],
    ...(even ? ([['evenHeader', 'header'], ['evenFooter', 'footer']] as const) : []),
    ...(first ? ([['firstHeader', 'header'], ['firstFooter', 'footer']] as const) : []),
  ];
  for (const [child, kind] of targets) {
    const add = kind === 'header' ? plan.header : plan.footer;
    const remove = kind === 'header' ? plan.removeHeader : plan.removeFooter;
    if (!add && !remove) continue;
    const next = changeString(children.get(child) ?? '', remove, add);
    if (next === undefined) {
      if (kind === 'header') header = false;
      else footer = false;
      // Still take our old marking off, even when the new one does not fit.
      const cleared = changeString(children.get(child) ?? '', remove, undefined);
      if (cleared !== undefined) children.set(child, cleared);
      continue;
    }
    children.set(child, next);
  }
  const name = loc.elementName;
  const childPrefix = name.includes(':') ? name.slice(0, name.indexOf(':') + 1) : '';
  const inner = CHILD_ORDER.filter((c) => children.get(c))
    .map((c) => `<${childPrefix}${c}>${escapeXmlText(children.get(c)!)}</${childPrefix}${c}>`)
    .join('');
  const hadElement = loc.end > loc.start;
  if (!hadElement && inner === '') return { tail: undefined, header, footer };
  const element = `<${name}${loc.attrs.trimEnd() ? ` ${loc.attrs.trim()}` : ''}>${inner}</${name}>`;
  const newTail = tail.slice(0, loc.start) + element + tail.slice(loc.end);
  return { tail: newTail === tail ? undefined : newTail, header, footer };
}

/** The namespace prefix of a worksheet's root element (`''` or `x:`), from its first bytes; undefined if not a UTF-8 worksheet. */
function rootPrefix(head: Buffer): string | undefined {
  // UTF-16 parts are left alone (we splice UTF-8 bytes); Excel writes UTF-8.
  if (head[0] === 0xff || head[0] === 0xfe) return undefined;
  const root = ROOT.exec(head.subarray(0, 4096).toString('utf8'));
  return root ? (root[1] ?? '') : undefined;
}

/** Apply header/footer markings to one worksheet part held in memory. */
export function markWorksheet(bytes: Buffer, plan: SheetMarkingPlan): SheetMarkingResult {
  const prefix = rootPrefix(bytes);
  if (prefix === undefined) return { bytes: undefined, header: false, footer: false };
  const at = bytes.lastIndexOf(Buffer.from(`</${prefix}sheetData>`));
  const tailStart = at >= 0 ? at : 0;
  const edit = editTail(bytes.toString('utf8', tailStart), at >= 0 ? 2 : 0, prefix, plan);
  const out = edit.tail === undefined ? undefined : Buffer.concat([bytes.subarray(0, tailStart), Buffer.from(edit.tail, 'utf8')]);
  return { bytes: out, header: edit.header, footer: edit.footer };
}

/** How much of the end of a streamed sheet is held back to find `</sheetData>` in. */
const TAIL_WINDOW = 4 * 1024 * 1024;

export interface StreamedSheetResult {
  deflated: DeflatedPart | undefined;
  header: boolean;
  footer: boolean;
}

/**
 * Apply markings to a large worksheet without holding it twice: the part is inflated and deflated
 * again as one stream (both on the libuv thread pool, in parallel), holding back only the last
 * few megabytes, where `headerFooter` goes. Returns undefined when the end of the sheet after
 * `</sheetData>` is larger than that window (then the caller edits the part in memory).
 */
export async function markWorksheetStreaming(chunks: AsyncIterable<Buffer>, plan: SheetMarkingPlan): Promise<StreamedSheetResult | undefined> {
  const deflater = createDeflateRaw({ level: 1, chunkSize: 256 * 1024 });
  const compressed: Buffer[] = [];
  deflater.on('data', (c: Buffer) => compressed.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    deflater.on('end', resolve);
    deflater.on('error', reject);
  });
  const held: Buffer[] = [];
  let heldBytes = 0;
  let size = 0;
  let crc = 0;
  let prefix: string | undefined;
  const emit = (buf: Buffer) => {
    size += buf.length;
    crc = crc32(buf, crc);
    if (!deflater.write(buf)) return new Promise<void>((resolve) => deflater.once('drain', resolve));
    return undefined;
  };
  try {
    for await (const chunk of chunks) {
      if (prefix === undefined) {
        prefix = rootPrefix(chunk);
        if (prefix === undefined) return undefined;
      }
      held.push(chunk);
      heldBytes += chunk.length;
      // Pass on the oldest chunks as soon as the newer ones fill the window (no copying).
      while (held.length > 1 && heldBytes - held[0]!.length >= TAIL_WINDOW) {
        const oldest = held.shift()!;
        heldBytes -= oldest.length;
        await emit(oldest);
      }
    }
    const window = Buffer.concat(held);
    const at = window.lastIndexOf(Buffer.from(`</${prefix ?? ''}sheetData>`));
    if (at < 0) return undefined;
    const edit = editTail(window.toString('utf8', at), 2, prefix ?? '', plan);
    if (edit.tail === undefined) return { deflated: undefined, header: edit.header, footer: edit.footer };
    await emit(window.subarray(0, at));
    await emit(Buffer.from(edit.tail, 'utf8'));
    deflater.end();
    await finished;
    return { deflated: { deflated: Buffer.concat(compressed), crc32: crc >>> 0, size }, header: edit.header, footer: edit.footer };
  } finally {
    deflater.destroy();
  }
}
