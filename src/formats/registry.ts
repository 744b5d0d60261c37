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
 * Does the declared media type say "text"? Then the body is text whatever its first bytes look
 * like: a CSV export whose first cell is user input starting with `%PDF-` or `PK\x03\x04` is still
 * a CSV (and must be scanned as one, not rejected as a broken PDF or zip).
 */
function declaresText(media: string): boolean {
  if (media.startsWith('text/') || media.endsWith('+json')) return true;
  return FORMAT_HANDLERS.some((h) => h.family === 'text' && h.mediaTypes.includes(media));
}

/** Media types that say nothing about the format. */
const GENERIC_MEDIA = new Set(['application/octet-stream', 'application/zip', 'binary/octet-stream', 'application/x-zip-compressed']);

/**
 * Pick a handler. A declared text type (text/csv, text/tab-separated-values, text/plain,
 * application/json, NDJSON, any `text/*` or `+json`) wins over magic bytes. Otherwise magic bytes
 * win (a PDF served as application/octet-stream, or with no type, is still a PDF); then the media
 * type; then the file extension. Generic types (octet-stream, zip) defer to the extension.
 */
export function detectFormat(input: DetectInput): FormatHandler | undefined {
  const media = mediaTypeOf(input.contentType);
  const ext = input.filename ? extname(input.filename).toLowerCase() : undefined;
  if (media && declaresText(media)) {
    return FORMAT_HANDLERS.find((h) => h.mediaTypes.includes(media)) ?? (media.endsWith('+json') ? handlerById('json') : undefined) ?? textByExtension(ext);
  }
  if (input.head && input.head.length > 0) {
    const sniffed = FORMAT_HANDLERS.filter((h) => h.sniff(input.head!));
    if (sniffed.length === 1) return sniffed[0];
    if (sniffed.length > 1) {
      // Several handlers share a container (OOXML zip): let the type or extension choose among them.
      return sniffed.find((h) => media && h.mediaTypes.includes(media)) ?? sniffed.find((h) => ext && h.extensions.includes(ext)) ?? sniffed[0];
    }
  }
  if (media && !GENERIC_MEDIA.has(media)) {
    const byType = FORMAT_HANDLERS.find((h) => h.mediaTypes.includes(media));
    if (byType) return byType;
  }
  if (ext) return FORMAT_HANDLERS.find((h) => h.extensions.includes(ext));
  return undefined;
}

/**
 * The text handler a response's declared media type selects (`text/csv`, `application/json`…),
 * which no content can change (a declared text type wins over magic bytes); undefined for any
 * other type, or a generic one that only the content or the file name could resolve.
 */
export function declaredTextHandler(contentType: string | undefined, filename: string | undefined): FormatHandler | undefined {
  const media = mediaTypeOf(contentType);
  if (!media || !declaresText(media)) return undefined;
  const handler = detectFormat({ contentType, filename });
  return handler?.family === 'text' ? handler : undefined;
}

/** A text type the registry has no handler for (text/markdown): a text handler by extension, if any. */
function textByExtension(ext: string | undefined): FormatHandler | undefined {
  return ext ? FORMAT_HANDLERS.find((h) => h.family === 'text' && h.extensions.includes(ext)) : undefined;
}
