/**
 * Page text for the classifier, extracted by pdf.js (the same engine Firefox renders PDFs with),
 * page by page. pdf.js is ESM-only and large, so it is imported on first use; the CommonJS build
 * keeps the dynamic `import()`.
 *
 * Text items on a line are joined with a space where pdf.js saw a gap and with nothing where it
 * did not (a number drawn in two runs stays one number); lines end with a newline.
 */
import { LabelgateError } from '../../errors.js';
import type { FormatContext } from '../types.js';

interface Item {
  str?: string;
  hasEOL?: boolean;
  transform?: number[];
  width?: number;
  height?: number;
}

export function joinItems(items: readonly Item[]): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (typeof it.str !== 'string') continue;
    out += it.str;
    if (it.hasEOL) {
      out += '\n';
      continue;
    }
    const next = items[i + 1];
    const x = it.transform?.[4];
    const nx = next?.transform?.[4];
    if (next && typeof x === 'number' && typeof nx === 'number' && next.str) {
      const gap = nx - (x + (it.width ?? 0));
      const sameLine = Math.abs((next.transform?.[5] ?? 0) - (it.transform?.[5] ?? 0)) < Math.max(1, (it.height ?? 0) / 2);
      if (!sameLine) out += '\n';
      else if (gap > Math.max(0.5, (it.height ?? 0) * 0.15) && !it.str.endsWith(' ') && !next.str.startsWith(' ')) out += ' ';
    }
  }
  return `${out}\n`;
}

/** Yield the text of every page; `check` runs between pages (time budget, abort). */
export async function* pdfText(bytes: Buffer, ctx: FormatContext, check: () => void): AsyncGenerator<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  // pdf.js takes ownership of (and detaches) the array it is given: hand it a copy.
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  const timer = setTimeout(() => void task.destroy(), ctx.limits.parseTimeoutMs);
  try {
    let doc;
    try {
      doc = await task.promise;
    } catch (err) {
      check();
      const name = (err as { name?: string }).name;
      if (name === 'PasswordException') throw new LabelgateError('FORMAT_ENCRYPTED', 'the PDF is encrypted; decrypt it first');
      throw new LabelgateError('FORMAT_MALFORMED', `PDF: text extraction failed (${name ?? 'error'})`, { cause: err });
    }
    if (doc.numPages > ctx.limits.maxPdfPages) throw new LabelgateError('FORMAT_LIMIT', `PDF: more than ${ctx.limits.maxPdfPages} pages`);
    for (let n = 1; n <= doc.numPages; n++) {
      check();
      let text: string;
      try {
        const page = await doc.getPage(n);
        const content = await page.getTextContent();
        text = joinItems(content.items as Item[]);
        page.cleanup();
      } catch (err) {
        check();
        throw new LabelgateError('FORMAT_MALFORMED', `PDF: text extraction failed on page ${n}`, { cause: err });
      }
      yield text;
    }
  } finally {
    clearTimeout(timer);
    await task.destroy();
  }
}
