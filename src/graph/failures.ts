/**
 * What went wrong with one Graph attempt, in terms the retry loop and the circuit breaker
 * understand, and the LabelgateError the caller finally gets. The Graph SDK reports everything
 * as a GraphError with a `statusCode` (-1 when no response arrived) and a `code` (Graph's error
 * code, or the name of the underlying JavaScript error).
 */
import { LabelgateError } from '../errors.js';
import { parseRetryAfter } from './resilience.js';

export type FailureKind = 'timeout' | 'network' | 'status' | 'malformed' | 'token';

export interface Failure {
  kind: FailureKind;
  /** For `malformed`: what was wrong with the JSON (a path and an expectation, never values). */
  problem?: string | undefined;
  status?: number | undefined;
  /** Graph's error code (e.g. `Authorization_RequestDenied`), when it sent one. */
  graphCode?: string | undefined;
  graphMessage?: string | undefined;
  retryAfterMs?: number | undefined;
  /** For `token`: the credential could not reach its authority, or did not answer within the timeout. */
  unreachable?: boolean | undefined;
  /** For `token`: it was the timeout. */
  timedOut?: boolean | undefined;
  cause?: unknown;
}

/**
 * Names given to errors thrown by our credential wrapper, so they are told apart from network
 * errors on the way to Graph. (The SDK keeps only an error's name and message.)
 */
export const TOKEN_ERROR_NAME = 'LabelgateTokenError';
export const TOKEN_UNREACHABLE_NAME = 'LabelgateTokenUnreachable';

/** How MSAL / @azure/identity / Node report that the authority could not be reached at all. */
const UNREACHABLE = /network_error|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|socket hang up|fetch failed/i;

export class TokenAcquisitionError extends Error {
  override readonly name: string;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    const cause = options.cause as { code?: unknown } | null;
    const unreachable = UNREACHABLE.test(message) || (typeof cause?.code === 'string' && UNREACHABLE.test(cause.code));
    this.name = unreachable ? TOKEN_UNREACHABLE_NAME : TOKEN_ERROR_NAME;
  }
}

export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 503, 504]);

/** Worth another attempt within the retry budget. */
export function isRetryable(f: Failure): boolean {
  return f.kind === 'timeout' || f.kind === 'network' || (f.kind === 'status' && RETRYABLE_STATUS.has(f.status!));
}

/**
 * Counts against the circuit breaker: Graph (or the way to it) is not answering properly. Garbage
 * instead of JSON counts too (a captive proxy or a broken gateway answers every call that way).
 */
export function isOutage(f: Failure): boolean {
  return f.kind === 'timeout' || f.kind === 'network' || f.kind === 'malformed' || (f.kind === 'status' && (f.status! >= 500 || f.status === 429));
}

interface SdkErrorLike {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
  body?: unknown;
  headers?: { get(name: string): string | null } | undefined;
  name?: unknown;
}

/** Classify what the SDK threw for one attempt (timeouts are recognised by the caller, who set the timer). */
export function classifySdkError(err: unknown): Failure {
  const e = (err ?? {}) as SdkErrorLike;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : undefined;
  // Our credential wrapper failed, or the SDK's provider got no token (it throws a GraphClientError,
  // whose `name` is plain "Error"): nothing reached Graph.
  if (code === TOKEN_UNREACHABLE_NAME) return { kind: 'token', unreachable: true, graphMessage: message, cause: err };
  if (code === TOKEN_ERROR_NAME || (err as object | null)?.constructor?.name === 'GraphClientError') {
    return { kind: 'token', graphMessage: message, cause: err };
  }
  if (status !== undefined && status >= 200 && status < 300) {
    // A 2xx whose body could not be read: bad JSON is malformed, a cut-off body is a dropped connection.
    return code === 'SyntaxError' ? { kind: 'malformed', status, cause: err } : { kind: 'network', status, cause: err };
  }
  if (status !== undefined && status >= 300) {
    return {
      kind: 'status',
      status,
      graphCode: code ?? undefined,
      graphMessage: message,
      retryAfterMs: parseRetryAfter(e.headers?.get('retry-after')),
      cause: err,
    };
  }
  return { kind: 'network', cause: err };
}

const PERMISSION_HINT =
  'Grant the app the Microsoft Graph application permission InformationProtectionPolicy.Read.All and give admin consent ' +
  '(with a delegated, signed-in-user token: InformationProtectionPolicy.Read)';

/** Graph's messages may quote a user principal name (e.g. a 404 for /users/{upn}): keep it out of errors and logs. */
function withoutUserNames(text: string): string {
  return text.replace(/[^\s'"()<>]+@[^\s'"()<>]+/g, '<user>');
}

function graphSays(f: Failure): string {
  const parts = [f.graphCode, f.graphMessage === undefined ? undefined : withoutUserNames(f.graphMessage.slice(0, 300))].filter(
    (p) => p !== undefined && p !== '',
  );
  return parts.length > 0 ? `: ${parts.join(': ')}` : '';
}

export interface FailureContext {
  endpoint: string;
  /** The Entra ID authority the credential talks to, for hints. */
  authorityHost: string;
  attempts: number;
  timeoutMs: number;
  /** Why the retry loop stopped early, if it did (e.g. Retry-After beyond the budget). */
  stopReason?: string | undefined;
}

/** The error the caller of the engine receives. */
export function toLabelgateError(f: Failure, ctx: FailureContext): LabelgateError {
  const detail: Record<string, unknown> = { endpoint: ctx.endpoint, attempts: ctx.attempts, failure: f.kind };
  if (f.status !== undefined) detail.status = f.status;
  if (f.graphCode) detail.graphCode = f.graphCode;
  if (f.retryAfterMs !== undefined) detail.retryAfterMs = f.retryAfterMs;
  const tries = ctx.attempts > 1 ? ` (${ctx.attempts} attempts)` : '';
  const stop = ctx.stopReason ? `; ${ctx.stopReason}` : '';
  const opts = { cause: f.cause, detail };
  switch (f.kind) {
    case 'timeout':
      return new LabelgateError('GRAPH_UNAVAILABLE', `Microsoft Graph did not answer ${ctx.endpoint} within ${ctx.timeoutMs} ms${tries}${stop}`, opts);
    case 'network':
      return new LabelgateError(
        'GRAPH_UNAVAILABLE',
        `the connection to Microsoft Graph failed during ${ctx.endpoint} (refused, reset or cut off)${tries}${stop}`,
        opts,
      );
    case 'malformed':
      return new LabelgateError(
        'GRAPH_RESPONSE',
        `Microsoft Graph answered ${ctx.endpoint} with ${f.problem ? `an unexpected response: ${f.problem}` : 'malformed JSON'}`,
        opts,
      );
    case 'token':
      if (f.timedOut) {
        return new LabelgateError(
          'GRAPH_UNAVAILABLE',
          `the credential did not produce an access token for Microsoft Graph within ${ctx.timeoutMs} ms (is ${ctx.authorityHost} reachable?)`,
          opts,
        );
      }
      if (f.unreachable) {
        return new LabelgateError(
          'GRAPH_UNAVAILABLE',
          `the credential could not reach Microsoft Entra ID for an access token (${ctx.authorityHost}): ${(f.graphMessage ?? '').slice(0, 300)}`,
          opts,
        );
      }
      return new LabelgateError(
        'GRAPH_AUTH',
        `could not get an access token for Microsoft Graph from the configured credential${f.graphMessage ? `: ${f.graphMessage.slice(0, 300).replace(/[.\s]+$/, '')}` : ''}. ` +
          'Check the tenant id, client id and secret/certificate, and that the credential belongs to the same national cloud as graph.cloud',
        opts,
      );
    case 'status': {
      const s = f.status!;
      if (s === 401) {
        return new LabelgateError(
          'GRAPH_AUTH',
          `Microsoft Graph rejected the access token for ${ctx.endpoint} (401${graphSays(f)}). ` +
            'Check that the credential is for the right tenant and national cloud (the token audience must be that cloud\'s Graph host)',
          opts,
        );
      }
      if (s === 403) {
        return new LabelgateError('GRAPH_AUTH', `Microsoft Graph denied ${ctx.endpoint} (403${graphSays(f)}). ${PERMISSION_HINT}`, opts);
      }
      if (s === 429 || s >= 500) {
        const what = s === 429 ? 'is throttling requests' : `is failing (HTTP ${s})`;
        return new LabelgateError('GRAPH_UNAVAILABLE', `Microsoft Graph ${what} for ${ctx.endpoint}${graphSays(f)}${tries}${stop}`, opts);
      }
      return new LabelgateError('GRAPH_RESPONSE', `Microsoft Graph refused ${ctx.endpoint} (HTTP ${s}${graphSays(f)})`, opts);
    }
  }
}
