/**
 * The format registry: every handler labelgate knows, and detection from content type, file name
 * and magic bytes. Adding a format = writing its handler module and listing it here.
 */
import { extname } from 'node:path';
import { csvHandler, jsonHandler, ndjsonHandler, plainTextHandler, tsvHandler } from './text.js';
import { OOXML_HANDLERS } from './ooxml/handler.js';
import { pdfHandler } from './pdf/handler.js';
import type { FormatHandler } from './types.js';

/** Binary handlers first: magic bytes are the most reliable signal. */
export const FORMAT_HANDLERS: readonly FormatHandler[] = [pdfHandler, ...OOXML_HANDLERS, csvHandler, tsvHandler, jsonHandler, ndjsonHandler, plainTextHandler];

export function handlerById(id: string): FormatHandler | undefined {
  return FORMAT_HANDLERS.find((h) => h.id === id);
}

/** `text/csv; charset=utf-8` → `text/csv`. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const t = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return t === '' ? undefined : t;
}

export interface DetectInput {
  contentType?: string | undefined;
  filename?: string | undefined;
  /** First bytes of the body, when available. */
  head?: Buffer | undefined;
}

/**
 * Pick a handler. Magic bytes win (a PDF served as application/octet-stream is still a PDF);
 * then the media type; then the file extension. Generic types (octet-stream, zip) defer to the
 * extension.
 */
export function detectFormat(input: DetectInput): FormatHandler | undefined {
  const media = mediaTypeOf(input.contentType);
  const ext = input.filename ? extname(input.filename).toLowerCase() : undefined;
  if (input.head && input.head.length > 0) {
    const sniffed = FORMAT_HANDLERS.filter((h) => h.sniff(input.head!));
    if (sniffed.length === 1) return sniffed[0];
    if (sniffed.length > 1) {
      // Several handlers share a container (OOXML zip): let the type or extension choose among them.
      return sniffed.find((h) => media && h.mediaTypes.includes(media)) ?? sniffed.find((h) => ext && h.extensions.includes(ext)) ?? sniffed[0];
    }
  }
  if (media && media !== 'application/octet-stream' && media !== 'application/zip') {
    const byType = FORMAT_HANDLERS.find((h) => h.mediaTypes.includes(media));
    if (byType) return byType;
  }
  if (ext) return FORMAT_HANDLERS.find((h) => h.extensions.includes(ext));
  return undefined;
}
