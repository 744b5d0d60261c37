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
import { guardRequest, isFresh, restoreGuarded, type GuardedHeaders } from './conditional.js';
import { ResponseInterceptor } from './intercept-express.js';
import { abortedResult, failurePlan, labelCaptured, startCapture, type Capture, type DownloadInfo, type LabelResult, type ResponsePlan } from './label-response.js';
import { resolveFailure } from './fail-mode.js';
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
}

interface RequestState {
  settings: HttpSettings<ExpressRequest>;
  rule: ReturnType<typeof matchRule<ExpressRequest>>;
  override: CompiledRouteOptions<ExpressRequest> | undefined;
  guarded: GuardedHeaders | undefined;
  interceptor: ResponseInterceptor;
  path: string;
}

const STATE = Symbol.for('labelgate.express.state');
type WithState = ExpressRequest & { [STATE]?: RequestState };

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
function mayBeLabeled(state: Omit<RequestState, 'interceptor' | 'guarded'>): boolean {
  const { settings, rule, override, path } = state;
  if (settings.guardAllRequests) return true;
  if (override) return override.enabled !== false;
  if (rule) return rule.options.enabled !== false;
  if (settings.routesOnly || settings.global.enabled === false) return false;
  const ext = extname(path).toLowerCase();
  return ext !== '' && scopeHasExtension(settings.globalRoute.formats, ext);
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

function applyPlanHeaders(plan: ResponsePlan, res: ServerResponse): void {
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

/** Wire one request: guard it, wrap its response, and label the response if it turns out in scope. */
function install(settings: HttpSettings<ExpressRequest>, req: WithState, res: ServerResponse, override: CompiledRouteOptions<ExpressRequest> | undefined): RequestState {
  const path = pathOf(req);
  const rule = settings.rules.length > 0 ? matchRule(settings, req.method ?? 'GET', path, req) : undefined;
  const base = { settings, rule, override, path };
  const guarded = req.method === 'GET' && mayBeLabeled(base) ? guardRequest(req.headers) : undefined;

  let route: ResolvedRoute<ExpressRequest> | undefined;
  let capture: Capture | undefined;
  let info: DownloadInfo | undefined;
  let logged = false;
  // Created only for in-scope responses: pass-through requests stay as cheap as possible.
  let abort: AbortController | undefined;

  const logger = (): AuditLogger => settings.logger ?? (isAuditLogger(req.log) ? req.log : defaultAuditLogger());
  const audit = (result: LabelResult, status: number | undefined, bytesOut: number) => {
    if (logged) return;
    logged = true;
    writeAudit(logger(), {
      ...result.audit,
      status,
      bytesOut,
      durationMs: Math.round((performance.now() - info!.startedAt) * 10) / 10,
    });
  };
  const dispose = () => {
    capture?.spool.dispose().catch(() => {});
  };

  const send = async (plan: ResponsePlan, continueWithApp: boolean) => {
    const bytes = await interceptor.send({
      status: plan.status,
      headers: (r) => applyPlanHeaders(plan, r),
      parts: planParts(plan, capture),
      continueWithApp,
    });
    if (interceptor.mode === 'aborted') return;
    if (continueWithApp && interceptor.mode === 'pass') {
      // The rest of the body flows through untouched: audit when it is done.
      interceptor.countPassBytes = true;
      const done = () => audit(plan, res.statusCode, bytes + interceptor.passBytes);
      res.once('finish', done);
      res.once('close', done);
      return;
    }
    audit(plan, res.statusCode, bytes);
  };

  /** A failure before or during capture: the body is incomplete, so headers-only for open/label. */
  const failStreaming = async (err: unknown) => {
    try {
      const resolution = await resolveFailure(err, {
        labeler: settings.labeler,
        route: route!,
        requestId: info!.requestId,
        body: undefined,
        contentType: info!.contentType,
        identifier: info!.identifier,
        user: info!.user,
        signal: abort!.signal,
      });
      if (interceptor.mode === 'aborted') return;
      const plan = failurePlan(resolution, info!, route!, capture?.spool.size ?? 0, header(res, 'access-control-expose-headers'), false);
      // Every captured byte must be on disk before it is replayed ahead of the app's next writes.
      if (plan.outcome !== 'blocked' && capture) await capture.spool.seal();
      await send(plan, plan.outcome !== 'blocked');
    } catch {
      res.destroy();
    } finally {
      dispose();
    }
  };

  const finish = async () => {
    try {
      if (!(res.statusCode >= 200 && res.statusCode < 300)) {
        // The handler switched to an error while its body was captured (e.g. a stream failed and an
        // error handler answered): what was captured is a mix that must not be labeled as a report.
        const err = new LabelgateError('LABELING_FAILED', `the handler changed the response to status ${res.statusCode} while it was being captured`);
        const resolution = await resolveFailure(err, { labeler: settings.labeler, route: { ...route!, failMode: 'closed' }, requestId: info!.requestId, contentType: info!.contentType, identifier: info!.identifier, user: info!.user, signal: abort!.signal });
        const plan = failurePlan(resolution, info!, route!, capture!.spool.size, undefined, true);
        plan.status = res.statusCode;
        await send(plan, false);
        return;
      }
      const result = await labelCaptured(settings, route!, capture!, info!, abort!.signal, header(res, 'access-control-expose-headers'));
      if (result.outcome === 'aborted' || interceptor.mode === 'aborted') {
        audit(abortedResult(info!, route!, capture!.spool.size), undefined, 0);
        return;
      }
      await send(result, false);
    } catch {
      // Headers may already be out: a truncated response must not look complete.
      res.destroy();
    } finally {
      dispose();
    }
  };

  const interceptor = new ResponseInterceptor(res, {
    decide() {
      route = routeFor(settings, rule, state.override);
      const contentType = header(res, 'content-type');
      const scope = decideScope(route, settings.routesOnly, {
        method: req.method ?? 'GET',
        status: res.statusCode,
        contentType,
        disposition: header(res, 'content-disposition'),
        path,
      });
      if (!scope.inScope) {
        if (state.guarded && res.statusCode === 200 && isFresh(state.guarded, header(res, 'etag'), header(res, 'last-modified'))) interceptor.notModified();
        else interceptor.pass();
        return;
      }
      abort = new AbortController();
      info = {
        method: req.method ?? 'GET',
        route: routeName(route, req),
        requestId: requestIdOf(settings, req),
        user: safeCall(route.user, req) ?? userFromObject(req.user),
        filename: scope.filename,
        identifier: safeCall(route.identifier, req) ?? scope.filename,
        contentType,
        etag: header(res, 'etag'),
        ifNoneMatch: state.guarded ? state.guarded.ifNoneMatch : req.headers['if-none-match'],
        cors: res.hasHeader('access-control-allow-origin'),
        startedAt: performance.now(),
      };
      const encoding = header(res, 'content-encoding');
      if (scope.partial || (encoding && encoding.toLowerCase() !== 'identity')) {
        interceptor.hold();
        const err = scope.partial
          ? new LabelgateError('PARTIAL_CONTENT', 'a partial (206) response cannot be labeled; labeled routes must not serve byte ranges')
          : new LabelgateError('FORMAT_UNSUPPORTED', `a compressed (Content-Encoding: ${encoding}) response cannot be labeled; register compression before labelgate`);
        void failStreaming(err);
        return;
      }
      capture = startCapture(settings, route, info, (err) => {
        if (interceptor.mode === 'capture') {
          interceptor.hold();
          void failStreaming(err);
        }
      });
      interceptor.capture(capture.spool);
    },
    captureEnded() {
      void finish();
    },
    captureFailed(err) {
      void failStreaming(err);
    },
    aborted() {
      abort?.abort();
      if (capture && info && route) audit(abortedResult(info, route, capture.spool.size), undefined, 0);
      dispose();
    },
  });

  const state: RequestState = { ...base, guarded, interceptor };
  req[STATE] = state;
  return state;
}

/** `app.use(expressLabeling(options))`: label every in-scope download of the app. */
export function expressLabeling(options: ExpressLabelingOptions = {}): ExpressLabelingMiddleware {
  const settings = compileSettings<ExpressRequest>(options, 'expressLabeling options');
  const middleware = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const r = req as WithState;
    if (!r[STATE]) install(settings, r, res, undefined);
    next();
  };
  return Object.assign(middleware, { labeler: settings.labeler });
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
  const compiled = compileRouteOptions(routeOptions, 'labelRoute options');
  checkResolved(resolveRoute([compiled], true), 'labelRoute options');
  let standalone: HttpSettings<ExpressRequest> | undefined;
  return (req, res, next) => {
    const r = req as WithState;
    const state = r[STATE];
    if (state && state.interceptor.mode === 'pending') {
      state.override = compiled;
      const labeled = compiled.enabled !== false;
      if (!labeled && state.guarded) {
        restoreGuarded(r.headers, state.guarded);
        state.guarded = undefined;
      } else if (labeled && !state.guarded && r.method === 'GET') state.guarded = guardRequest(r.headers);
    } else if (!state) {
      standalone ??= compileSettings<ExpressRequest>({ labeler, logger, tempDir }, 'labelRoute options');
      if (compiled.enabled !== false) install(standalone, r, res, compiled);
    }
    next();
  };
}

export type { AuditLogger, AuditEvent } from './audit.js';
export type { FailMode, RouteRule, RouteLabelOptions, HttpLabelingOptions, CustomSensitiveTypeInput } from './options.js';
export type { Problem } from './fail-mode.js';
