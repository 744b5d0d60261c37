/**
 * `labelgate/express`: `expressLabeling(options)` for `app.use`, and `labelRoute(options)` for a
 * single route. Works with Express 5 and 4 (and plain `node:http` handlers written in the same
 * style), whatever way the handler sends its body: `res.send`, `res.json`, `res.write` + `res.end`,
 * `stream.pipe(res)`, `res.sendFile`, `res.download`, `res.attachment`.
 *
 * Register it after `compression()` (so compression sees the labeled bytes) and before the routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Labeler } from '../labeler.js';
import { LabelgateError } from '../errors.js';
import {
  checkResolved,
  cleanRequestId,
  compileRouteOptions,
  compileSettings,
  matchRule,
  resolveRoute,
  routeFor,
  safeCall,
  userFromObject,
  type CompiledRouteOptions,
  type HttpLabelingOptions,
  type HttpSettings,
  type RouteLabelOptions,
} from './options.js';
import { decideScope, scopeHasExtension } from './scope.js';
import { guardRequest, hasGuardable, headOfLabeled, ifNoneMatchOf, isFresh, restoreGuarded, type GuardedHeaders } from './conditional.js';
import { guardFileSends } from './express-files.js';
import { ResponseInterceptor, type InterceptHandlers } from './intercept-express.js';
import { abortedResult, failurePlan, labelCaptured, startCapture, type Capture, type DownloadInfo, type LabelResult, type ResponsePlan } from './label-response.js';
import { resolveFailure } from './fail-mode.js';
import { closeMiddleware } from './close.js';
import { ROUTE_PROTOCOL_VERSION, refineTarget, routeOptionsFor, routeTargetOf, setRouteTarget, type RouteTarget } from './route-target.js';
import { defaultAuditLogger, isAuditLogger, writeAudit, type AuditLogger } from './audit.js';
import type { ResolvedRoute } from './options.js';

/**
 * The request as the callbacks see it. Express's `Request` fits; only what labelgate reads is
 * required, so `labelgate/express` does not depend on Express's types.
 */
export interface ExpressRequest extends IncomingMessage {
  originalUrl?: string;
  /** pino-http */
  id?: unknown;
  log?: unknown;
  user?: unknown;
  route?: { path?: unknown };
}

export type ExpressLabelingOptions = HttpLabelingOptions<ExpressRequest>;
export type ExpressRouteOptions = RouteLabelOptions<ExpressRequest>;

type Next = (err?: unknown) => void;

export interface ExpressLabelingMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  /** The labeler in use (close it on shutdown when it was created from options). */
  readonly labeler: Labeler;
  /**
   * On shutdown (after `server.close()`): stop the scan worker threads, and close the labeler when
   * the middleware created it (a labeler passed in as `labeler` stays open: close it yourself).
   * Not required for the process to exit (idle workers never keep it alive).
   */
  close(): Promise<void>;
}


function pathOf(req: ExpressRequest): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function header(res: ServerResponse, name: string): string | undefined {
  const v = res.getHeader(name);
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** Could this GET produce a labeled response? Then Range and validators are set aside before the handler runs. */
function mayBeLabeled(
  settings: HttpSettings<ExpressRequest>,
  rule: ReturnType<typeof matchRule<ExpressRequest>>,
  override: CompiledRouteOptions<ExpressRequest> | undefined,
  path: string,
): boolean {
  if (settings.guardAllRequests) return true;
  if (override) return override.enabled !== false;
  if (rule) return rule.options.enabled !== false;
  if (settings.routesOnly || settings.global.enabled === false) return false;
  const dot = path.lastIndexOf('.');
  if (dot === -1 || dot < path.lastIndexOf('/')) return false;
  return scopeHasExtension(settings.globalRoute.formats, extname(path).toLowerCase());
}

function requestIdOf(settings: HttpSettings<ExpressRequest>, req: ExpressRequest): string {
  return (
    safeCall(settings.requestId, req) ??
    cleanRequestId(req.id) ??
    cleanRequestId(req.headers['x-request-id']) ??
    randomUUID()
  );
}

function routeName(route: ResolvedRoute<ExpressRequest>, req: ExpressRequest): string | undefined {
  if (route.name) return route.name;
  const p = req.route?.path;
  return typeof p === 'string' ? p : undefined;
}

function applyPlanHeaders(plan: Pick<ResponsePlan, 'removeHeaders' | 'setHeaders'>, res: ServerResponse): void {
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

/**
 * One request: its route options, guarded headers and response interceptor. Pass-through responses
 * only ever allocate this and the interceptor; the labeling machinery (`Download`) is created when a
 * response turns out to be in scope.
 */
class RequestLabeling implements InterceptHandlers, RouteTarget {
  readonly version = ROUTE_PROTOCOL_VERSION;
  readonly interceptor: ResponseInterceptor;
  override: CompiledRouteOptions<ExpressRequest> | undefined;
  guarded: GuardedHeaders | undefined;
  private download: Download | undefined;

  constructor(
    readonly settings: HttpSettings<ExpressRequest>,
    readonly req: ExpressRequest,
    readonly res: ServerResponse,
    readonly rule: ReturnType<typeof matchRule<ExpressRequest>>,
    override: CompiledRouteOptions<ExpressRequest> | undefined,
    readonly path: string,
  ) {
    this.override = override;
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    this.guarded = readOnly && mayBeLabeled(settings, rule, override, path) ? guardRequest(req.headers) : undefined;
    this.interceptor = new ResponseInterceptor(res, this);
    if (readOnly && !this.guarded && hasGuardable(req.headers)) guardFileSends(res, (file, disposition, contentType) => this.fileInScope(file, disposition, contentType), () => this.guardNow());
    setRouteTarget(res, this);
  }

  /** `res.sendFile`/`res.download` of a file that would be labeled: set Range and validators aside now. */
  private guardNow(): void {
    if (!this.guarded && this.interceptor.mode === 'pending') this.guarded = guardRequest(this.req.headers);
  }

  private fileInScope(file: string, disposition: string | undefined, contentType: string | undefined): boolean {
    const route = routeFor(this.settings, this.rule, this.override);
    return decideScope(route, this.settings.routesOnly, { method: 'GET', status: 200, contentType, disposition, path: file.replace(/\\/g, '/') }).inScope;
  }

  /** `labelRoute` (of this or another copy of labelgate) refines this request's options. */
  refine(options: object, where: string): void {
    const compiled = routeOptionsFor(this.settings, options, where);
    // Headers already decided (labelRoute after the handler started sending): too late to change.
    if (this.interceptor.mode !== 'pending') return;
    this.override = compiled;
    const { req } = this;
    const labeled = compiled.enabled !== false;
    if (!labeled && this.guarded) {
      restoreGuarded(req.headers, this.guarded);
      this.guarded = undefined;
    } else if (labeled && !this.guarded && (req.method === 'GET' || req.method === 'HEAD')) this.guarded = guardRequest(req.headers);
  }

  decide(): void {
    try {
      this.decideOrThrow();
    } catch (err) {
      // labelgate's own failure while deciding or starting the capture (e.g. custom types the
      // scanner cannot compile): the fail mode answers. It must never escape into the app's
      // res.send/res.write (Express's error handler would cut a response we already hold).
      const mode = this.interceptor.mode;
      // Already answered (passed through, 304) or the client is gone: nothing left to decide.
      if (mode !== 'pending' && mode !== 'capture') return;
      this.download ??= new Download(this, this.settings.globalRoute, this.minimalInfo());
      this.interceptor.hold();
      void this.download.failStreaming(err);
    }
  }

  /** Download facts without any app callback (when building the real ones failed). */
  private minimalInfo(): DownloadInfo {
    const { req, res } = this;
    return {
      method: req.method ?? 'GET',
      route: undefined,
      requestId: cleanRequestId(req.headers['x-request-id']) ?? randomUUID(),
      user: undefined,
      filename: undefined,
      identifier: undefined,
      contentType: header(res, 'content-type'),
      etag: undefined,
      ifNoneMatch: undefined,
      cors: false,
      startedAt: performance.now(),
    };
  }

  private decideOrThrow(): void {
    const { settings, req, res, interceptor } = this;
    // The handler has answered: downstream middleware and loggers see the request as it came.
    if (this.guarded) restoreGuarded(req.headers, this.guarded);
    const route = routeFor(settings, this.rule, this.override);
    const contentType = header(res, 'content-type');
    const head = req.method === 'HEAD';
    const scope = decideScope(route, settings.routesOnly, {
      method: head ? 'GET' : (req.method ?? 'GET'),
      status: res.statusCode,
      contentType,
      disposition: header(res, 'content-disposition'),
      path: this.path,
    });
    if (head && scope.inScope && res.statusCode === 200 && !res.destroyed) {
      applyPlanHeaders(headOfLabeled(header(res, 'cache-control')), res);
      interceptor.pass();
      return;
    }
    if (!scope.inScope || head || res.destroyed) {
      const guarded = this.guarded;
      if (guarded && res.statusCode === 200 && !res.destroyed && isFresh(guarded, header(res, 'etag'), header(res, 'last-modified'))) interceptor.notModified();
      else interceptor.pass();
      return;
    }
    this.download = new Download(this, route, {
      method: req.method ?? 'GET',
      route: routeName(route, req),
      requestId: requestIdOf(settings, req),
      user: safeCall(route.user, req) ?? userFromObject(req.user),
      filename: scope.filename,
      identifier: safeCall(route.identifier, req) ?? scope.filename,
      contentType,
      etag: header(res, 'etag'),
      ifNoneMatch: ifNoneMatchOf(req.headers, this.guarded),
      cors: res.hasHeader('access-control-allow-origin'),
      cacheControl: header(res, 'cache-control'),
      startedAt: performance.now(),
    });
    this.download.start(scope.partial);
  }

  captureEnded(): void {
    void this.download?.finish();
  }

  captureFailed(err: unknown): void {
    void this.download?.failStreaming(err);
  }

  aborted(): void {
    this.download?.aborted();
  }
}

/** Labeling of one in-scope response: capture, pipeline, fail mode, output, audit. */
class Download {
  private readonly abort = new AbortController();
  private capture: Capture | undefined;
  private logged = false;

  constructor(
    private readonly request: RequestLabeling,
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
    this.capture = startCapture(this.request.settings, this.route, this.info, (err) => {
      if (this.interceptor.mode === 'capture') {
        this.interceptor.hold();
        void this.failStreaming(err);
      }
    });
    this.interceptor.capture(this.capture.spool);
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

  private async send(plan: ResponsePlan, continueWithApp: boolean): Promise<void> {
    const { interceptor, res } = this;
    const bytes = await interceptor.send({
      status: plan.status,
      headers: (r) => applyPlanHeaders(plan, r),
      parts: planParts(plan, this.capture),
      continueWithApp,
    });
    if (interceptor.current() === 'aborted') return;
    if (continueWithApp && interceptor.current() === 'pass') {
      // The rest of the body flows through untouched: audit when it is done.
      interceptor.countPassBytes = true;
      const done = () => this.audit(plan, res.statusCode, bytes + interceptor.passBytes);
      res.once('finish', done);
      res.once('close', done);
      return;
    }
    this.audit(plan, res.statusCode, bytes);
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
    if (this.capture) this.audit(abortedResult(this.info, this.route, this.capture.spool.size), undefined, 0);
    this.dispose();
  }
}

/** Wire one request: guard it, wrap its response, and label the response if it turns out in scope. */
function install(settings: HttpSettings<ExpressRequest>, req: ExpressRequest, res: ServerResponse, override: CompiledRouteOptions<ExpressRequest> | undefined): RequestLabeling {
  const path = pathOf(req);
  const rule = settings.rules.length > 0 ? matchRule(settings, req.method ?? 'GET', path, req) : undefined;
  return new RequestLabeling(settings, req, res, rule, override, path);
}

/** `app.use(expressLabeling(options))`: label every in-scope download of the app. */
export function expressLabeling(options: ExpressLabelingOptions = {}): ExpressLabelingMiddleware {
  const settings = compileSettings<ExpressRequest>(options, 'expressLabeling options');
  const middleware = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    // Installed once per response (a second expressLabeling, or a labelRoute, refines it).
    if (!ResponseInterceptor.isIntercepted(res)) install(settings, req as ExpressRequest, res, undefined);
    next();
  };
  return Object.assign(middleware, { labeler: settings.labeler, close: () => closeMiddleware(settings) });
}

export interface LabelRouteOptions extends ExpressRouteOptions {
  /** Only used when no `expressLabeling` middleware runs before this route: the labeler to use. */
  labeler?: Labeler | undefined;
  /** Only used without `expressLabeling`: the audit logger. */
  logger?: AuditLogger | undefined;
  /** Only used without `expressLabeling`: the temp directory. */
  tempDir?: string | undefined;
}

/**
 * Route-level options: `app.get('/hr/export.csv', labelRoute({ minimumLabel: 'Confidential' }), handler)`.
 * With `expressLabeling` installed it refines that middleware's options for this route; on its own
 * it labels the route's responses itself (with `options.labeler`, or the embedded default policy).
 */
export function labelRoute(options: LabelRouteOptions = {}): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const { labeler, logger, tempDir, ...routeOptions } = options;
  // The shape is checked now (a typo in an option name or value fails at start-up); label names
  // are checked against the policy of the middleware the route runs under, on its first request.
  const compiled = compileRouteOptions(routeOptions, 'labelRoute options');
  checkResolved(resolveRoute([compiled], true), 'labelRoute options');
  let standalone: HttpSettings<ExpressRequest> | undefined;
  return (req, res, next) => {
    const r = req as ExpressRequest;
    const where = `labelRoute options (route ${r.method ?? 'GET'} ${routePathOf(r)})`;
    try {
      const target = routeTargetOf(res);
      if (target) refineTarget(target, routeOptions, where);
      else if (!ResponseInterceptor.isIntercepted(res)) {
        standalone ??= compileSettings<ExpressRequest>({ labeler, logger, tempDir }, 'labelRoute options');
        const own = routeOptionsFor(standalone, routeOptions, where);
        if (own.enabled !== false) install(standalone, r, res, own);
      }
    } catch (err) {
      // A configuration error of this route (e.g. a label the policy does not have): the app's
      // error handling answers, on every request of the route; it was logged once.
      next(err);
      return;
    }
    next();
  };
}

/** The route pattern for messages (never the raw URL, which can carry personal data). */
function routePathOf(req: ExpressRequest): string {
  const p = req.route?.path;
  return typeof p === 'string' ? p : '(unnamed)';
}

export type { AuditLogger, AuditEvent } from './audit.js';
export type { FailMode, RouteRule, RouteLabelOptions, HttpLabelingOptions, CustomSensitiveTypeInput } from './options.js';
export type { Problem } from './fail-mode.js';
/** Diagnostics: whether text formats are classified in worker threads here. */
export { scanWorkersAvailable } from './scan-offload.js';
