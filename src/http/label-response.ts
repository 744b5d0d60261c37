/**
 * The adapter-independent half of labeling a response: start a capture (spool + scanner), run the
 * pipeline on the captured body (`labelDocument` through the labeler), and turn the outcome or
 * the failure into a `ResponsePlan` — status, headers to set and remove, body parts — that the
 * Express and Koa adapters carry out. Also builds the audit event.
 */
import type { ClassificationResult } from '../graph-types.js';
import { LabelgateError, isLabelgateError } from '../errors.js';
import { startScanner } from './scan-offload.js';
import { mergeCustomTypes } from '../policy/custom-types.js';
import { declaredTextHandler, detectFormat, mediaTypeOf } from '../formats/registry.js';
import { headOf } from '../formats/body.js';
import { headersOnlyHandler } from '../formats/binary.js';
import type { FormatHandler } from '../formats/types.js';
import type { LabelOutcome } from '../pipeline/label-document.js';
import { labelHeaders } from '../pipeline/stamp.js';
import { LABEL_HEADERS } from '../pipeline/headers.js';
import type { HttpSettings, ResolvedRoute, RouteFacts } from './options.js';
import { Spool } from './spool.js';
import { ERROR_REMOVED_HEADERS, STALE_REPRESENTATION_HEADERS, etagMatches, labeledEtag, privateCacheControl } from './conditional.js';
import { resolveFailure, type FailureResolution, type Problem } from './fail-mode.js';
import { auditError, maskFileIdentifier, sensitiveTypesOf, type AuditEvent, type AuditOutcome } from './audit.js';

/** Facts about one download, gathered by the adapter when the response turned out to be in scope. */
export interface DownloadInfo {
  method: string;
  route: string | undefined;
  requestId: string | undefined;
  user: string | undefined;
  /** File name for format detection (Content-Disposition, else the URL's last segment). */
  filename: string | undefined;
  /** contentInfo.identifier and the audit's `file` (the route's `identifier` callback, else `filename`). */
  identifier: string | undefined;
  contentType: string | undefined;
  /** The handler's ETag, if it set one. */
  etag: string | undefined;
  /** `If-None-Match` of the request (saved before the handler ran, or as received). */
  ifNoneMatch: string | undefined;
  /** The response already has `Access-Control-Allow-Origin`: expose the label headers to scripts. */
  cors: boolean;
  /** The response's Cache-Control as the app (or Express) set it; labeled responses make it private. */
  cacheControl?: string | undefined;
  startedAt: number;
}

export interface Capture {
  spool: Spool;
  /** The handler the body was scanned for while captured (text formats). */
  scanHandler: FormatHandler | undefined;
  /** The text handler the declared media type selects, which no content can change (for early decisions). */
  declaredText: FormatHandler | undefined;
}

export function startCapture<Ctx>(
  settings: HttpSettings<Ctx>,
  route: ResolvedRoute<Ctx>,
  info: Pick<DownloadInfo, 'contentType' | 'filename'>,
  onError?: (err: LabelgateError) => void,
): Capture {
  const early = route.label ? undefined : detectFormat({ contentType: info.contentType, filename: info.filename });
  const scanHandler = early?.family === 'text' ? early : undefined;
  const scanner = scanHandler
    ? startScanner({ customTypes: mergeCustomTypes(settings.labeler.engine.customTypes(), route.customTypes), delimiter: scanHandler.scanHints?.delimiter }, settings.scanInWorker)
    : undefined;
  const spool = new Spool({ memoryBytes: route.memoryBytes, maxBytes: route.maxBytes, tempDir: settings.tempDir, scanner, memoryPool: settings.memoryPool, diskPool: settings.diskPool }, onError);
  return { spool, scanHandler, declaredText: declaredTextHandler(info.contentType, info.filename) };
}

/** The body of a planned response. */
export type PlanBody =
  /** The captured bytes from `skip` on, after `prefix` (when given). */
  | { kind: 'captured'; prefix: Buffer | undefined; skip: number }
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'none' };

export interface ResponsePlan {
  outcome: Exclude<AuditOutcome, 'aborted'>;
  status: number | undefined;
  removeHeaders: string[];
  setHeaders: Record<string, string>;
  body: PlanBody;
  /** Bytes the body will have. */
  length: number;
  audit: AuditEvent;
}

export type LabelResult = ResponsePlan | { outcome: 'aborted'; audit: AuditEvent };

const HEADER_SAFE = /^[\x20-\x7e]*$/;

function exposeHeaders(info: DownloadInfo, names: string[], existing: string | undefined): Record<string, string> {
  if (!info.cors) return {};
  const have = (existing ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (have.includes('*')) return {};
  const add = names.filter((n) => !have.includes(n.toLowerCase()));
  return add.length === 0 ? {} : { 'access-control-expose-headers': [...(existing ? [existing] : []), ...add].join(', ') };
}

function baseAudit(info: DownloadInfo, route: RouteFacts, bytesIn: number): AuditEvent {
  return {
    event: 'labelgate.download',
    outcome: 'labeled',
    route: info.route,
    method: info.method,
    requestId: info.requestId,
    user: info.user,
    file: maskFileIdentifier(info.identifier),
    format: undefined,
    status: undefined,
    labelId: undefined,
    labelName: undefined,
    change: undefined,
    actionSource: undefined,
    responsibleSensitiveTypeIds: [],
    sensitiveTypes: [],
    decisionSource: undefined,
    bytesIn,
    bytesOut: 0,
    durationMs: 0,
    failMode: route.failMode,
    error: undefined,
  };
}

function auditOutcome(audit: AuditEvent, outcome: LabelOutcome, results: readonly ClassificationResult[] | undefined): AuditEvent {
  return {
    ...audit,
    format: outcome.format,
    labelId: outcome.label?.id,
    labelName: outcome.label?.name,
    change: outcome.change,
    actionSource: outcome.actionSource,
    responsibleSensitiveTypeIds: [...outcome.plan.responsibleSensitiveTypeIds],
    sensitiveTypes: sensitiveTypesOf(results ?? outcome.classificationResults),
    decisionSource: outcome.decisionSource,
  };
}

/** Label headers, checked once more: a value that could break the header block is never sent. */
function safeLabelHeaders(outcome: LabelOutcome): Record<string, string> {
  const headers = labelHeaders(outcome);
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_SAFE.test(value)) delete headers[name];
  }
  return headers;
}

/** A plan that sends the (possibly stamped) body with the label's headers. */
/**
 * How much of the body a plan is made for: all of it (`true`), the part captured before a failure
 * whose rest streams on (`false`: headers only, no validators), or the part captured before an
 * early decision whose rest streams on (`{ appLength }`: the app's Content-Length, if it set one).
 */
export type PlanScope = boolean | { appLength: number | undefined };

export function labeledPlan(
  outcome: LabelOutcome,
  info: DownloadInfo,
  route: RouteFacts,
  size: number,
  kind: 'labeled' | 'labeled-unclassified' | 'fail-safe',
  exposeExisting: string | undefined,
  complete: PlanScope = true,
): ResponsePlan {
  const setHeaders = safeLabelHeaders(outcome);
  if (kind === 'fail-safe') setHeaders[LABEL_HEADERS.status] = 'fail-safe';
  const removeHeaders: string[] = [...STALE_REPRESENTATION_HEADERS, LABEL_HEADERS.label, LABEL_HEADERS.msip, LABEL_HEADERS.status];
  let body: PlanBody;
  let length: number;
  switch (outcome.body.kind) {
    case 'unchanged':
      body = { kind: 'captured', prefix: undefined, skip: 0 };
      length = size;
      break;
    case 'prefixed':
      body = { kind: 'captured', prefix: outcome.body.prefix, skip: outcome.body.skip };
      length = outcome.body.prefix.length + size - outcome.body.skip;
      break;
    case 'replaced':
      body = { kind: 'bytes', bytes: outcome.body.bytes };
      length = outcome.body.bytes.length;
      break;
  }
  const etag = labeledEtag(info.etag, {
    labelId: outcome.label?.id,
    labelName: outcome.label?.name,
    sensitivity: outcome.label?.sensitivity,
    format: outcome.format,
    banner: outcome.body.kind === 'prefixed',
    status: kind,
  });
  if (etag) setHeaders.etag = etag;
  else removeHeaders.push('etag');
  Object.assign(setHeaders, exposeHeaders(info, Object.keys(setHeaders).filter((h) => h !== 'etag'), exposeExisting));
  const audit = auditOutcome(baseAudit(info, route, size), outcome, undefined);
  setHeaders['accept-ranges'] = 'none';
  // A labeled file is meant for this user: keep it out of shared caches unless the app decided.
  const cacheControl = privateCacheControl(info.cacheControl);
  if (cacheControl) setHeaders['cache-control'] = cacheControl;
  if (complete === false) {
    // Headers-only label on a body that keeps streaming from the app: its length is the app's.
    return { outcome: kind, status: undefined, removeHeaders, setHeaders, body, length: size, audit: { ...audit, outcome: kind } };
  }
  if (etagMatches(info.ifNoneMatch, etag)) {
    return {
      outcome: 'not-modified',
      status: 304,
      removeHeaders: [...removeHeaders, 'content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'accept-ranges'],
      setHeaders,
      body: { kind: 'none' },
      length: 0,
      audit: { ...audit, outcome: 'not-modified' },
    };
  }
  if (complete !== true) {
    // Decided early: the rest of the body streams from the app after what was captured.
    const { appLength } = complete;
    const delta = body.kind === 'captured' && body.prefix ? body.prefix.length - body.skip : 0;
    if (appLength === undefined) removeHeaders.push('content-length');
    else if (delta !== 0) setHeaders['content-length'] = String(appLength + delta);
    return { outcome: kind, status: undefined, removeHeaders, setHeaders, body, length: size, audit: { ...audit, outcome: kind } };
  }
  setHeaders['content-length'] = String(length);
  removeHeaders.push('transfer-encoding');
  return { outcome: kind, status: undefined, removeHeaders, setHeaders, body, length, audit: { ...audit, outcome: kind } };
}

export function problemPlan(problem: Problem, audit: AuditEvent): ResponsePlan {
  const json = Buffer.from(JSON.stringify(problem), 'utf8');
  return {
    outcome: 'blocked',
    status: problem.status,
    removeHeaders: [...ERROR_REMOVED_HEADERS],
    setHeaders: { 'content-type': 'application/problem+json', 'content-length': String(json.length), 'cache-control': 'no-store' },
    body: { kind: 'bytes', bytes: json },
    length: json.length,
    audit: { ...audit, outcome: 'blocked' },
  };
}

/**
 * Turn a failure into a plan. `size` is what was captured; `complete` says whether those bytes are
 * the whole body (they are not after a size limit or for a 206).
 */
export function failurePlan(
  resolution: FailureResolution,
  info: DownloadInfo,
  route: RouteFacts,
  size: number,
  exposeExisting: string | undefined,
  complete = true,
): ResponsePlan {
  const base = baseAudit(info, route, size);
  if (resolution.mode === 'closed') {
    const plan = problemPlan(resolution.problem, base);
    plan.audit.error = auditError(resolution.error);
    if (resolution.failSafeError) plan.audit.error = { ...plan.audit.error!, message: `${resolution.error.message}; fail-safe label: ${resolution.failSafeError.message}` };
    return plan;
  }
  if (resolution.mode === 'open') {
    const setHeaders: Record<string, string> = { [LABEL_HEADERS.status]: 'unlabeled', 'accept-ranges': 'none' };
    const cacheControl = privateCacheControl(info.cacheControl);
    if (cacheControl) setHeaders['cache-control'] = cacheControl;
    Object.assign(setHeaders, exposeHeaders(info, [LABEL_HEADERS.status], exposeExisting));
    return {
      outcome: 'unlabeled',
      status: undefined,
      removeHeaders: [LABEL_HEADERS.label, LABEL_HEADERS.msip],
      setHeaders,
      body: { kind: 'captured', prefix: undefined, skip: 0 },
      length: size,
      audit: { ...base, outcome: 'unlabeled', error: auditError(resolution.error) },
    };
  }
  const plan = labeledPlan(resolution.outcome, info, route, size, 'fail-safe', exposeExisting, complete && !resolution.headersOnly);
  plan.audit.error = auditError(resolution.error);
  return plan;
}

export function abortedResult(info: DownloadInfo, route: RouteFacts, size: number, error?: LabelgateError): LabelResult {
  return { outcome: 'aborted', audit: { ...baseAudit(info, route, size), outcome: 'aborted', error: auditError(error) } };
}

/** How long a PDF or Office download waits for memory to be labeled before it fails with `SIZE_LIMIT`. */
export const WHOLE_BODY_WAIT_MS = 30_000;

/** In-scope content no format handler can read (archives, images, legacy Office, …). */
function unreadable(contentType: string | undefined): LabelgateError {
  const media = mediaTypeOf(contentType)?.replace(/[^\x21-\x7e]/g, '').slice(0, 100) ?? 'none';
  return new LabelgateError(
    'FORMAT_UNSUPPORTED',
    `the download (content type ${media}) is not a format labelgate can read, so it cannot be classified; give the route a label (or minimumLabel) to label such files by headers only, or keep them out of scope`,
  );
}

/**
 * Label a completely captured body. Never throws: failures become the fail mode's plan.
 * Disposing of the spool stays with the caller (the plan may still read from it).
 */
export async function labelCaptured<Ctx>(
  settings: HttpSettings<Ctx>,
  route: ResolvedRoute<Ctx>,
  capture: Capture,
  info: DownloadInfo,
  signal: AbortSignal,
  exposeExisting: string | undefined,
): Promise<LabelResult> {
  const { spool } = capture;
  let complete: { source: ReturnType<Spool['body']>; handler: FormatHandler } | undefined;
  let release: (() => void) | undefined;
  try {
    await spool.end();
    const source = spool.body();
    const detected = detectFormat({ contentType: info.contentType, filename: info.filename, head: await headOf(source) });
    // Content no handler can read cannot be classified. Only a route that fixes the label (or a
    // minimum, which then is the label) may label it, by headers only; anything else is a failure.
    const fixedLabel = detected ? route.label : (route.label ?? route.minimumLabel);
    const handler = detected ?? headersOnlyHandler;
    complete = { source, handler };
    if (!detected && !fixedLabel) throw unreadable(info.contentType);
    if (handler.family === 'pdf' || handler.family === 'ooxml') {
      // Read whole and stamped into a copy: about twice the body while it is labeled. Labeling
      // such files takes turns within the middleware's budget; sending the result does not (a
      // slow client must not hold up every other download's labeling).
      try {
        release = await settings.wholeBodyPool.reserve(2 * spool.size, signal, WHOLE_BODY_WAIT_MS);
      } catch (err) {
        // No memory to read it whole: a fail-safe label can only go in the headers.
        complete = undefined;
        throw err;
      }
    }
    const results = handler === capture.scanHandler ? spool.classificationResults() : undefined;
    const outcome = await settings.labeler.labelDocument(source, {
      handler,
      contentType: info.contentType,
      filename: info.identifier,
      user: info.user,
      state: route.state,
      label: fixedLabel,
      minimumLabel: route.minimumLabel,
      customTypes: route.customTypes,
      classificationResults: results,
      banner: route.banner,
      signal,
    });
    return labeledPlan(outcome, info, route, spool.size, detected ? 'labeled' : 'labeled-unclassified', exposeExisting);
  } catch (err) {
    if (signal.aborted) return abortedResult(info, route, spool.size, isLabelgateError(err) ? err : undefined);
    const resolution = await resolveFailure(err, {
      labeler: settings.labeler,
      route,
      requestId: info.requestId,
      body: complete,
      contentType: info.contentType,
      identifier: info.identifier,
      user: info.user,
      signal,
    });
    if (signal.aborted) return abortedResult(info, route, spool.size, resolution.error);
    return failurePlan(resolution, info, route, spool.size, exposeExisting);
  } finally {
    release?.();
  }
}
