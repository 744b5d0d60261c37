/**
 * Labeling of one in-scope Express response once `express.ts` has decided it is in scope: capture,
 * the pipeline, the fail mode, the labeled output and the audit event.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LabelgateError } from '../errors.js';
import type { HttpSettings, ResolvedRoute } from './options.js';
import type { ResponseInterceptor } from './intercept-express.js';
import { abortedResult, failurePlan, labelCaptured, labeledPlan, startCapture, type Capture, type DownloadInfo, type LabelResult, type ResponsePlan } from './label-response.js';
import { completeAfterTap, completeAudit, decideEarly, scanFailureAudit, earlyDecisionPossible, EARLY_DECISION_FROM, nextAttemptAt, RETRY_AFTER_GROWTH, scanningTap, type EarlyDecision, type NoEarlyDecision } from './early-decision.js';
import type { PassTap } from './intercept-types.js';
import { resolveFailure } from './fail-mode.js';
import { allDeclaredWrittenOut, whenResponseEnds } from './output-meter.js';
import { header } from './conditional.js';
import { defaultAuditLogger, isAuditLogger, writeAudit, type AuditLogger } from './audit.js';
import type { ExpressRequest } from './express.js';

/** The request a download belongs to (express.ts's per-request state). */
export interface DownloadOwner {
  readonly req: ExpressRequest;
  readonly res: ServerResponse;
  readonly settings: HttpSettings<ExpressRequest>;
  readonly interceptor: ResponseInterceptor;
}

export function applyPlanHeaders(plan: Pick<ResponsePlan, 'removeHeaders' | 'setHeaders'>, res: ServerResponse): void {
  for (const h of plan.removeHeaders) res.removeHeader(h);
  for (const [k, v] of Object.entries(plan.setHeaders)) res.setHeader(k, v);
}

async function* planParts(plan: ResponsePlan, capture: Capture | undefined): AsyncGenerator<Buffer> {
  const body = plan.body;
  if (body.kind === 'bytes') yield body.bytes;
  else if (body.kind === 'captured') {
    if (body.prefix) yield body.prefix;
    if (capture) yield* capture.spool.read(body.skip);
  }
}

/** Labeling of one in-scope response: capture, pipeline, fail mode, output, audit. */
export class Download {
  private readonly abort = new AbortController();
  private capture: Capture | undefined;
  private logged = false;

  constructor(
    private readonly request: DownloadOwner,
    private readonly route: ResolvedRoute<ExpressRequest>,
    private readonly info: DownloadInfo,
  ) {}

  private get res(): ServerResponse {
    return this.request.res;
  }

  private get interceptor(): ResponseInterceptor {
    return this.request.interceptor;
  }

  start(partial: boolean): void {
    const encoding = header(this.res, 'content-encoding');
    if (partial || (encoding && encoding.toLowerCase() !== 'identity')) {
      this.interceptor.hold();
      const err = partial
        ? new LabelgateError('PARTIAL_CONTENT', 'a partial (206) response cannot be labeled; labeled routes must not serve byte ranges')
        : new LabelgateError('FORMAT_UNSUPPORTED', `a compressed (Content-Encoding: ${encoding}) response cannot be labeled; register compression before labelgate`);
      void this.failStreaming(err);
      return;
    }
    const capture = (this.capture = startCapture(this.request.settings, this.route, this.info, (err) => {
      if (this.interceptor.mode === 'capture') {
        this.interceptor.hold();
        void this.failStreaming(err);
      }
    }));
    const spool = capture.spool;
    if (!earlyDecisionPossible(this.request.settings, this.route, capture)) {
      this.interceptor.capture(spool);
      return;
    }
    this.nextAttempt = EARLY_DECISION_FROM;
    this.interceptor.capture({
      write: (chunk, callback) => {
        const ok = spool.write(chunk, callback);
        if (spool.size >= this.nextAttempt && this.attempt === undefined) this.attemptEarly();
        return ok;
      },
      onceDrained: (listener) => spool.onceDrained(listener),
    });
  }

  /** Captured size at which an early decision is tried next (Infinity: never). */
  private nextAttempt = Infinity;
  /** The attempt in flight, if any. */
  private attempt: Promise<EarlyDecision | NoEarlyDecision> | undefined;
  /** The labeled plan being sent (an abort after its label went out is audited with that label). */
  private decided: ResponsePlan | undefined;

  private decideEarly(appLength: number | undefined): Promise<EarlyDecision | NoEarlyDecision> {
    return decideEarly(this.request.settings, this.route, this.capture!, this.info, this.abort.signal, header(this.res, 'access-control-expose-headers'), appLength);
  }

  /** Try to decide the label from what is captured; if that settles it while the app still writes, stream the rest. */
  private attemptEarly(): void {
    const capture = this.capture!;
    const at = capture.spool.size;
    this.nextAttempt = nextAttemptAt(at);
    const declared = Number(header(this.res, 'content-length'));
    // An app Content-Length below what it has written already is wrong: the response is chunked then.
    const attempt = this.decideEarly(Number.isSafeInteger(declared) && declared >= at ? declared : undefined);
    this.attempt = attempt;
    void attempt.then((decision) => {
      if (this.attempt === attempt) this.attempt = undefined;
      if (decision === 'never') this.nextAttempt = Infinity;
      // The app may have ended (then `finish` takes the decision), or the capture failed, or the
      // client left: only a capture still running goes on.
      if (this.interceptor.current() !== 'capture') return;
      if (decision === 'not-yet') {
        // The app wrote on while the scanner answered (a burst of rows): ask again about that now,
        // rather than at its next write, which may be long in coming.
        if (capture.spool.size >= at + RETRY_AFTER_GROWTH) this.attemptEarly();
        return;
      }
      if (decision === 'never') return;
      this.nextAttempt = Infinity;
      this.interceptor.hold();
      return this.streamDecided(capture, decision);
    });
  }

  /** Send the label and what was captured, then let the app's writes through, scanned for the audit. */
  private async streamDecided(capture: Capture, decision: EarlyDecision): Promise<void> {
    const { interceptor, res } = this;
    const scanner = capture.spool.takeScanner();
    const tap = scanningTap(scanner);
    const plan = decision.plan;
    try {
      await capture.spool.seal();
    } catch (err) {
      // The temporary copy failed before anything was sent: the fail mode answers, as when held.
      scanner?.dispose();
      await this.failStreaming(err);
      return;
    }
    this.decided = plan;
    try {
      if (plan.outcome === 'not-modified') {
        scanner?.dispose();
        await this.send(plan, false);
        return;
      }
      interceptor.tap = tap;
      // Watched from before anything is sent (see send()).
      const ended = this.responseEnded();
      const sent = await interceptor.send({
        status: plan.status,
        headers: (r) => applyPlanHeaders(plan, r),
        parts: planParts(plan, capture),
        continueWithApp: true,
        inMemory: capture.spool.location === 'memory',
      });
      if (interceptor.current() === 'aborted') {
        scanner?.dispose();
        return;
      }
      // `sent` also holds what the app wrote while we sent (queued, then seen by the tap).
      const bytesIn = () => decision.at + (sent - this.capturedOut(plan, decision.at)) + tap.bytes;
      const complete = async (finished: boolean) => {
        if (!finished) {
          scanner?.dispose();
          this.audit({ ...plan, audit: { ...plan.audit, outcome: 'aborted', bytesIn: bytesIn() } }, undefined, interceptor.writtenOut);
          return;
        }
        const patch = await completeAfterTap(this.request.settings, decision, scanner, tap.failure, this.info.user);
        this.audit({ ...plan, audit: { ...plan.audit, ...patch, bytesIn: bytesIn() } }, res.statusCode, sent + tap.bytes);
      };
      void ended.then(complete);
    } catch {
      scanner?.dispose();
      res.destroy();
    } finally {
      this.dispose();
    }
  }

  /**
   * The app ended, and the body so far (a prefix of it) settles the label: send the complete body
   * labeled now; the audit gets the counts of the whole body when its scan is done.
   */
  private async sendDecided(capture: Capture, decision: EarlyDecision): Promise<boolean> {
    const { spool } = capture;
    try {
      await spool.seal();
    } catch {
      // The temporary copy failed: the usual way reports it through the fail mode.
      return false;
    }
    const plan = labeledPlan(decision.outcome, this.info, this.route, spool.size, 'labeled', header(this.res, 'access-control-expose-headers'));
    plan.audit.settledAtBytes = decision.at;
    const completion = spool
      .end()
      .then(async () => {
        // undefined: the worker went away; the audit keeps the counts the decision was made with.
        const results = spool.classificationResults();
        return results ? completeAudit(this.request.settings, decision, results, this.info.user) : {};
      })
      .catch(scanFailureAudit);
    await this.send(plan, false, completion);
    return true;
  }

  /** Bytes of our own output for the captured part (the banner's prefix included). */
  private capturedOut(plan: ResponsePlan, at: number): number {
    return plan.body.kind === 'captured' ? (plan.body.prefix?.length ?? 0) + at - plan.body.skip : 0;
  }

  private audit(result: LabelResult, status: number | undefined, bytesOut: number): void {
    if (this.logged) return;
    this.logged = true;
    const { settings, req } = this.request;
    const logger: AuditLogger = settings.logger ?? (isAuditLogger(req.log) ? req.log : defaultAuditLogger());
    writeAudit(logger, {
      ...result.audit,
      status,
      bytesOut,
      durationMs: Math.round((performance.now() - this.info.startedAt) * 10) / 10,
    });
  }

  private dispose(): void {
    this.capture?.spool.dispose().catch(() => {});
  }

  /** `completion`: the rest of the audit event, known later than the response (an early decision's scan). */
  private async send(plan: ResponsePlan, continueWithApp: boolean, completion?: Promise<Partial<ResponsePlan['audit']>>): Promise<void> {
    const { interceptor, res } = this;
    // The rest of the body flows through untouched (fail open, fail-safe label): counted on its way.
    const tap: PassTap = { bytes: 0 };
    if (continueWithApp) interceptor.tap = tap;
    if (plan.audit.labelId !== undefined) this.decided = plan;
    const ended = this.responseEnded();
    const bytes = await interceptor.send({
      status: plan.status,
      headers: (r) => applyPlanHeaders(plan, r),
      parts: planParts(plan, this.capture),
      continueWithApp,
      inMemory: plan.body.kind !== 'captured' || this.capture?.spool.location === 'memory',
    });
    if (interceptor.current() === 'aborted') return;
    const status = res.statusCode;
    const finished = (delivered: boolean, patch?: Partial<ResponsePlan['audit']>) => {
      // Fail open / fail-safe label: the app's bytes are those captured before the failure,
      // queued meanwhile, and passed through after it.
      const bytesIn = continueWithApp ? plan.audit.bytesIn + interceptor.queuedBytes + tap.bytes : plan.audit.bytesIn;
      const audit = { ...plan.audit, ...patch, bytesIn };
      // Cut off by the client: aborted (with the label, if one went out), counting what Node
      // wrote out, not what was handed over.
      if (delivered) this.audit({ ...plan, audit }, status, bytes + tap.bytes);
      else this.audit({ ...plan, audit: { ...audit, outcome: 'aborted' } }, undefined, interceptor.writtenOut);
    };
    // The app's rest streams on: audited when it is done, while the capture is released now.
    if (continueWithApp) void ended.then((delivered) => finished(delivered));
    else {
      const patch = completion ? await completion : undefined;
      // No body (a 304), or every declared byte confirmed written out (a body sent from memory
      // waited for that): a delivery, whatever the connection does next — audited now, not a
      // turn of the loop later.
      finished(plan.body.kind === 'none' || allDeclaredWrittenOut(res, interceptor.writtenOut) || (await ended), patch);
    }
  }

  /**
   * Whether the response, once it has ended, was delivered. Watched from before anything is sent:
   * a 'finish' Node emits for writes a destroyed socket dropped is a cut-off (whenResponseEnds),
   * also after the last part was handed over, and Node detaches the socket on 'finish'.
   */
  private responseEnded(): Promise<boolean> {
    const { res, interceptor } = this;
    return new Promise<boolean>((resolve) => whenResponseEnds(res, resolve, () => allDeclaredWrittenOut(res, interceptor.writtenOut)));
  }

  /** A failure before or during capture: the body is incomplete, so headers-only for open/label. */
  async failStreaming(err: unknown): Promise<void> {
    const { info, route, capture } = this;
    try {
      const resolution = await resolveFailure(err, {
        labeler: this.request.settings.labeler,
        route,
        requestId: info.requestId,
        body: undefined,
        contentType: info.contentType,
        identifier: info.identifier,
        user: info.user,
        signal: this.abort.signal,
      });
      if (this.interceptor.current() === 'aborted') return;
      const plan = failurePlan(resolution, info, route, capture?.spool.size ?? 0, header(this.res, 'access-control-expose-headers'), false);
      // Every captured byte must be on disk before it is replayed ahead of the app's next writes.
      if (plan.outcome !== 'blocked' && capture) await capture.spool.seal();
      await this.send(plan, plan.outcome !== 'blocked');
    } catch {
      this.res.destroy();
    } finally {
      this.dispose();
    }
  }

  /** The app ended a captured body: label it and send the result. */
  async finish(): Promise<void> {
    const { info, route, res } = this;
    const capture = this.capture!;
    const settings = this.request.settings;
    try {
      if (!(res.statusCode >= 200 && res.statusCode < 300)) {
        // The handler switched to an error while its body was captured (e.g. a stream failed and an
        // error handler answered): what was captured is a mix that must not be labeled as a report.
        const err = new LabelgateError('LABELING_FAILED', `the handler changed the response to status ${res.statusCode} while it was being captured`);
        const resolution = await resolveFailure(err, {
          labeler: settings.labeler,
          route: { ...route, failMode: 'closed' },
          requestId: info.requestId,
          contentType: info.contentType,
          identifier: info.identifier,
          user: info.user,
          signal: this.abort.signal,
        });
        const plan = failurePlan(resolution, info, route, capture.spool.size, undefined, true);
        plan.status = res.statusCode;
        await this.send(plan, false);
        return;
      }
      // A large body the app handed over at once (res.send), or ended while an attempt was under
      // way: its label may be certain long before the scan of all of it is done. Then it goes out
      // now, and the audit waits for the scan.
      let decision = this.attempt ? await this.attempt : undefined;
      if ((decision === undefined || decision === 'not-yet') && this.nextAttempt !== Infinity && capture.spool.size >= EARLY_DECISION_FROM) {
        decision = await this.decideEarly(undefined);
      }
      if (decision !== undefined && typeof decision !== 'string' && this.interceptor.current() === 'ended') {
        if (await this.sendDecided(capture, decision)) return;
      }
      const result = await labelCaptured(settings, route, capture, info, this.abort.signal, header(res, 'access-control-expose-headers'));
      if (result.outcome === 'aborted' || this.interceptor.current() === 'aborted') {
        this.audit(abortedResult(info, route, capture.spool.size), undefined, 0);
        return;
      }
      await this.send(result, false);
    } catch {
      // Headers may already be out: a truncated response must not look complete.
      res.destroy();
    } finally {
      this.dispose();
    }
  }

  aborted(): void {
    this.abort.abort();
    // The app's bytes: captured, queued while we sent (or held), and tapped.
    const queued = this.interceptor.queuedBytes;
    // Also a download that was failing (a 206, a compressed body) before anything was captured:
    // every in-scope download gets its one audit event. One that was sent its label early says so.
    const decided = this.decided;
    if (decided) {
      const bytesIn = (this.capture?.spool.size ?? 0) + (this.interceptor.tap?.bytes ?? 0) + queued;
      this.audit({ ...decided, audit: { ...decided.audit, outcome: 'aborted', bytesIn } }, undefined, this.interceptor.writtenOut);
    } else this.audit(abortedResult(this.info, this.route, (this.capture?.spool.size ?? 0) + queued), undefined, 0);
    this.dispose();
  }
}
