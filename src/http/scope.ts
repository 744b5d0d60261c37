/**
 * The in-scope decision, made once per response at `writeHead` time (Express) or after the
 * handler (Koa), from the status, method, content type, `Content-Disposition` and route options.
 * Out-of-scope responses are never touched or buffered.
 */
import { extname } from 'node:path';
import { LabelgateError } from '../errors.js';
import { handlerById, mediaTypeOf } from '../formats/registry.js';

interface KnownFormat {
  mediaTypes: readonly string[];
  extensions: readonly string[];
}

/**
 * Report formats by id. The registry's handlers add their own media types and extensions (so a
 * newly registered handler widens its format automatically); this table makes PDF and OOXML
 * selectable before their handlers exist.
 */
const KNOWN_FORMATS: Readonly<Record<string, KnownFormat>> = {
  csv: { mediaTypes: ['text/csv', 'application/csv'], extensions: ['.csv'] },
  tsv: { mediaTypes: ['text/tab-separated-values'], extensions: ['.tsv', '.tab'] },
  json: { mediaTypes: ['application/json'], extensions: ['.json'] },
  ndjson: { mediaTypes: ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines'], extensions: ['.ndjson', '.jsonl'] },
  text: { mediaTypes: ['text/plain'], extensions: ['.txt', '.text', '.log'] },
  pdf: { mediaTypes: ['application/pdf'], extensions: ['.pdf'] },
  xlsx: {
    mediaTypes: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/vnd.ms-excel.sheet.macroenabled.12'],
    extensions: ['.xlsx', '.xlsm'],
  },
  docx: {
    mediaTypes: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.ms-word.document.macroenabled.12'],
    extensions: ['.docx', '.docm'],
  },
  pptx: {
    mediaTypes: ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'application/vnd.ms-powerpoint.presentation.macroenabled.12'],
    extensions: ['.pptx', '.pptm'],
  },
};

const ALIASES: Readonly<Record<string, readonly string[]>> = { ooxml: ['xlsx', 'docx', 'pptx'], office: ['xlsx', 'docx', 'pptx'] };

/** Media types that say nothing about the format: the file name decides. */
const GENERIC_MEDIA = new Set(['application/octet-stream', 'application/zip', 'binary/octet-stream', 'application/x-zip-compressed']);

export interface FormatScope {
  /** `*`: every content type. */
  readonly any: boolean;
  readonly mediaTypes: ReadonlySet<string>;
  readonly extensions: ReadonlySet<string>;
  /** `json` selected: `+json` structured-syntax suffixes count too. */
  readonly jsonSuffix: boolean;
  readonly selectors: readonly string[];
}

export function compileFormatScope(selectors: readonly string[], where: string): FormatScope {
  if (!Array.isArray(selectors) || selectors.some((s) => typeof s !== 'string')) {
    throw new LabelgateError('INPUT_INVALID', `${where}: expected a list of formats such as ['csv', 'pdf', 'ooxml']`);
  }
  const mediaTypes = new Set<string>();
  const extensions = new Set<string>();
  let any = false;
  const add = (id: string) => {
    const known = KNOWN_FORMATS[id];
    const handler = handlerById(id);
    if (!known && !handler) return false;
    for (const m of [...(known?.mediaTypes ?? []), ...(handler?.mediaTypes ?? [])]) mediaTypes.add(m);
    for (const e of [...(known?.extensions ?? []), ...(handler?.extensions ?? [])]) extensions.add(e);
    return true;
  };
  for (const raw of selectors) {
    const s = raw.trim().toLowerCase();
    if (s === '*') any = true;
    else if (s.includes('/')) mediaTypes.add(mediaTypeOf(s) ?? s);
    else if (ALIASES[s]) ALIASES[s]!.forEach(add);
    else if (!add(s)) {
      throw new LabelgateError(
        'INPUT_INVALID',
        `${where}: unknown format "${raw}" (use ${[...Object.keys(KNOWN_FORMATS), ...Object.keys(ALIASES)].join(', ')}, a media type, or *)`,
      );
    }
  }
  return { any, mediaTypes, extensions, jsonSuffix: mediaTypes.has('application/json'), selectors: [...selectors] };
}

/** All extensions of a scope (for guessing from a URL whether a request fetches a report). */
export function scopeHasExtension(scope: FormatScope, ext: string): boolean {
  return scope.any || scope.extensions.has(ext);
}

export interface Disposition {
  attachment: boolean;
  filename: string | undefined;
}

const DISPOSITION_PARAM = /;\s*([A-Za-z0-9!#$&+.^_`|~*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;

/**
 * Parse `Content-Disposition` (RFC 6266): the type and the file name, `filename*` (RFC 8187,
 * UTF-8 or ISO-8859-1) preferred over `filename`. Only the last path segment of a name is kept.
 */
export function parseDisposition(value: string | undefined): Disposition {
  if (!value) return { attachment: false, filename: undefined };
  const type = value.split(';', 1)[0]!.trim().toLowerCase();
  let plain: string | undefined;
  let extended: string | undefined;
  for (const m of value.matchAll(DISPOSITION_PARAM)) {
    const key = m[1]!.toLowerCase();
    let v = m[2]!.trim();
    if (key === 'filename') {
      if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
      plain = v;
    } else if (key === 'filename*') {
      const ext = /^(utf-8|iso-8859-1)'[^']*'(.*)$/i.exec(v);
      if (ext) {
        try {
          extended =
            ext[1]!.toLowerCase() === 'utf-8'
              ? decodeURIComponent(ext[2]!)
              : ext[2]!.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
        } catch {
          // Malformed percent-encoding: fall back to the plain name.
        }
      }
    }
  }
  const name = extended ?? plain;
  const base = name?.split(/[\\/]/).pop()?.trim();
  return { attachment: type === 'attachment', filename: base === '' ? undefined : base };
}

/** The last path segment of a URL path when it looks like a file name (`/r/orders.csv` → `orders.csv`). */
export function filenameFromPath(path: string): string | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (last === '' || !last.includes('.')) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

export interface ScopeInput {
  method: string;
  status: number;
  contentType: string | undefined;
  disposition: string | undefined;
  /** URL path, for a file name when the response has none. */
  path: string;
}

export type ScopeDecision =
  | { inScope: false; reason: string }
  | { inScope: true; filename: string | undefined; attachment: boolean; partial: boolean };

export interface ScopeRoute {
  enabled: boolean;
  configured: boolean;
  formats: FormatScope;
  attachments: boolean;
}

function formatMatches(scope: FormatScope, media: string | undefined, filename: string | undefined): boolean {
  if (scope.any) return true;
  if (media && !GENERIC_MEDIA.has(media)) {
    return scope.mediaTypes.has(media) || (scope.jsonSuffix && media.endsWith('+json'));
  }
  const ext = filename ? extname(filename).toLowerCase() : '';
  return ext !== '' && scope.extensions.has(ext);
}

const OUT = {
  disabled: Object.freeze({ inScope: false, reason: 'route disabled' }),
  unconfigured: Object.freeze({ inScope: false, reason: 'route not configured' }),
  head: Object.freeze({ inScope: false, reason: 'HEAD' }),
  status: Object.freeze({ inScope: false, reason: 'status' }),
  type: Object.freeze({ inScope: false, reason: 'content type' }),
} as const;

/** Media types of the content types seen (a handful per app): no string work per response. */
const mediaCache = new Map<string, string | undefined>();
function cachedMediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  let media = mediaCache.get(contentType);
  if (media === undefined && !mediaCache.has(contentType)) {
    media = mediaTypeOf(contentType);
    if (mediaCache.size >= 256) mediaCache.clear();
    mediaCache.set(contentType, media);
  }
  return media;
}

/** Is this response in scope? Cheap and synchronous: it runs for every response. */
export function decideScope(route: ScopeRoute, routesOnly: boolean, input: ScopeInput): ScopeDecision {
  if (!route.enabled) return OUT.disabled;
  if (routesOnly && !route.configured) return OUT.unconfigured;
  if (input.method === 'HEAD') return OUT.head;
  const status = input.status;
  if (status < 200 || status >= 300 || status === 204 || status === 205) return OUT.status;
  const disposition = input.disposition === undefined ? NO_DISPOSITION : parseDisposition(input.disposition);
  const media = cachedMediaType(input.contentType);
  const attachment = route.attachments && disposition.attachment;
  // The file name (and its string work) is only needed when the type does not decide.
  const byType = route.formats.any || (media !== undefined && !GENERIC_MEDIA.has(media));
  const filename = byType && !attachment ? disposition.filename : (disposition.filename ?? filenameFromPath(input.path));
  if (!attachment && !formatMatches(route.formats, media, filename)) return OUT.type;
  return { inScope: true, filename: filename ?? filenameFromPath(input.path), attachment: disposition.attachment, partial: status === 206 };
}

const NO_DISPOSITION: Disposition = Object.freeze({ attachment: false, filename: undefined });
