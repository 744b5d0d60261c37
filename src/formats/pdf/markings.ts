/**
 * Page markings for PDF: header, footer and watermark drawn on every page, each as a content
 * stream of its own appended to the page's /Contents, so that a later relabel can find and take
 * it off again. Each marking stream is tagged `/LabelgateMarking (<uiElementName>)` in its
 * dictionary and wrapped as a pagination artifact (`/Artifact <</Type /Pagination /Subtype …>>
 * BDC … EMC`) so that screen readers and tagged-PDF tools skip it. The page's original content is
 * bracketed by `q`/`Q` streams (tagged `/LabelgateWrapper`) so a page that leaves its graphics
 * state changed cannot move the marking.
 *
 * Text is drawn in the standard Helvetica font (no embedding), WinAnsi-encoded, at the action's
 * size, colour, alignment and margin, in the page's visible box and reading orientation (/Rotate).
 * Text with characters Helvetica cannot encode is not drawn, and ContentBits says so.
 */
import type { AddContentFooterAction, AddContentHeaderAction, AddWatermarkAction } from '../../graph-types.js';
import type { PdfPage } from './document.js';
import { PdfDict, PdfName, PdfString } from './objects.js';

export type Marking =
  | { kind: 'header'; action: AddContentHeaderAction }
  | { kind: 'footer'; action: AddContentFooterAction }
  | { kind: 'watermark'; action: AddWatermarkAction };

export const FONT_RESOURCE = 'LGHelv';
export const ALPHA_RESOURCE = 'LGAlpha';
export const MARKING_KEY = 'LabelgateMarking';
export const WRAPPER_KEY = 'LabelgateWrapper';
const WATERMARK_OPACITY = 0.3;

export interface HelveticaMetrics {
  /** WinAnsi bytes for the text, or undefined when a character cannot be encoded. */
  encode(text: string): Buffer | undefined;
  /** Width of WinAnsi-encoded text at size 1. */
  width(encoded: Buffer): number;
  capHeight: number;
}

let metrics: Promise<HelveticaMetrics> | undefined;

/** Helvetica widths and WinAnsi encoding, loaded on first use (the font data is ~1 MB of JS). */
export function helvetica(): Promise<HelveticaMetrics> {
  metrics ??= import('@cantoo/pdf-lib/standard-fonts').then(({ Font, FontNames, Encodings }) => {
    const font = Font.load(FontNames.Helvetica);
    const widths = new Float64Array(256);
    const names = new Map<number, string>();
    for (let cp = 0; cp <= 0xffff; cp++) {
      if (!Encodings.WinAnsi.canEncodeUnicodeCodePoint(cp)) continue;
      const { code, name } = Encodings.WinAnsi.encodeUnicodeCodePoint(cp);
      names.set(cp, name);
      widths[code] = (font.getWidthOfGlyph(name) ?? 500) / 1000;
    }
    return {
      encode(text: string) {
        const bytes: number[] = [];
        for (const ch of text) {
          const cp = ch.codePointAt(0)!;
          if (!names.has(cp)) return undefined;
          bytes.push(Encodings.WinAnsi.encodeUnicodeCodePoint(cp).code);
        }
        return Buffer.from(bytes);
      },
      width(encoded: Buffer) {
        let w = 0;
        for (const b of encoded) w += widths[b]!;
        return w;
      },
      capHeight: (font.CapHeight || 718) / 1000,
    };
  });
  return metrics;
}

/** The visual frame of a page: its width/height as displayed and the matrix from there to user space. */
export function pageFrame(page: PdfPage): { w: number; h: number; matrix: number[] } {
  const [llx, lly, urx, ury] = page.box;
  const w = urx - llx;
  const h = ury - lly;
  switch (page.rotate) {
    case 90:
      return { w: h, h: w, matrix: [0, 1, -1, 0, urx, lly] };
    case 180:
      return { w, h, matrix: [-1, 0, 0, -1, urx, ury] };
    case 270:
      return { w: h, h: w, matrix: [0, -1, 1, 0, llx, ury] };
    default:
      return { w, h, matrix: [1, 0, 0, 1, llx, lly] };
  }
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/\.?0+$/, ''));

function rgb(color: string | undefined): string {
  const m = /^#?([0-9a-fA-F]{6})$/.exec(color ?? '');
  const hex = m ? m[1]! : '000000';
  return [0, 2, 4].map((i) => fmt(parseInt(hex.slice(i, i + 2), 16) / 255)).join(' ');
}

/** The text lines of a marking, encoded; undefined when any line cannot be encoded. */
export function encodeLines(text: string, font: HelveticaMetrics): Buffer[] | undefined {
  const lines = text.split(/\r\n?|\n/).filter((l) => l !== '');
  const out: Buffer[] = [];
  for (const line of lines) {
    const enc = font.encode(line);
    if (!enc) return undefined;
    out.push(enc);
  }
  return out;
}

/** The content stream that draws one marking on a page of the given frame. */
export function markingContent(m: Marking, lines: Buffer[], frame: { w: number; h: number; matrix: number[] }, font: HelveticaMetrics): Buffer {
  const { w, h } = frame;
  const a = m.action;
  const subtype = m.kind === 'header' ? 'Header' : m.kind === 'footer' ? 'Footer' : 'Watermark';
  const ops: string[] = [`/Artifact <</Type /Pagination /Subtype /${subtype}>> BDC`, 'q', `${frame.matrix.map(fmt).join(' ')} cm`];
  let size = Math.max(1, a.fontSize || 10);
  const widest = Math.max(...lines.map((l) => font.width(l)), 0.001);
  if (m.kind === 'watermark') {
    ops.push(`/${ALPHA_RESOURCE} gs`);
    const diagonal = m.action.layout !== 'horizontal';
    const angle = diagonal ? Math.atan2(h, w) : 0;
    const room = (diagonal ? Math.hypot(w, h) : w) * 0.8;
    size = Math.min(size, room / widest);
    const leading = size * 1.2;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    lines.forEach((line, i) => {
      const tw = font.width(line) * size;
      // Line i of n, centred on the page centre along the text direction and across it.
      const across = (((lines.length - 1) / 2 - i) * leading) - (font.capHeight * size) / 2;
      const x = w / 2 - (tw / 2) * cos - across * sin;
      const y = h / 2 - (tw / 2) * sin + across * cos;
      ops.push(`BT /${FONT_RESOURCE} ${fmt(size)} Tf ${rgb(a.fontColor)} rg ${[cos, sin, -sin, cos, x, y].map(fmt).join(' ')} Tm <${line.toString('hex')}> Tj ET`);
    });
  } else {
    const margin = Math.max(0, m.action.margin ?? 5);
    const side = Math.max(margin, 10);
    size = Math.min(size, (w - 2 * side) / widest);
    const leading = size * 1.2;
    const align = m.action.alignment;
    lines.forEach((line, i) => {
      const tw = font.width(line) * size;
      const x = align === 'left' ? side : align === 'right' ? w - side - tw : (w - tw) / 2;
      const y =
        m.kind === 'header'
          ? h - margin - font.capHeight * size - i * leading
          : margin + size * 0.25 + (lines.length - 1 - i) * leading;
      ops.push(`BT /${FONT_RESOURCE} ${fmt(size)} Tf ${rgb(a.fontColor)} rg 1 0 0 1 ${fmt(x)} ${fmt(y)} Tm <${line.toString('hex')}> Tj ET`);
    });
  }
  ops.push('Q', 'EMC', '');
  return Buffer.from(ops.join('\n'), 'latin1');
}

export function markingStreamDict(uiElementName: string): PdfDict {
  return new PdfDict().set(MARKING_KEY, PdfString.fromText(uiElementName));
}

export function wrapperStreamDict(which: 'open' | 'close'): PdfDict {
  return new PdfDict().set(WRAPPER_KEY, new PdfName(which === 'open' ? 'Open' : 'Close'));
}

export function fontDict(): PdfDict {
  return new PdfDict()
    .set('Type', new PdfName('Font'))
    .set('Subtype', new PdfName('Type1'))
    .set('BaseFont', new PdfName('Helvetica'))
    .set('Encoding', new PdfName('WinAnsiEncoding'));
}

export function alphaDict(): PdfDict {
  return new PdfDict().set('Type', new PdfName('ExtGState')).set('ca', WATERMARK_OPACITY).set('CA', WATERMARK_OPACITY);
}
