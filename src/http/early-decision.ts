/**
 * Early decisions for text downloads. Fail closed holds every byte until the label is decided,
 * which for a large export means the client waits for all of it (and a proxy may time out) and
 * the body is held in memory or on disk. The label of a growing body is often certain long before
 * its end: the route fixes it, or what has been classified already gets the highest label the
 * policy could give (`settledLabel`). Then the download is labeled with what was captured, and
 * the rest streams as the app writes it, scanned on the way for the audit's counts.
 *
 * Only for text formats selected by their declared media type (no content can change the
 * handler, and the label travels in headers, so the rest of the body needs no stamping), only
 * with an engine that can tell (the local policy; Graph evaluates rules in the service), and
 * never for a label that needs protection (the protect hook needs the whole body).
 */
import type { ClassificationResult, ContentInfo } from '../graph-types.js';
import { contentInfoOf, labelDocument, type LabelOutcome } from '../pipeline/label-document.js';
import { settledLabel } from '../pipeline/settle.js';
import { MAX_DISTINCT_PER_TYPE } from '../classify/tally.js';
import { planActions } from '../evaluate/plan.js';
import type { SourceBody } from '../formats/types.js';
import type { HttpSettings, ResolvedRoute } from './options.js';
import { labeledPlan, type Capture, type DownloadInfo, type ResponsePlan } from './label-response.js';
import { auditError, sensitiveTypesOf } from './audit.js';
import { SCAN_BACKLOG_LIMIT, type CaptureScanner } from './scan-offload.js';
import type { PassTap } from './intercept-types.js';
import { LabelgateError, isLabelgateError } from '../errors.js';

/**
 * The first attempt is made once this much is captured: a smaller body is held whole (it then
 * gets a Content-Length, and holding it costs little). Also about when the scanner has results:
 * it scans in windows of 256 KiB.
 */
export const EARLY_DECISION_FROM = 256 * 1024;

/** An attempt that found the label not settled is repeated at once if the capture grew by this much meanwhile. */
export const RETRY_AFTER_GROWTH = 16 * 1024;

/** Bytes of the body the banner line's end-of-line detection reads. */
const BANNER_HEAD_BYTES = 64 * 1024;

/** The captured size at which to try next: every 256 KiB, and every eighth of the size beyond 2 MiB. */
export function nextAttemptAt(size: number): number {
  return size + Math.max(EARLY_DECISION_FROM, Math.floor(size / 8));
}

/** Can this capture ever be decided early? */
export function earlyDecisionPossible<Ctx>(settings: HttpSettings<Ctx>, route: ResolvedRoute<Ctx>, capture: Capture): boolean {
  if (!route.earlyDecision || capture.declaredText === undefined) return false;
  if (route.label !== undefined) return true;
  return capture.scanHandler === capture.declaredText && settings.labeler.engine.ceilingResults?.() !== undefined;
}

export interface EarlyDecision {
  /** The plan for streaming the rest (the app's Content-Length, if any). */
  plan: ResponsePlan;
  /** The pipeline's outcome (for a plan over the complete body, when the app has ended meanwhile). */
  outcome: LabelOutcome;
  /** Bytes captured when the label was decided. */
  at: number;
  /** What the engine evaluated (for the audit's final evaluation of the complete results). */
  contentInfo: ContentInfo;
  /** The evaluation's label (before a route's minimum raised it), when classified. */
  evaluated: { labelId: string | null } | undefined;
}

/** Not settled by what was captured so far (try again later), or never to be decided early. */
export type NoEarlyDecision = 'not-yet' | 'never';

/** Does a type's count include an estimate (more distinct values than the scanner counts exactly)? */
function anyEstimated(results: readonly ClassificationResult[]): boolean {
  const perType = new Map<string, number>();
  for (const r of results) perType.set(r.sensitiveTypeId, (perType.get(r.sensitiveTypeId) ?? 0) + r.count);
  for (const n of perType.values()) if (n > MAX_DISTINCT_PER_TYPE) return true;
  return false;
}

/** The body for the pipeline: what was captured so far, of which only the head can be read. */
function capturedSoFar(size: number, head: Buffer): SourceBody {
  return {
    size,
    bytes: () => Promise.reject(new Error('the body is still being written')),
    async *chunks() {
      yield head;
    },
  };
}

/**
 * Decide the label from what has been captured, if that settles it. `not-yet`: try again with
 * more; `never`: this capture cannot be decided early (or something failed, which would fail
 * again) — the complete capture is then labeled as usual, its failures going to the fail mode.
 * The caller checks what the response is doing before it acts on a decision.
 */
export async function decideEarly<Ctx>(
  settings: HttpSettings<Ctx>,
  route: ResolvedRoute<Ctx>,
  capture: Capture,
  info: DownloadInfo,
  signal: AbortSignal,
  exposeExisting: string | undefined,
  appLength: number | undefined,
): Promise<EarlyDecision | NoEarlyDecision> {
  const { spool } = capture;
  const handler = capture.declaredText!;
  const engine = settings.labeler.engine;
  const at = spool.size;
  const head = spool.head(BANNER_HEAD_BYTES);
  // The banner line's end of line is read from the head, which only memory still has.
  if (head === undefined && route.banner) return 'never';
  try {
    let results: ClassificationResult[] | undefined;
    let evaluated: EarlyDecision['evaluated'];
    const contentInfo = contentInfoOf({ filename: info.identifier, state: route.state }, []);
    if (route.label === undefined) {
      const scanner = spool.liveScanner;
      if (scanner === undefined) return 'never';
      results = await scanner.resultsSoFar();
      // Beyond MAX_DISTINCT_PER_TYPE distinct values a count is an estimate, which may go down as
      // more is scanned (HyperLogLog switches estimators): a label settled on it could be above
      // the complete body's. Such a capture is held whole.
      if (anyEstimated(results)) return 'never';
      evaluated = await settledLabel(engine, contentInfo, results, { user: info.user, signal });
      if (evaluated === undefined) return 'not-yet';
    }
    const outcome = await labelDocument(engine, capturedSoFar(at, head ?? Buffer.alloc(0)), {
      handler,
      contentType: info.contentType,
      filename: info.identifier,
      user: info.user,
      state: route.state,
      label: route.label,
      minimumLabel: route.minimumLabel,
      customTypes: route.customTypes,
      classificationResults: results,
      banner: route.banner,
      signal,
      // No protect hook: a label that needs protection fails here and waits for the whole body.
    });
    if (outcome.body.kind === 'replaced') return 'never';
    const plan = labeledPlan(outcome, info, route, at, 'labeled', exposeExisting, { appLength });
    plan.audit.settledAtBytes = at;
    return { plan, outcome, at, contentInfo, evaluated };
  } catch {
    // An engine that fails now (or a label that needs protection) would fail again: the complete
    // capture is labeled as usual, and its failures go to the fail mode.
    return 'never';
  }
}

/**
 * The audit's view of the complete body after an early decision: its results, and the types
 * responsible for the label by them (the label itself cannot have changed; if it did, the
 * event says so as an error).
 */
export async function completeAudit<Ctx>(
  settings: HttpSettings<Ctx>,
  decision: EarlyDecision,
  results: readonly ClassificationResult[],
  user: string | undefined,
): Promise<Pick<ResponsePlan['audit'], 'sensitiveTypes' | 'responsibleSensitiveTypeIds' | 'error'>> {
  const sensitiveTypes = sensitiveTypesOf(results);
  const early = decision.plan.audit;
  if (decision.evaluated === undefined) return { sensitiveTypes, responsibleSensitiveTypeIds: early.responsibleSensitiveTypeIds, error: undefined };
  const final = planActions((await settings.labeler.engine.evaluateClassificationResults(decision.contentInfo, results, { user })).value);
  if (final.labelId !== decision.evaluated.labelId) {
    return {
      sensitiveTypes,
      responsibleSensitiveTypeIds: early.responsibleSensitiveTypeIds,
      error: { code: 'LABELING_FAILED', message: `the complete body evaluates to label ${final.labelId ?? 'none'}, not the label decided early` },
    };
  }
  return { sensitiveTypes, responsibleSensitiveTypeIds: [...final.responsibleSensitiveTypeIds], error: undefined };
}

/** A tap that scans what passes; a scanner that fails stops scanning (the label stands) and says why. */
export interface ScanningTap extends PassTap {
  failure: LabelgateError | undefined;
}

function scanFailure(err: unknown): LabelgateError {
  return isLabelgateError(err) ? err : new LabelgateError('CLASSIFY_FAILED', 'classifying the rest of the download failed');
}

/** The audit's error for a scan that failed after the label was decided (the label stands). */
export function scanFailureAudit(err: unknown): Pick<ResponsePlan['audit'], 'error'> {
  return { error: auditError(scanFailure(err)) };
}

/**
 * The tap for the rest of a body after an early decision (Express): feeds the scanner, and never
 * throws into the app's `res.write` — a scanner that fails (a custom type over its time budget, a
 * write after the end) is dropped and its error goes to the audit; the label was certain already.
 */
export function scanningTap(scanner: CaptureScanner | undefined): ScanningTap {
  const tap: ScanningTap = { bytes: 0, failure: undefined };
  if (!scanner) return tap;
  tap.see = (chunk) => {
    if (tap.failure) return true;
    try {
      scanner.write(chunk);
    } catch (err) {
      tap.failure = scanFailure(err);
      scanner.dispose();
      return true;
    }
    return scanner.backlog() <= SCAN_BACKLOG_LIMIT;
  };
  tap.onceReady = (listener) => scanner.onceDrained(listener);
  return tap;
}

/** The audit's completion after the rest was scanned: its counts, or the scanner's failure. */
export async function completeAfterTap<Ctx>(
  settings: HttpSettings<Ctx>,
  decision: EarlyDecision,
  scanner: CaptureScanner | undefined,
  failure: LabelgateError | undefined,
  user: string | undefined,
): Promise<Partial<ResponsePlan['audit']>> {
  if (failure) return { error: auditError(failure) };
  if (!scanner) return {};
  try {
    return await completeAudit(settings, decision, await scanner.end(), user);
  } catch (err) {
    return scanFailureAudit(err);
  }
}

/**
 * The rest of a body after an early decision, pulled from its source (Koa): each chunk is counted
 * and fed to the scanner on its way (waiting while the scanner is too far behind), and once the
 * source is done the scan is completed for the audit — before the stream ends, so the audit's
 * counts are ready when the response finishes. A source that stops early (the client left) drops
 * the scan.
 */
export async function* scannedRest(source: AsyncIterable<Buffer>, scanner: CaptureScanner | undefined, tap: ScanningTap, complete: () => Promise<void>): AsyncGenerator<Buffer> {
  let done = false;
  try {
    for await (const chunk of source) {
      tap.bytes += chunk.length;
      if (chunk.length > 0 && tap.see && !tap.see(chunk)) await new Promise<void>((resolve) => tap.onceReady!(resolve));
      yield chunk;
    }
    done = true;
    await complete();
  } finally {
    if (!done) scanner?.dispose();
  }
}
