/**
 * Express apps that a request can reach without being mounted with `app.use`: an app passed to
 * `router.use(app)` or used as a route handler. Mounting with `app.use` chains the sub-app's
 * `response` to its parent's (Express does that on 'mount'), so the prototype layer is inherited;
 * an app used as a plain handler instead swaps the response's prototype to its own `response` —
 * of its own copy of Express, which may be another one than the app's (Express 4 inside an
 * Express 5 app). Before labelgate hooks a response through the prototype layer, it makes sure
 * that every such app in the router tree has the layer beneath its response too.
 *
 * The tree is walked again when the app's top-level stack grows (routes are usually all added
 * before the first request). An app that a handler calls itself (`(req, res, next) =>
 * otherApp(req, res, next)`) cannot be seen here; docs/http.md says to use
 * `responseHooks: 'per-response'` then.
 */
import { ensureLayerBeneath } from './response-hooks.js';

interface LayerLike {
  handle?: unknown;
  route?: { stack?: unknown } | undefined;
}
interface ExpressAppLike {
  (...args: unknown[]): unknown;
  handle: (...args: unknown[]) => unknown;
  set: (...args: unknown[]) => unknown;
  response?: object;
  _router?: { stack?: unknown };
}

// Top-level stack length of each app at its last walk.
const walked = new WeakMap<object, number>();

function isApp(value: unknown): value is ExpressAppLike {
  return typeof value === 'function' && typeof (value as ExpressAppLike).handle === 'function' && typeof (value as ExpressAppLike).set === 'function';
}

/** Express 4 keeps its router in `_router`; Express 5 has a lazy `router` getter (Express 4's throws). */
function stackOf(app: ExpressAppLike): LayerLike[] | undefined {
  let router: unknown = app._router;
  if (router === undefined) {
    try {
      router = (app as unknown as { router?: unknown }).router;
    } catch {
      return undefined;
    }
  }
  const stack = (router as { stack?: unknown } | undefined)?.stack;
  return Array.isArray(stack) ? (stack as LayerLike[]) : undefined;
}

/**
 * Ensure the layer beneath every app reachable from `app` as a plain handler. False when one of
 * them cannot get it (the caller then hooks the response with own-property wrappers).
 */
export function layerCoversNestedApps(app: unknown): boolean {
  if (!isApp(app)) return true;
  const stack = stackOf(app);
  if (!stack) return true;
  if (walked.get(app) === stack.length) return true;
  const ok = walkStack(stack, new Set([app]));
  // Only a successful walk is remembered: a failing one is repeated (and answered the same way).
  if (ok) walked.set(app, stack.length);
  return ok;
}

function walkStack(stack: LayerLike[], seen: Set<unknown>): boolean {
  for (const layer of stack) {
    if (!visit(layer?.handle, seen)) return false;
    const routeStack = layer?.route?.stack;
    if (Array.isArray(routeStack)) for (const inner of routeStack as LayerLike[]) if (!visit(inner?.handle, seen)) return false;
  }
  return true;
}

function visit(handle: unknown, seen: Set<unknown>): boolean {
  if (handle === null || (typeof handle !== 'function' && typeof handle !== 'object') || seen.has(handle)) return true;
  seen.add(handle);
  if (isApp(handle)) {
    if (!handle.response || !ensureLayerBeneath(handle.response)) return false;
    const stack = stackOf(handle);
    return stack ? walkStack(stack, seen) : true;
  }
  // A Router: a function (Express 4/5) with its own stack.
  const stack = (handle as { stack?: unknown }).stack;
  return Array.isArray(stack) ? walkStack(stack as LayerLike[], seen) : true;
}
