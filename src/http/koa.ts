/**
 * `labelgate/koa`: `koaLabeling(options)` for `app.use`, and `labelRoute(options)` for
 * `@koa/router` routes. Like `koa-compress`: `await next()`, then, for an in-scope response, read
 * `ctx.body` (Buffer, string, Node stream, web `ReadableStream`, `Blob`, `Response` or a JSON
 * value), label it, and replace `ctx.body` with the stamped body.
 *
 * Order: `app.use(compress()); app.use(conditional()); app.use(etag()); app.use(koaLabeling())` —
 * middleware registered before the labeler sees the labeled body and its headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import type { Labeler } from '../labeler.js';
import {
  checkResolved,
  compileRouteOptions,
  compileSettings,
  matchRule,
  resolveRoute,
  type CompiledRouteOptions,
  type HttpLabelingOptions,
  type HttpSettings,
  type RouteLabelOptions,
} from './options.js';
import { scopeHasExtension } from './scope.js';
import { guardRequest, restoreGuarded, type GuardedHeaders } from './conditional.js';
import { closerFor } from './close.js';
import { ROUTE_PROTOCOL_VERSION, refineTarget, routeOptionsFor, routeTargetOf, setRouteTarget, type RouteTarget } from './route-target.js';
import type { AuditLogger } from './audit.js';
import { labelResponse } from './koa-response.js';

/** The part of a Koa context labelgate uses (Koa's `Context` fits). */
export interface KoaContextLike {
  method: string;
  path: string;
  status: number;
  body: unknown;
  respond?: boolean | undefined;
  req: IncomingMessage;
  res: ServerResponse;
  state: unknown;
  set(field: string, val: string | string[]): void;
  remove(field: string): void;
}

export type KoaNext = () => Promise<unknown>;
export type KoaLabelingOptions = HttpLabelingOptions<KoaContextLike>;
export type KoaRouteOptions = RouteLabelOptions<KoaContextLike>;

export interface KoaLabelingMiddleware {
  (ctx: KoaContextLike, next: KoaNext): Promise<void>;
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

/** One request's labeling state; `labelRoute` (of this or another copy of labelgate) refines it. */
class ContextState implements RouteTarget {
  readonly version = ROUTE_PROTOCOL_VERSION;
  guarded: GuardedHeaders | undefined;

  constructor(
    readonly settings: HttpSettings<KoaContextLike>,
    readonly ctx: KoaContextLike,
    public override: CompiledRouteOptions<KoaContextLike> | undefined,
  ) {}

  refine(options: object, where: string): void {
    const compiled = routeOptionsFor(this.settings, options, where);
    this.override = compiled;
    const { ctx } = this;
    const labeled = compiled.enabled !== false;
    if (!labeled && this.guarded) {
      restoreGuarded(ctx.req.headers, this.guarded);
      this.guarded = undefined;
    } else if (labeled && !this.guarded && (ctx.method === 'GET' || ctx.method === 'HEAD')) this.guarded = guardRequest(ctx.req.headers);
  }
}

function mayBeLabeled(settings: HttpSettings<KoaContextLike>, rule: unknown, override: CompiledRouteOptions<KoaContextLike> | undefined, ruleEnabled: boolean, path: string): boolean {
  if (settings.guardAllRequests) return true;
  if (override) return override.enabled !== false;
  if (rule) return ruleEnabled;
  if (settings.routesOnly || settings.global.enabled === false) return false;
  const ext = extname(path).toLowerCase();
  return ext !== '' && scopeHasExtension(settings.globalRoute.formats, ext);
}

/** `app.use(koaLabeling(options))`: label every in-scope download of the app. */
export function koaLabeling(options: KoaLabelingOptions = {}): KoaLabelingMiddleware {
  const settings = compileSettings<KoaContextLike>(options, 'koaLabeling options');
  const middleware = (ctx: KoaContextLike, next: KoaNext) => run(settings, ctx, next, undefined);
  return Object.assign(middleware, { labeler: settings.labeler, close: closerFor(settings) });
}

async function run(settings: HttpSettings<KoaContextLike>, ctx: KoaContextLike, next: KoaNext, override: CompiledRouteOptions<KoaContextLike> | undefined): Promise<void> {
  // Labeled once per request (a second koaLabeling, of this or another copy of labelgate, defers).
  if (routeTargetOf(ctx)) {
    await next();
    return;
  }
  const rule = settings.rules.length > 0 ? matchRule(settings, ctx.method, ctx.path, ctx) : undefined;
  const state = new ContextState(settings, ctx, override);
  if ((ctx.method === 'GET' || ctx.method === 'HEAD') && mayBeLabeled(settings, rule, override, rule?.options.enabled !== false, ctx.path)) state.guarded = guardRequest(ctx.req.headers);
  setRouteTarget(ctx, state);
  try {
    await next();
  } finally {
    // Middleware registered before the labeler sees the request as it came.
    if (state.guarded) restoreGuarded(ctx.req.headers, state.guarded);
  }
  await labelResponse(settings, ctx, state, rule);
}

export interface LabelRouteOptions extends KoaRouteOptions {
  /** Only used when no `koaLabeling` middleware runs before this route: the labeler to use. */
  labeler?: Labeler | undefined;
  /** Only used without `koaLabeling`: the audit logger. */
  logger?: AuditLogger | undefined;
  /** Only used without `koaLabeling`: the temp directory. */
  tempDir?: string | undefined;
}

/**
 * Route-level options for `@koa/router`: `router.get('/hr/export.csv', labelRoute({ minimumLabel: 'Confidential' }), handler)`.
 * With `koaLabeling` installed it refines that middleware's options for this route; on its own it
 * labels the route's responses itself.
 */
export function labelRoute(options: LabelRouteOptions = {}): (ctx: KoaContextLike, next: KoaNext) => Promise<void> {
  const { labeler, logger, tempDir, ...routeOptions } = options;
  // The shape is checked now; label names against the policy the route runs under, on its first request.
  const compiled = compileRouteOptions(routeOptions, 'labelRoute options');
  checkResolved(resolveRoute([compiled], true), 'labelRoute options');
  let standalone: HttpSettings<KoaContextLike> | undefined;
  return async (ctx, next) => {
    const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
    const where = `labelRoute options (route ${ctx.method} ${typeof matched === 'string' ? matched : '(unnamed)'})`;
    const target = routeTargetOf(ctx);
    if (target) {
      // A configuration error (e.g. a label the policy does not have) is thrown to Koa's error
      // handling on every request of the route; it was logged once.
      refineTarget(target, routeOptions, where);
      await next();
      return;
    }
    standalone ??= compileSettings<KoaContextLike>({ labeler, logger, tempDir }, 'labelRoute options');
    const own = routeOptionsFor(standalone, routeOptions, where);
    if (own.enabled === false) {
      await next();
      return;
    }
    await run(standalone, ctx, next, own);
  };
}

export type { AuditLogger, AuditEvent } from './audit.js';
export type { FailMode, RouteRule, RouteLabelOptions, HttpLabelingOptions, CustomSensitiveTypeInput } from './options.js';
export type { Problem } from './fail-mode.js';
/** Diagnostics: whether text formats are classified in worker threads here. */
export { scanWorkersAvailable } from './scan-offload.js';
