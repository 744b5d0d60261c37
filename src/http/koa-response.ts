/**
 * Koa: label the response of one request, after the downstream middleware ran — read `ctx.body`
 * (capturing and classifying it), decide, and hand Koa the labeled body (or the fail mode's
 * answer) in its place, as `koa-compress` does; one audit event when the response has ended.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { LabelgateError } from '../errors.js';
import { cleanRequestId, matchRule, routeFor, safeCall, userFromObject, type CompiledRouteOptions, type HttpSettings } from './options.js';
import { decideScope } from './scope.js';
import { header, headOfLabeled, ifNoneMatchOf, isFresh, type GuardedHeaders } from './conditional.js';
import { abortedResult, failurePlan, labelCaptured, startCapture, type Capture, type DownloadInfo, type LabelResult, type ResponsePlan } from './label-response.js';
import { resolveFailure } from './fail-mode.js';
import { allDeclaredWrittenOut, closeWithConnection, whenResponseEnds } from './output-meter.js';
import { asChunk, bodyIterator, concat, countWrittenOut, inPieces, rest } from './koa-body.js';
import { defaultAuditLogger, isAuditLogger, writeAudit, type AuditLogger } from './audit.js';
import { completeAfterTap, decideEarly, earlyDecisionPossible, EARLY_DECISION_FROM, nextAttemptAt, scannedRest, scanningTap, type EarlyDecision } from './early-decision.js';
import type { KoaContextLike } from './koa.js';

/** Label the response of one request (after the downstream middleware ran). */
export async function labelResponse(settings: HttpSettings<KoaContextLike>, ctx: KoaContextLike, state: { readonly guarded: GuardedHeaders | undefined; readonly override: CompiledRouteOptions<KoaContextLike> | undefined }, rule: ReturnType<typeof matchRule<KoaContextLike>>): Promise<void> {
  const res = ctx.res;
  if (ctx.respond === false || res.headersSent) return;
  const route = routeFor(settings, rule, state.override);
  const head = ctx.method === 'HEAD';
  const scope = decideScope(route, settings.routesOnly, {
    method: head ? 'GET' : ctx.method,
    status: ctx.status,
    contentType: header(res, 'content-type'),
    disposition: header(res, 'content-disposition'),
    path: ctx.path,
  });
  if (head && scope.inScope && ctx.status === 200) {
    const { removeHeaders, setHeaders } = headOfLabeled(header(res, 'cache-control'));
    // An empty stream: Koa would otherwise derive Content-Length from the unlabeled body.
    if (ctx.body !== null && ctx.body !== undefined) ctx.body = Readable.from([]);
    for (const h of removeHeaders) ctx.remove(h);
    for (const [k, v] of Object.entries(setHeaders)) ctx.set(k, v);
    return;
  }
  if (!scope.inScope || head) {
    if (state.guarded && ctx.status === 200 && isFresh(state.guarded, header(res, 'etag'), header(res, 'last-modified'))) ctx.status = 304;
    return;
  }
  const iterator = bodyIterator(ctx.body);
  if (!iterator) return;
  // Pipelined behind a response still going out: it must hear of a connection that closes first.
  closeWithConnection(res);

  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  const info: DownloadInfo = {
    method: ctx.method,
    route: route.name ?? (typeof matched === 'string' ? matched : undefined),
    requestId: safeCall(settings.requestId, ctx) ?? cleanRequestId(ctx.req.headers['x-request-id']) ?? randomUUID(),
    user: safeCall(route.user, ctx) ?? userFromObject((ctx.state as { user?: unknown } | undefined)?.user),
    filename: scope.filename,
    identifier: safeCall(route.identifier, ctx) ?? scope.filename,
    contentType: header(res, 'content-type'),
    etag: header(res, 'etag'),
    ifNoneMatch: ifNoneMatchOf(ctx.req.headers, state.guarded),
    cors: res.hasHeader('access-control-allow-origin'),
    cacheControl: header(res, 'cache-control'),
    startedAt: performance.now(),
  };
  const logger: AuditLogger = settings.logger ?? (isAuditLogger((ctx.req as { log?: unknown }).log) ? ((ctx.req as { log?: unknown }).log as AuditLogger) : defaultAuditLogger());
  const abort = new AbortController();
  let capture: Capture | undefined;
  let logged = false;
  const audit = (result: LabelResult, status: number | undefined, bytesOut: number) => {
    if (logged) return;
    logged = true;
    writeAudit(logger, { ...result.audit, status, bytesOut, durationMs: Math.round((performance.now() - info.startedAt) * 10) / 10 });
  };
  const dispose = () => void capture?.spool.dispose().catch(() => {});
  // The plan handed to Koa, its audit event as it reads when the response has ended, the bytes of
  // our body stream that Koa's pipe took, and those of them Node confirmed written out.
  let applied: ResponsePlan | undefined;
  let appliedAudit: (() => ResponsePlan['audit']) | undefined;
  let sent = 0;
  let written = 0;
  /**
   * Every byte of the declared Content-Length written out: a client that has read it all may hang
   * up before the pipe calls end(). (An in-memory body is one `end(bytes)`: only 'finish' says it
   * was written out.)
   */
  const complete = () => applied?.body.kind === 'captured' && allDeclaredWrittenOut(res, written);
  /** The client went away before Node wrote everything out. */
  const cutOff = () => {
    abort.abort();
    void iterator.return?.();
    // Also a download that was failing before anything was captured: one audit event each. One
    // whose answer went out says what it was (its label; the client may have read part of it).
    if (applied) audit({ ...applied, audit: { ...(appliedAudit?.() ?? applied.audit), outcome: 'aborted' } }, undefined, written);
    else audit(abortedResult(info, route, capture?.spool.size ?? 0), undefined, 0);
    dispose();
  };
  const onClose = () => {
    if (!res.writableFinished) cutOff();
  };
  res.once('close', onClose);
  const expose = header(res, 'access-control-expose-headers');
  const originalLength = header(res, 'content-length');

  /** `finalAudit`: the event as it stands when the response has ended (an early decision completes it; a continuation counts what passed). */
  const apply = (plan: ResponsePlan, body: AsyncIterable<Buffer> | undefined, finalAudit?: () => ResponsePlan['audit']) => {
    if (plan.status !== undefined) ctx.status = plan.status;
    if (plan.body.kind === 'none') ctx.body = null;
    else if (plan.body.kind === 'bytes') ctx.body = plan.body.bytes;
    else if (body) {
      const stream = Readable.from(inPieces(body), { objectMode: false });
      stream.once('close', dispose);
      // Counted from Koa's pipe on: a 'data' listener added earlier would start the flow too soon.
      res.once('pipe', (src) => {
        if (src === stream) stream.on('data', (chunk: Buffer) => (sent += chunk.length));
      });
      countWrittenOut(res, (n) => (written += n));
      ctx.body = stream;
    }
    for (const h of plan.removeHeaders) ctx.remove(h);
    for (const [k, v] of Object.entries(plan.setHeaders)) ctx.set(k, v);
    if (plan.body.kind === 'none' && plan.status === 304) ctx.status = 304;
    applied = plan;
    appliedAudit = finalAudit;
    // From here on, the end of the response decides (see whenResponseEnds for Node's 'finish').
    res.off('close', onClose);
    whenResponseEnds(
      res,
      (delivered) => {
        if (!delivered) cutOff();
        else if (finalAudit) audit({ ...plan, audit: finalAudit() }, ctx.status, sent);
        else audit(plan, ctx.status, plan.length);
      },
      complete,
    );
  };

  /** Before or during capture: the body is incomplete, so headers-only for open/label. */
  const failStreaming = async (err: unknown, continuation: AsyncIterable<Buffer> | undefined, forceClosed = false): Promise<void> => {
    const resolution = await resolveFailure(err, {
      labeler: settings.labeler,
      route: forceClosed ? { ...route, failMode: 'closed' } : route,
      requestId: info.requestId,
      body: undefined,
      contentType: info.contentType,
      identifier: info.identifier,
      user: info.user,
      signal: abort.signal,
    });
    if (abort.signal.aborted) return;
    const plan = failurePlan(resolution, info, route, capture?.spool.size ?? 0, expose, false);
    if (plan.outcome === 'blocked') {
      void iterator.return?.();
      dispose();
      apply(plan, undefined);
    } else {
      // Every captured byte must be on disk before it is replayed ahead of the rest of the body.
      if (capture) {
        try {
          await capture.spool.seal();
        } catch (sealErr) {
          // The temporary copy failed (I/O): it cannot be replayed, so nothing is sent, whatever the mode.
          await failStreaming(sealErr, undefined, true);
          return;
        }
      }
      // The app's bytes pass on through our stream: counted as they go.
      apply({ ...plan, body: { kind: 'captured', prefix: undefined, skip: 0 } }, continuation, () => ({ ...plan.audit, bytesIn: sent }));
      // The original bytes keep flowing: their length (if the app declared one) still holds.
      if (originalLength !== undefined) ctx.set('content-length', originalLength);
    }
  };

  /** Decided early: the label, what was captured, then the rest of the app's body as it comes, scanned for the audit. */
  const streamDecided = async (decision: EarlyDecision): Promise<void> => {
    const scanner = capture!.spool.takeScanner();
    const plan = decision.plan;
    try {
      await capture!.spool.seal();
    } catch (sealErr) {
      scanner?.dispose();
      await failStreaming(sealErr, undefined, true);
      return;
    }
    if (plan.body.kind !== 'captured') {
      // A 304: the rest of the app's body is not needed.
      scanner?.dispose();
      void iterator.return?.();
      dispose();
      apply(plan, undefined);
      return;
    }
    const tap = scanningTap(scanner);
    let patch: Partial<ResponsePlan['audit']> = {};
    const more = scannedRest(rest(iterator), scanner, tap, async () => {
      patch = await completeAfterTap(settings, decision, scanner, tap.failure, info.user);
    });
    const body = concat(plan.body.prefix ? [plan.body.prefix] : [], capture!.spool.read(plan.body.skip), more);
    apply(plan, body, () => ({ ...plan.audit, ...patch, bytesIn: capture!.spool.size + tap.bytes }));
    // Koa drops the Content-Length of a replaced body: the app's (grown by a banner) still holds.
    const length = plan.setHeaders['content-length'] ?? originalLength;
    if (length !== undefined && !plan.removeHeaders.includes('content-length')) ctx.set('content-length', length);
  };

  const encoding = header(res, 'content-encoding');
  if (scope.partial || (encoding && encoding.toLowerCase() !== 'identity')) {
    const err = scope.partial
      ? new LabelgateError('PARTIAL_CONTENT', 'a partial (206) response cannot be labeled; labeled routes must not serve byte ranges')
      : new LabelgateError('FORMAT_UNSUPPORTED', `a compressed (Content-Encoding: ${encoding}) response cannot be labeled; register compression before labelgate`);
    await failStreaming(err, rest(iterator));
    return;
  }

  try {
    capture = startCapture(settings, route, info);
  } catch (err) {
    // labelgate's own failure while starting the capture: the fail mode answers, not Koa's error handling.
    await failStreaming(err, rest(iterator));
    return;
  }
  const spool = capture.spool;
  let nextAttempt = earlyDecisionPossible(settings, route, capture) ? EARLY_DECISION_FROM : Infinity;
  for (;;) {
    let step: IteratorResult<unknown>;
    try {
      step = await iterator.next();
    } catch (err) {
      // The app's own stream failed: that is the app's error, not a labeling failure.
      dispose();
      if (abort.signal.aborted) return;
      throw err;
    }
    if (abort.signal.aborted) return;
    if (step.done) break;
    const chunk = asChunk(step.value);
    let ok: boolean;
    try {
      ok = spool.write(chunk);
    } catch (err) {
      const captured = capture;
      await failStreaming(err, concat(captured.spool.read(0), [chunk], rest(iterator)));
      return;
    }
    if (!ok) await new Promise<void>((resolve) => spool.onceDrained(resolve));
    if (spool.size >= nextAttempt) {
      nextAttempt = nextAttemptAt(spool.size);
      const appLength = Number(originalLength);
      const decision = await decideEarly(settings, route, capture, info, abort.signal, expose, originalLength !== undefined && Number.isSafeInteger(appLength) ? appLength : undefined);
      if (abort.signal.aborted) return;
      if (decision === 'never') nextAttempt = Infinity;
      else if (decision !== 'not-yet') {
        await streamDecided(decision);
        return;
      }
    }
  }

  const result = await labelCaptured(settings, route, capture, info, abort.signal, expose);
  if (result.outcome === 'aborted' || abort.signal.aborted) {
    dispose();
    return;
  }
  const parts = result.body.kind === 'captured' ? concat(result.body.prefix ? [result.body.prefix] : [], spool.read(result.body.skip)) : undefined;
  if (parts && spool.location === 'memory') {
    // Small bodies: one buffer, so Koa sets Content-Length and sends it in one write.
    const buffers: Buffer[] = [];
    for await (const part of parts) buffers.push(part);
    dispose();
    apply({ ...result, body: { kind: 'bytes', bytes: Buffer.concat(buffers, result.length) } }, undefined);
    return;
  }
  if (!parts) dispose();
  apply(result, parts);
}

