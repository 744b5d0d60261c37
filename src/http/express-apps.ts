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
 * before the first request). Apps the walk cannot see (inside a mounted sub-app, added to a nested
 * router later, called by a handler) are covered when their copy of Express was loaded before the
 * app's first request: every loaded copy gets the layer then (`layerBeneathLoadedExpressCopies`).
 */
import { ensureLayerBeneath, layerBeneathLoadedExpressCopies } from './response-hooks.js';

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
// Whether every Express copy loaded when labelgate met the app has the layer.
const copiesCovered = new WeakMap<object, boolean>();

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
  // First meeting with this app: every Express copy loaded by now gets the layer (remembered: the
  // module cache is walked once per app).
  let copies = copiesCovered.get(app);
  if (copies === undefined) copiesCovered.set(app, (copies = layerBeneathLoadedExpressCopies()));
  if (!copies) return false;
  const stack = stackOf(app);
  if (!stack) {
    walked.set(app, -1);
    return true;
  }
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
