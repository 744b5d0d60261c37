/**
 * The audit log: one pino event per in-scope download (labeled, blocked, passed unlabeled, given
 * the fail-safe label, or aborted by the client). It records what was decided and why — label,
 * responsible sensitive type ids with counts, sizes, timing, where the decision came from — and
 * never a matched value or any content. Messages of foreign errors are not logged either.
 */
import { pino } from 'pino';
import type { ClassificationResult } from '../graph-types.js';
import type { LabelgateError } from '../errors.js';
import type { LabelOutcome } from '../pipeline/label-document.js';
import type { FailMode } from './options.js';

/** The part of a pino logger the audit needs (pino, pino-http's `req.log`, or compatible). */
export interface AuditLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * `labeled-unclassified`: content labelgate cannot read (an archive, an image, …) on a route that
 * fixes its label (`label`, or `minimumLabel` acting as the label): labeled by headers only,
 * without classification.
 */
export type AuditOutcome = 'labeled' | 'labeled-unclassified' | 'not-modified' | 'blocked' | 'unlabeled' | 'fail-safe' | 'aborted';

export interface AuditEvent {
  event: 'labelgate.download';
  outcome: AuditOutcome;
  /** The route pattern (never the raw URL: paths and queries can carry personal data). */
  route: string | undefined;
  method: string;
  requestId: string | undefined;
  user: string | undefined;
  /** The file identifier (Content-Disposition file name by default). */
  file: string | undefined;
  format: string | undefined;
  /** HTTP status sent to the client (absent for aborts). */
  status: number | undefined;
  labelId: string | undefined;
  labelName: string | undefined;
  /** `applied`, `kept` (the file already carried it) or `none`. */
  change: LabelOutcome['change'] | undefined;
  actionSource: LabelOutcome['actionSource'] | undefined;
  responsibleSensitiveTypeIds: string[];
  sensitiveTypes: { id: string; count: number; confidence: number }[];
  decisionSource: LabelOutcome['decisionSource'] | undefined;
  bytesIn: number;
  bytesOut: number;
  /**
   * Decided early: the label was certain after this many bytes of the body (the rest streamed to
   * the client as the app wrote it, and was scanned for `sensitiveTypes` on the way).
   */
  settledAtBytes?: number | undefined;
  durationMs: number;
  failMode: FailMode;
  /** Why the download was not labeled normally. */
  error: { code: string; message: string } | undefined;
}

export const AUDIT_MESSAGE = 'labelgate download';

let fallbackLogger: AuditLogger | undefined;

/** The logger used when neither the options nor the request (pino-http) provide one. */
export function defaultAuditLogger(): AuditLogger {
  fallbackLogger ??= pino({ name: 'labelgate' });
  return fallbackLogger;
}

export function isAuditLogger(value: unknown): value is AuditLogger {
  const v = value as Partial<AuditLogger> | null | undefined;
  return typeof v?.info === 'function' && typeof v.warn === 'function' && typeof v.error === 'function';
}

export function sensitiveTypesOf(results: readonly ClassificationResult[] | undefined): AuditEvent['sensitiveTypes'] {
  return (results ?? []).map((r) => ({ id: r.sensitiveTypeId, count: r.count, confidence: r.confidenceLevel }));
}

/** Error fields for the log: code and labelgate's own message (never content, never a foreign message). */
export function auditError(err: LabelgateError | undefined): AuditEvent['error'] {
  return err ? { code: err.code, message: err.message } : undefined;
}

/**
 * The file identifier as logged: digit runs of six or more digits in all are masked, also when
 * grouped by single separators (`card-4111-1111-1111-1111.csv` → `card-####-####-####-####.csv`,
 * `ssn 536 90 4399.csv`), so a card, account or ID number in a file name does not reach the logs.
 * Shorter runs (years, versions, page numbers) and ISO dates (`2026-11-23`) stay readable.
 */
export function maskFileIdentifier(file: string | undefined): string | undefined {
  return file?.replace(DIGIT_GROUPS, (run) => {
    if (ISO_DATE.test(run)) return run;
    const digits = run.replace(NOT_DIGIT, '');
    return [...digits].length >= 6 ? run.replace(DIGIT, '#') : run;
  });
}

const DIGIT_GROUPS = /\p{Nd}+(?:[ ._-]\p{Nd}+)*/gu;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const NOT_DIGIT = /\P{Nd}/gu;
const DIGIT = /\p{Nd}/gu;

const LEVEL: Record<AuditOutcome, 'info' | 'warn' | 'error'> = {
  labeled: 'info',
  'labeled-unclassified': 'info',
  'not-modified': 'info',
  aborted: 'info',
  'fail-safe': 'warn',
  unlabeled: 'error',
  blocked: 'error',
};

/** Write one audit event. A failing logger must not break the download. */
export function writeAudit(logger: AuditLogger, event: AuditEvent): void {
  try {
    // A labeled download with an error (its scan failed after an early decision) needs a look.
    const level = event.outcome === 'labeled' && event.error ? 'error' : LEVEL[event.outcome];
    logger[level]({ labelgate: event }, AUDIT_MESSAGE);
  } catch {
    // Logging is best effort.
  }
}
