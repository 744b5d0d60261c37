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
import { guardRequest, hasGuardable, header, headOfLabeled, ifNoneMatchOf, isFresh, restoreGuarded, type GuardedHeaders } from './conditional.js';
import { guardFileSends } from './express-files.js';
import { ResponseInterceptor, type InterceptHandlers } from './intercept-express.js';
import type { DownloadInfo } from './label-response.js';
import { Download, applyPlanHeaders } from './express-download.js';
import { closerFor } from './close.js';
import { layerCoversNestedApps } from './express-apps.js';
import { ROUTE_PROTOCOL_VERSION, refineTarget, routeOptionsFor, routeTargetOf, type RouteTarget } from './route-target.js';
import { claimDeferred, claimOf, DEFERRED, prepareSlot, type ResponseClaim } from './response-hooks.js';
import type { AuditLogger } from './audit.js';
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
   * On shutdown (after `server.close()`): release this middleware's share of the scan worker
   * threads (they stop when every middleware is closed, after their running scans), and close the
   * labeler when the middleware created it (a labeler passed in as `labeler` stays open).
   * Not required for the process to exit (idle workers never keep it alive).
   */
  close(): Promise<void>;
}

function pathOf(req: ExpressRequest): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
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

/**
 * One request: its route options, guarded headers and response interceptor. Pass-through responses
 * only ever allocate this and the interceptor; the labeling machinery (`Download`) is created when a
 * response turns out to be in scope.
 */
class RequestLabeling implements InterceptHandlers, RouteTarget {
  readonly version = ROUTE_PROTOCOL_VERSION;
  readonly interceptor: ResponseInterceptor;
  /** labelRoute finds this request's state through the response's interceptor. */
  get routeTarget(): RouteTarget {
    return this;
  }
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
    unclaimed = false,
  ) {
    this.override = override;
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    this.guarded = readOnly && mayBeLabeled(settings, rule, override, path) ? guardRequest(req.headers) : undefined;
    // Through the prototype layer unless configured otherwise or an app in the router tree cannot get it.
    const perResponse = settings.perResponseHooks || !layerCoversNestedApps((req as { app?: unknown }).app);
    this.interceptor = new ResponseInterceptor(res, this, perResponse, unclaimed);
    if (readOnly && !this.guarded && hasGuardable(req.headers)) guardFileSends(res, (file, disposition, contentType) => this.fileInScope(file, disposition, contentType), () => this.guardNow());
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

/** Wire one request: guard it, wrap its response, and label the response if it turns out in scope. */
function install(settings: HttpSettings<ExpressRequest>, req: ExpressRequest, res: ServerResponse, override: CompiledRouteOptions<ExpressRequest> | undefined): RequestLabeling {
  const path = pathOf(req);
  const rule = settings.rules.length > 0 ? matchRule(settings, req.method ?? 'GET', path, req) : undefined;
  return new RequestLabeling(settings, req, res, rule, override, path);
}

/**
 * `routesOnly` and no rule of the match table for this request: only a `labelRoute` further down
 * can bring it in scope. Until one does, the response is not hooked: it carries this claim instead
 * of an interceptor (in the same one property), and the route's `labelRoute` installs the
 * interceptor with this middleware's settings.
 */
class DeferredRequest implements RouteTarget, ResponseClaim {
  readonly version = ROUTE_PROTOCOL_VERSION;
  readonly mode = DEFERRED;
  readonly viaPrototype = false;
  get routeTarget(): RouteTarget {
    return this;
  }

  constructor(
    private readonly settings: HttpSettings<ExpressRequest>,
    private readonly req: ExpressRequest,
    private readonly res: ServerResponse,
  ) {}

  refine(options: object, where: string): void {
    const compiled = routeOptionsFor(this.settings, options, where);
    if (compiled.enabled === false || ResponseInterceptor.isIntercepted(this.res) || this.res.headersSent) return;
    // Deferred only because no rule of the match table matched: none to look up again.
    new RequestLabeling(this.settings, this.req, this.res, undefined, compiled, pathOf(this.req));
  }
}

/** `app.use(expressLabeling(options))`: label every in-scope download of the app. */
export function expressLabeling(options: ExpressLabelingOptions = {}): ExpressLabelingMiddleware {
  const settings = compileSettings<ExpressRequest>(options, 'expressLabeling options');
  const middleware = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    // Installed once per response (a second expressLabeling, or a labelRoute, refines it).
    const r = req as ExpressRequest;
    // The first middleware owns the request, also while it defers (routesOnly): a later one
    // (e.g. router-level, with other settings) steps aside, as it does for a wrapped response.
    if (claimOf(res) === undefined) {
      prepareSlot(r, res);
      // The path and the match table are consulted once per request (a rule's function may be the app's).
      const path = pathOf(r);
      const rule = settings.rules.length > 0 ? matchRule(settings, r.method ?? 'GET', path, r) : undefined;
      if (rule || !settings.routesOnly || settings.guardAllRequests) new RequestLabeling(settings, r, res, rule, undefined, path, true);
      else claimDeferred(res, new DeferredRequest(settings, r, res));
    }
    next();
  };
  return Object.assign(middleware, { labeler: settings.labeler, close: closerFor(settings) });
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
      // The middleware's target: its claim on the response (an interceptor, or a deferral). An
      // older labelgate left its deferral on the request: found too, so the version check speaks.
      const target = claimOf(res)?.routeTarget ?? routeTargetOf(r);
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
