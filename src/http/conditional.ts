/**
 * Range and conditional requests around labeled responses.
 *
 * - Range: a labeled body can only be served whole, so `Range`/`If-Range` are removed before the
 *   handler runs on requests that may be labeled (Express `send` would otherwise stream an
 *   unlabeled slice); labeled responses say `Accept-Ranges: none`; a 206 that still reaches the
 *   labeler goes to the fail mode.
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
import type { IncomingHttpHeaders } from 'node:http';

/** Request headers removed before the handler runs, kept for later evaluation. */
export interface GuardedHeaders {
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
  range: string | undefined;
  ifRange: string | undefined;
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
  };
  for (const h of GUARDED) delete headers[h];
  return saved;
}

/** Put guarded headers back (a route that turned out not to be labeled). */
export function restoreGuarded(headers: IncomingHttpHeaders, saved: GuardedHeaders): void {
  if (saved.range !== undefined) headers.range = saved.range;
  if (saved.ifRange !== undefined) headers['if-range'] = saved.ifRange;
  if (saved.ifNoneMatch !== undefined) headers['if-none-match'] = saved.ifNoneMatch;
  if (saved.ifModifiedSince !== undefined) headers['if-modified-since'] = saved.ifModifiedSince;
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
 * scope: the app's caching keeps working.) If-None-Match wins over If-Modified-Since.
 */
export function isFresh(saved: GuardedHeaders, etag: string | undefined, lastModified: string | undefined): boolean {
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
