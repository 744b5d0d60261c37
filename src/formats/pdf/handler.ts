/**
 * The PDF format handler: label in the Info dictionary and XMP, markings on every page, all as one
 * incremental update; text for the classifier from pdf.js.
 */
import type { ApplyOptions, FormatContext, FormatHandler, SourceBody } from '../types.js';
import { PdfDocument } from './document.js';
import { infoPairs, pdfLabelPairs, xmpPairs } from './metadata.js';
import { budget } from '../budget.js';
import { stampPdf } from './stamp.js';
import { pdfText } from './text.js';

const cache = new WeakMap<SourceBody, Promise<PdfDocument>>();

/** Open (once per body) the document a body holds: checks structure, encryption and limits. */
export function openPdf(body: SourceBody, ctx: FormatContext): Promise<PdfDocument> {
  let doc = cache.get(body);
  if (!doc) {
    doc = body.bytes().then((bytes) => new PdfDocument(bytes, ctx.limits));
    cache.set(body, doc);
  }
  return doc;
}

export const pdfHandler: FormatHandler = {
  id: 'pdf',
  family: 'pdf',
  mediaTypes: ['application/pdf', 'application/x-pdf'],
  extensions: ['.pdf'],
  embedsLabel: true,
  // At the very start (after a BOM or whitespace at most): "%PDF-" later in the first KiB, which
  // viewers accept, is left to the content type or extension — a text report may quote it.
  sniff: (head: Buffer) => /^(?:\xef\xbb\xbf)?[\s\0]{0,16}%PDF-/.test(head.toString('latin1', 0, 32)),
  async *extractText(body: SourceBody, ctx: FormatContext) {
    const doc = await openPdf(body, ctx);
    const check = budget(ctx, 'PDF');
    // Our own walk first: it refuses cyclic trees and over-limit page counts before pdf.js sees the file.
    doc.pages(check);
    yield* pdfText(doc.bytes, ctx, check);
  },
  async readLabel(body: SourceBody, ctx: FormatContext) {
    return pdfLabelPairs(await openPdf(body, ctx));
  },
  async readLabelLocations(body: SourceBody, ctx: FormatContext) {
    const doc = await openPdf(body, ctx);
    return [
      { location: 'Info', metadata: infoPairs(doc) },
      { location: 'XMP', metadata: xmpPairs(doc) },
    ];
  },
  async apply(body: SourceBody, plan, options: ApplyOptions) {
    return stampPdf(await openPdf(body, options), plan, options);
  },
};
