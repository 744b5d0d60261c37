/**
 * How `labelRoute` reaches the labeling middleware of the same request — also when the two come
 * from different copies of labelgate. The package ships an ESM and a CommonJS build; an app that
 * `import`s `expressLabeling` while a router module `require`s `labelRoute` loads both, and their
 * classes, WeakMaps and module-local symbols differ. So the middleware leaves a small versioned
 * object under a registry symbol — on the Koa context; on an Express response it is part of the
 * middleware's one claim on the response (`response-hooks.ts`) — and `labelRoute` hands it the route's
 * options in their public shape (as the user wrote them). The middleware's
 * copy validates, compiles and caches them itself.
 */
import { LabelgateError, isLabelgateError } from '../errors.js';
import { checkResolved, compileRouteOptions, resolveRoute, type CompiledRouteOptions, type HttpSettings, type RouteLabelOptions } from './options.js';
import { findUnknownLabel, knownLabels } from './label-names.js';
import { defaultAuditLogger } from './audit.js';

/** The registry key both builds (and later versions) agree on, for requests and Koa contexts. */
export const ROUTE_TARGET: unique symbol = Symbol.for('labelgate.route') as never;

/**
 * Version of the protocol; bump it when `refine`'s contract or where the target is found changes.
 * 2: an Express middleware that defers keeps its target in the response's claim (1: on the request).
 */
export const ROUTE_PROTOCOL_VERSION = 2;

export interface RouteTarget {
  readonly version: number;
  /**
   * Refine this request's options with a route's options (`RouteLabelOptions`, as given to
   * `labelRoute`). `where` names the route for error messages. Throws a `LabelgateError` when the
   * options do not fit the middleware's policy (e.g. an unknown label).
   */
  refine(options: object, where: string): void;
}

type Holder = object & { [ROUTE_TARGET]?: RouteTarget };

/** Register the middleware's target on a Koa context. */
export function setRouteTarget(holder: object, target: RouteTarget): void {
  // Not enumerable: it must not show up when the app or a logger walks the request or context.
  Object.defineProperty(holder, ROUTE_TARGET, { value: target, configurable: true, enumerable: false, writable: true });
}

/** The target on a Koa context (or, from a labelgate of protocol 1, on a deferred Express request). */
export function routeTargetOf(holder: object): RouteTarget | undefined {
  return (holder as Holder)[ROUTE_TARGET];
}

/** Hand a route's options to the middleware (of whichever copy of labelgate installed it). */
export function refineTarget(target: RouteTarget, options: object, where: string): void {
  if (target.version !== ROUTE_PROTOCOL_VERSION || typeof target.refine !== 'function') {
    throw new LabelgateError(
      'INPUT_INVALID',
      `${where}: the labeling middleware of this request comes from another labelgate version (route protocol ${String(target.version)}, this labelRoute speaks ${ROUTE_PROTOCOL_VERSION}); load one version of labelgate`,
    );
  }
  target.refine(options, where);
}

/**
 * `labelRoute` options for this middleware: compiled, checked against its policy, cached per
 * options object. `labelRoute` is created before it can know the middleware (and so the policy)
 * it will run under, so a misspelled label is found here, on the route's first request: a
 * configuration error (`LABEL_NOT_FOUND`, naming the route and the labels there are), logged once
 * and thrown on every request of the route — never a silent fallback to other labels.
 */
export function routeOptionsFor<Ctx>(settings: HttpSettings<Ctx>, raw: object, where: string): CompiledRouteOptions<Ctx> {
  let entry = settings.routeCache.get(raw);
  if (!entry) {
    try {
      const compiled = compileRouteOptions(raw as RouteLabelOptions<Ctx>, where);
      checkResolved(resolveRoute([settings.global, compiled], true), where);
      const labels = knownLabels(settings.labeler);
      const unknown = labels && findUnknownLabel(compiled, labels);
      if (unknown) throw new LabelgateError('LABEL_NOT_FOUND', `${where}.${unknown.key}: ${unknown.message}`, { detail: { option: unknown.key } });
      entry = { compiled };
    } catch (err) {
      const error = isLabelgateError(err) ? err : new LabelgateError('INPUT_INVALID', `${where}: invalid route options`, { cause: err });
      entry = { error };
      const logger = settings.logger ?? defaultAuditLogger();
      try {
        logger.error({ labelgate: { event: 'labelgate.config', error: { code: error.code, message: error.message } } }, 'labelgate route configuration error');
      } catch {
        // Logging is best effort.
      }
    }
    settings.routeCache.set(raw, entry);
  }
  if ('error' in entry) throw entry.error;
  return entry.compiled;
}
