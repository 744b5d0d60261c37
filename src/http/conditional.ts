/**
 * Range and conditional requests around labeled responses.
 *
 * - Range: a labeled body can only be served whole, so `Range`/`If-Range` are removed before the
 *   handler runs on requests that may be labeled (Express `send` would otherwise stream an
 *   unlabeled slice), or when `res.sendFile`/`res.download` is about to send a file in scope
 *   (`express-files.ts`); labeled responses say `Accept-Ranges: none`; a 206 that still reaches
 *   the labeler always fails closed (416). They are put back once the handler has answered.
 * - HEAD: no body to label, so a HEAD that a GET would label loses the unlabeled file's length
 *   and validators (`headOfLabeled`).
 * - Cache-Control: labeled responses are `private` (`privateCacheControl`); a request with
 *   `Cache-Control: no-cache` never gets a 304.
 * - ETag: a labeled response gets a weak ETag derived from the handler's ETag and the label
 *   (`W/"lg-…"`), so it never equals the ETag of the unlabeled representation; none is invented
 *   when the handler set none. Stamped files differ per download only in SetDate/ActionId, which
 *   is why the tag is weak. `Last-Modified` is removed: it described the unlabeled file.
 * - 304: `If-None-Match`/`If-Modified-Since` are removed before the handler runs on requests that
 *   may be labeled, so Express never answers 304 from the unlabeled ETag; after labeling, the
 *   labeled ETag is compared with the saved `If-None-Match` and a 304 is sent when it matches.
 *   Responses that turn out to be out of scope get Express's own 304 decision back (`isFresh`).
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

/** A response header as one string (a list joined as Node would send it). */
export function header(res: ServerResponse, name: string): string | undefined {
  const v = res.getHeader(name);
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** Request headers removed before the handler runs, kept for later evaluation. */
export interface GuardedHeaders {
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
  range: string | undefined;
  ifRange: string | undefined;
  /** The request said `Cache-Control: no-cache`: it wants a full response, never a 304. */
  noCache: boolean;
}

const GUARDED = ['range', 'if-range', 'if-none-match', 'if-modified-since'] as const;

/** Remove Range and cache validators from a request; `undefined` when it had none. */
export function guardRequest(headers: IncomingHttpHeaders): GuardedHeaders | undefined {
  if (headers.range === undefined && headers['if-range'] === undefined && headers['if-none-match'] === undefined && headers['if-modified-since'] === undefined) {
    return undefined;
  }
  const saved: GuardedHeaders = {
    ifNoneMatch: headers['if-none-match'],
    ifModifiedSince: headers['if-modified-since'],
    range: headers.range,
    ifRange: headers['if-range'] as string | undefined,
    noCache: requestsNoCache(headers),
  };
  for (const h of GUARDED) delete headers[h];
  return saved;
}

/** Does a request carry a header `send` (res.sendFile) would answer a 206 or 304 from? */
export function hasGuardable(headers: IncomingHttpHeaders): boolean {
  return headers.range !== undefined || headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined;
}

/** Put guarded headers back (a route that turned out not to be labeled). */
export function restoreGuarded(headers: IncomingHttpHeaders, saved: GuardedHeaders): void {
  if (saved.range !== undefined) headers.range = saved.range;
  if (saved.ifRange !== undefined) headers['if-range'] = saved.ifRange;
  if (saved.ifNoneMatch !== undefined) headers['if-none-match'] = saved.ifNoneMatch;
  if (saved.ifModifiedSince !== undefined) headers['if-modified-since'] = saved.ifModifiedSince;
}

// As Express's `fresh`: a `no-cache` directive anywhere in the request's Cache-Control.
const NO_CACHE = /(?:^|,)\s*no-cache\s*(?:,|$)/i;

/** Does the request say `Cache-Control: no-cache` (end-to-end revalidation: never answer 304)? */
export function requestsNoCache(headers: IncomingHttpHeaders): boolean {
  const cc = headers['cache-control'];
  return typeof cc === 'string' && NO_CACHE.test(cc);
}

/**
 * The `If-None-Match` a labeled response is compared with: the one saved before the handler ran,
 * else the request's; none when the request says `Cache-Control: no-cache`.
 */
export function ifNoneMatchOf(headers: IncomingHttpHeaders, saved: GuardedHeaders | undefined): string | undefined {
  if (saved) return saved.noCache ? undefined : saved.ifNoneMatch;
  return requestsNoCache(headers) ? undefined : headers['if-none-match'];
}

/** Opaque parts of an `If-None-Match` list (weak comparison: `W/` is ignored). */
function entityTags(list: string): string[] {
  return (list.match(/(?:W\/)?"[^"]*"|\*/g) ?? []).map((t) => t.replace(/^W\//, ''));
}

/** RFC 9110 §13.1.2: weak comparison of `If-None-Match` against an ETag. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string | undefined): boolean {
  if (!ifNoneMatch || !etag) return false;
  const tags = entityTags(ifNoneMatch);
  if (tags.includes('*')) return true;
  const opaque = etag.replace(/^W\//, '');
  return tags.includes(opaque);
}

/**
 * Would the handler's response have been a 304? (For guarded requests whose response is out of
 * scope: the app's caching keeps working.) If-None-Match wins over If-Modified-Since; a request
 * with `Cache-Control: no-cache` is never fresh (as in Express's `fresh`).
 */
export function isFresh(saved: GuardedHeaders, etag: string | undefined, lastModified: string | undefined): boolean {
  if (saved.noCache) return false;
  if (saved.ifNoneMatch !== undefined) return etagMatches(saved.ifNoneMatch, etag);
  if (saved.ifModifiedSince && lastModified) {
    const since = Date.parse(saved.ifModifiedSince);
    const modified = Date.parse(lastModified);
    return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since;
  }
  return false;
}

/** What identifies a labeled representation besides the original bytes. */
export interface LabelIdentity {
  labelId: string | undefined;
  labelName: string | undefined;
  sensitivity: number | undefined;
  format: string;
  banner: boolean;
  /** `labeled`, `fail-safe` or `unlabeled` (open mode). */
  status: string;
}

/** The ETag of a labeled response: weak, derived from the handler's ETag and the label. */
export function labeledEtag(originalEtag: string | undefined, identity: LabelIdentity): string | undefined {
  if (!originalEtag) return undefined;
  const digest = createHash('sha256')
    .update(originalEtag)
    .update('\0')
    .update(JSON.stringify([identity.labelId ?? '', identity.labelName ?? '', identity.sensitivity ?? -1, identity.format, identity.banner, identity.status]))
    .digest('base64url')
    .slice(0, 27);
  return `W/"lg-${digest}"`;
}

/** Headers that describe the original bytes and are wrong for a rewritten or labeled body. */
export const STALE_REPRESENTATION_HEADERS = ['content-md5', 'digest', 'content-digest', 'repr-digest', 'content-range', 'last-modified'] as const;

/** Headers of the original representation removed from an error (closed fail mode) response. */
export const ERROR_REMOVED_HEADERS = [
  'content-type',
  'content-length',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-location',
  'content-range',
  'content-md5',
  'digest',
  'content-digest',
  'repr-digest',
  'etag',
  'last-modified',
  'accept-ranges',
  'transfer-encoding',
  'expires',
  'cache-control',
  'sensitivity-label',
  'msip_labels',
  'sensitivity-label-status',
] as const;

/**
 * The Cache-Control of a labeled response: a labeled file is meant for the user who downloaded it
 * and must not sit in shared caches. No header → `private`. The app's directives are kept, except
 * that `public` and `s-maxage` (shared caches only) are dropped and `private` is added unless it
 * says `private` or `no-store` already — Express's `res.sendFile` sends `public, max-age=0` by
 * default, which would otherwise let a proxy keep every labeled file. `undefined`: leave as is.
 */
export function privateCacheControl(existing: string | undefined): string | undefined {
  if (existing === undefined || existing.trim() === '') return 'private';
  const directives = existing.split(',').map((d) => d.trim()).filter((d) => d !== '');
  const name = (d: string) => d.split('=', 1)[0]!.trim().toLowerCase();
  if (directives.some((d) => name(d) === 'private' || name(d) === 'no-store')) return undefined;
  return ['private', ...directives.filter((d) => name(d) !== 'public' && name(d) !== 's-maxage')].join(', ');
}

/**
 * A HEAD for a response that a GET would label: labelgate cannot compute the labeled file without
 * its body, so the headers that describe the unlabeled bytes (length, validators, digests, ranges)
 * are removed rather than advertised; `Accept-Ranges` and `Cache-Control` match what the GET sends.
 */
export function headOfLabeled(cacheControl: string | undefined): { removeHeaders: string[]; setHeaders: Record<string, string> } {
  const setHeaders: Record<string, string> = { 'accept-ranges': 'none' };
  const cc = privateCacheControl(cacheControl);
  if (cc) setHeaders['cache-control'] = cc;
  return { removeHeaders: ['content-length', 'etag', ...STALE_REPRESENTATION_HEADERS], setHeaders };
}
