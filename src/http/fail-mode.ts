/**
 * Everything that goes wrong on the way to a labeled download ends here, and the route's fail
 * mode decides what the client gets:
 * - `closed` (default): an RFC 9457 `application/problem+json` error; not one byte of the body.
 * - `open`: the original bytes with `Sensitivity-Label-Status: unlabeled` (logged as an error).
 * - `label`: the configured fail-safe label, applied with `evaluateApplication` (no
 *   classification) — or, when Graph is unavailable, from the engine's cached label policy
 *   (`evaluateFailSafe`: metadata and headers, no markings); stamped into the file when the body
 *   is complete and its handler can, else carried in the headers only. If even that fails, the
 *   response fails closed.
 * Client aborts are not failures of the download: nothing is sent.
 */
import { LabelgateError, isLabelgateError, type LabelgateErrorCode } from '../errors.js';
import type { Labeler } from '../labeler.js';
import type { LabelOutcome } from '../pipeline/label-document.js';
import { headersOnlyHandler } from '../formats/binary.js';
import type { FormatHandler, SourceBody } from '../formats/types.js';
import type { FailMode, RouteFacts } from './options.js';

/** RFC 9457 problem details, plus labelgate's error code and the request id. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: LabelgateErrorCode;
  requestId?: string | undefined;
}

interface ProblemKind {
  status: number;
  title: string;
  detail: string;
}

const CONTENT: ProblemKind = {
  status: 422,
  title: 'Download cannot be labeled',
  detail: 'The requested file could not be read to apply its sensitivity label, so it is not sent.',
};
const CONFIG: ProblemKind = {
  status: 500,
  title: 'Labeling failed',
  detail: 'The sensitivity label of the requested file could not be determined, so it is not sent.',
};

/** Statuses and client-facing texts by error code. Details are generic on purpose: the log has the specifics. */
const PROBLEMS: Partial<Record<LabelgateErrorCode, ProblemKind>> = {
  SIZE_LIMIT: {
    status: 507,
    title: 'Download too large to label',
    detail: 'The requested file is larger than the size this server can label, so it is not sent.',
  },
  PARTIAL_CONTENT: {
    status: 416,
    title: 'Range not available for labeled downloads',
    detail: 'Labeled files are only sent whole; request the file without a Range header.',
  },
  GRAPH_UNAVAILABLE: {
    status: 503,
    title: 'Label policy unavailable',
    detail: 'The sensitivity label policy could not be reached, so the file is not sent. Try again later.',
  },
  GRAPH_AUTH: { status: 502, title: 'Label service error', detail: 'The sensitivity label service refused the request, so the file is not sent.' },
  GRAPH_RESPONSE: { status: 502, title: 'Label service error', detail: 'The sensitivity label service gave an unusable answer, so the file is not sent.' },
  PROTECTION_UNAVAILABLE: {
    status: 500,
    title: 'Protection unavailable',
    detail: 'The label of the requested file requires protection (encryption) that this server cannot apply, so it is not sent.',
  },
  FORMAT_UNSUPPORTED: CONTENT,
  FORMAT_MALFORMED: CONTENT,
  FORMAT_ENCRYPTED: CONTENT,
  FORMAT_LIMIT: CONTENT,
  METADATA_INVALID: CONTENT,
  CAPTURE_FAILED: {
    status: 507,
    title: 'Download could not be buffered for labeling',
    detail: 'The server could not keep the copy of the requested file it needs to label it, so it is not sent.',
  },
  CLASSIFY_FAILED: {
    status: 500,
    title: 'Classification failed',
    detail: 'The requested file could not be classified, so it is not sent.',
  },
  CLASSIFY_BUDGET: {
    status: 500,
    title: 'Classification failed',
    detail: 'The requested file could not be classified in time, so it is not sent.',
  },
};

/** Any thrown value as a LabelgateError. Foreign messages are not kept: they could quote content. */
export function asLabelgateError(err: unknown): LabelgateError {
  if (isLabelgateError(err)) return err;
  const name = err instanceof Error ? err.name : typeof err;
  return new LabelgateError('LABELING_FAILED', `labeling failed with an unexpected ${name}`, { cause: err });
}

export function problemFor(err: LabelgateError, requestId: string | undefined): Problem {
  const kind = PROBLEMS[err.code] ?? CONFIG;
  return {
    type: `urn:labelgate:problem:${err.code.toLowerCase().replace(/_/g, '-')}`,
    title: kind.title,
    status: kind.status,
    detail: kind.detail,
    code: err.code,
    ...(requestId ? { requestId } : {}),
  };
}

export type FailureResolution =
  | { mode: 'closed'; error: LabelgateError; problem: Problem; failSafeError?: LabelgateError | undefined }
  | { mode: 'open'; error: LabelgateError }
  | { mode: 'label'; error: LabelgateError; outcome: LabelOutcome; headersOnly: boolean };

export interface FailureContext {
  labeler: Labeler;
  route: Pick<RouteFacts, 'failMode' | 'failSafeLabel' | 'state' | 'banner'>;
  requestId: string | undefined;
  /** The complete captured body and its handler, when the failure left them usable. */
  body?: { source: SourceBody; handler: FormatHandler } | undefined;
  contentType: string | undefined;
  identifier: string | undefined;
  user: string | undefined;
  signal: AbortSignal;
}

const EMPTY_BODY: SourceBody = {
  size: 0,
  bytes: () => Promise.resolve(Buffer.alloc(0)),
  // eslint-disable-next-line require-yield
  async *chunks() {},
};

function closed(error: LabelgateError, requestId: string | undefined, failSafeError?: LabelgateError): FailureResolution {
  return { mode: 'closed', error, problem: problemFor(error, requestId), failSafeError };
}

/** Decide what a failed download turns into. Never throws. */
export async function resolveFailure(err: unknown, ctx: FailureContext): Promise<FailureResolution> {
  const error = asLabelgateError(err);
  // A broken temporary copy cannot be passed on or stamped: whatever the mode, fail closed.
  // A partial (206) body is never passed on: a Range request on a labeled route gets no unlabeled bytes.
  const mode: FailMode = error.code === 'CAPTURE_FAILED' || error.code === 'PARTIAL_CONTENT' ? 'closed' : ctx.route.failMode;
  if (mode === 'open') return { mode: 'open', error };
  if (mode !== 'label' || !ctx.route.failSafeLabel) return closed(error, ctx.requestId);
  const common = {
    contentType: ctx.contentType,
    filename: ctx.identifier,
    user: ctx.user,
    state: ctx.route.state,
    label: ctx.route.failSafeLabel,
    // Only here may the engine fall back to its cache when its service is down.
    failSafe: true,
    signal: ctx.signal,
  };
  if (ctx.body) {
    try {
      const outcome = await ctx.labeler.labelDocument(ctx.body.source, { ...common, handler: ctx.body.handler, banner: ctx.route.banner });
      return { mode: 'label', error, outcome, headersOnly: false };
    } catch (stampErr) {
      // A file that cannot be stamped still gets the label in its headers (below); anything else
      // (unknown label, protection, policy down) fails closed.
      const code = asLabelgateError(stampErr).code;
      if (!code.startsWith('FORMAT_') && code !== 'METADATA_INVALID') return closed(error, ctx.requestId, asLabelgateError(stampErr));
    }
  }
  try {
    const outcome = await ctx.labeler.labelDocument(ctx.body?.source ?? EMPTY_BODY, { ...common, handler: headersOnlyHandler });
    return { mode: 'label', error, outcome, headersOnly: true };
  } catch (failSafeErr) {
    return closed(error, ctx.requestId, asLabelgateError(failSafeErr));
  }
}
