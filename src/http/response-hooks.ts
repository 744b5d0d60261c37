/**
 * How labelgate hooks a Node/Express response (used by `intercept-express.ts`). Two ways, with the
 * same wrapper logic:
 *
 * - **Through Express's response prototype** (the default when it is safe). Express gives each
 *   response a new prototype (`app.response` → Express's `response` object →
 *   `http.ServerResponse.prototype`), after which V8 no longer caches property additions on it:
 *   every own property stored on the response copies its 45-entry map (~1.7 µs each, measured),
 *   so own-property wrappers cost every response 5 µs or more. Instead, labelgate inserts one
 *   gated layer between Express's `response` object and `http.ServerResponse.prototype`, once per
 *   copy of Express, and stores one property per response (into a slot its server's response
 *   constructor already added, see `prepareSlot`). The layer's methods forward at once (one
 *   property lookup) unless the response has a labelgate interceptor that hooks through it; so
 *   other responses, other apps of the same Express copy and other servers behave exactly as
 *   before. Mounted sub-apps keep the layer: Express chains a mounted app's `response` to its
 *   parent's (on 'mount') and restores the parent's when leaving it. No prototype or method of
 *   Node's is modified, and Node's methods are looked up at call time (instrumentation that wraps
 *   them later still runs).
 * - **Own-property wrappers on that one response**, as `compression` does: when something has
 *   already wrapped the response (e.g. `compression` registered earlier, which must see labeled
 *   bytes, or an APM agent), when the response has no Express prototype (plain `node:http`),
 *   when a prototype above the layer defines these methods itself, or with
 *   `responseHooks: 'per-response'`.
 */
import { ServerResponse as NodeServerResponse, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { RouteTarget } from './route-target.js';

// The original methods are called with whatever arguments the app passed.
export type AnyMethod = (this: ServerResponse, ...args: unknown[]) => unknown;

/**
 * What a labelgate middleware leaves on a response it owns: its interceptor, or — while it defers
 * (`routesOnly`, until a `labelRoute` says the route is a report) — a claim in mode `'deferred'`
 * that hooks nothing. Later middlewares of any labelgate copy see the response is taken.
 */
export interface ResponseClaim {
  readonly mode: string;
  /** Where `labelRoute` hands its options for this response (the middleware's request state). */
  readonly routeTarget: RouteTarget | undefined;
  /** Hooked through the prototype layer (else through own-property wrappers, or not hooked). */
  readonly viaPrototype: boolean;
}

/** Mode of a claim that hooks nothing yet. */
export const DEFERRED = 'deferred';

/** What the wrappers call into (the interceptor of one response). */
export interface HookTarget extends ResponseClaim {
  readonly origWriteHead: AnyMethod;
  readonly origWrite: AnyMethod;
  readonly origEnd: AnyMethod;
  // Called while labelgate handles the response. Arguments are passed by name, not as `arguments`
  // (handing `arguments` on makes V8 allocate it; forwarding it with apply does not).
  writeHeadCall(res: ServerResponse, statusCode: unknown, reasonOrHeaders: unknown, headers: unknown): unknown;
  writeCall(res: ServerResponse, chunk: unknown, encoding: unknown, callback: unknown): boolean;
  endCall(res: ServerResponse, chunk: unknown, encoding: unknown, callback: unknown): unknown;
}

/**
 * The one property labelgate stores on a hooked response: its interceptor. Symbol.for, so the ESM
 * and the CommonJS build (both loaded when an app mixes `import` and `require`) see each other's.
 * One property, because each property added to an Express response copies its map (see above);
 * a WeakMap entry instead measured about twice that (ephemeron bookkeeping in every scavenge).
 */
export const HOOKED = Symbol.for('labelgate.interceptor');
export type Hooked = ServerResponse & { [HOOKED]?: ResponseClaim };

/** The claim on a response (of this or another copy of labelgate): an interceptor or a deferral. */
export function claimOf(res: object): ResponseClaim | undefined {
  return (res as Hooked)[HOOKED];
}

/** The interceptor of a response (of this or another copy of labelgate), if it is hooked. */
export function hookOf(res: object): HookTarget | undefined {
  const claim = (res as Hooked)[HOOKED];
  return claim === undefined || claim.mode === DEFERRED ? undefined : (claim as HookTarget);
}

/**
 * Servers whose responses are created with the property's slot. Storing a property an object
 * already has changes no map; adding one to an Express response copies its map (Express has
 * swapped its prototype by then) — about 2 µs per response with the garbage, two thirds of
 * labelgate's own cost on a pass-through response (measured in-process). So on the first request
 * labelgate meets from a server, it has that server create its responses with the slot in place
 * (`undefined`, added by the constructor while the object still has Node's shared maps, where
 * the transition is cached): later responses only store into it.
 *
 * How: Node's HTTP server creates each response as `new server[kServerResponse](req, …)`, the
 * class an app may pass as `createServer({ ServerResponse })`; when that is Node's own class,
 * labelgate puts a subclass there whose constructor only adds the slot. The server's listeners
 * and the response's methods do not change; Express swaps the prototype of its responses right
 * after, and other handlers of the server get instances of the subclass (still `instanceof
 * http.ServerResponse`). A server with an app-provided class, or a Node without that field, keeps
 * the plain property add.
 */
const slotted = new WeakSet<object>();
let SlottedResponse: object | undefined;
function slottedResponseClass(): object {
  // Named parameters, and the name given by the class itself: a rest-parameter constructor, or
  // redefining the class's `name` afterwards, made each response cost ~5 µs more (measured).
  // `res.constructor.name` still says ServerResponse before Express swaps the prototype.
  SlottedResponse ??= class ServerResponse extends NodeServerResponse {
    constructor(req: IncomingMessage, options?: unknown) {
      // @ts-expect-error Node's server passes its options as a second argument (not in the types).
      super(req, options);
      (this as unknown as Hooked)[HOOKED] = undefined;
    }
  };
  return SlottedResponse;
}

/** Called for a response nothing has claimed: if it came without the slot, have its server create later ones with it. */
export function prepareSlot(req: { socket?: unknown }, res: object): void {
  if (hasOwn(res, HOOKED)) return;
  const server = (req.socket as { server?: unknown } | null | undefined)?.server as Record<symbol, unknown> | null | undefined;
  if (!server || typeof server !== 'object' || slotted.has(server)) return;
  slotted.add(server);
  for (const key of Object.getOwnPropertySymbols(server)) {
    if (key.description === 'ServerResponse' && server[key] === NodeServerResponse) {
      server[key] = slottedResponseClass();
      return;
    }
  }
}

/** Leave a deferral on a response nothing has claimed (one property, as for an interceptor). */
export function claimDeferred(res: ServerResponse, claim: ResponseClaim): void {
  (res as Hooked)[HOOKED] = claim;
}

/** The methods below labelgate for one response. */
export interface Originals {
  writeHead: AnyMethod;
  write: AnyMethod;
  end: AnyMethod;
}

// Own-property wrappers: labelgate sits between the app and whatever was there before (Node's
// methods, or a wrapper such as `compression` registered earlier, which then sees labeled bytes).
export function writeHeadWrapper(this: Hooked, a?: unknown, b?: unknown, c?: unknown) {
  const i = (this as Hooked)[HOOKED] as HookTarget;
  // eslint-disable-next-line prefer-rest-params
  if (i.mode === 'pass' || i.mode === 'aborted') return i.origWriteHead.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  return i.writeHeadCall(this, a, b, c);
}
export function writeWrapper(this: Hooked, a?: unknown, b?: unknown, c?: unknown) {
  const i = (this as Hooked)[HOOKED] as HookTarget;
  // eslint-disable-next-line prefer-rest-params
  if (i.mode === 'pass' || i.mode === 'aborted') return i.origWrite.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  return i.writeCall(this, a, b, c);
}
export function endWrapper(this: Hooked, a?: unknown, b?: unknown, c?: unknown) {
  const i = (this as Hooked)[HOOKED] as HookTarget;
  // eslint-disable-next-line prefer-rest-params
  if (i.mode === 'pass' || i.mode === 'aborted') return i.origEnd.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  return i.endCall(this, a, b, c);
}
// No flushHeaders wrapper: Node's flushHeaders calls writeHead (through _implicitHeader), which
// decides; with the headers held, its flush writes nothing.

// Both builds of labelgate (ESM and CommonJS) recognize the layer by this brand and share it.
const LAYER = Symbol.for('labelgate.responseLayer.v1');
const NODE_PROTO = NodeServerResponse.prototype as unknown as Record<string, AnyMethod>;

function hasOwn(o: object, key: PropertyKey): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}
function definesHooked(o: object): boolean {
  return hasOwn(o, 'writeHead') || hasOwn(o, 'write') || hasOwn(o, 'end');
}

/** The gated layer: forwards to Node's methods (looked up per call) unless the response is hooked through it. */
function createLayer(): object {
  const next = NODE_PROTO;
  // A deferral is never viaPrototype: the response is not hooked then.
  const hooked = (res: Hooked): HookTarget | undefined => {
    const i = res[HOOKED];
    return i !== undefined && i.viaPrototype && i.mode !== 'pass' && i.mode !== 'aborted' ? (i as HookTarget) : undefined;
  };
  const layer = Object.create(next) as object;
  Object.defineProperties(layer, {
    [LAYER]: { value: true },
    writeHead: {
      configurable: true,
      writable: true,
      value: function writeHead(this: Hooked, a?: unknown, b?: unknown, c?: unknown) {
        const i = hooked(this);
        // eslint-disable-next-line prefer-rest-params
        return i === undefined ? next.writeHead!.apply(this, arguments as unknown as unknown[]) : i.writeHeadCall(this, a, b, c);
      },
    },
    write: {
      configurable: true,
      writable: true,
      value: function write(this: Hooked, a?: unknown, b?: unknown, c?: unknown) {
        const i = hooked(this);
        // eslint-disable-next-line prefer-rest-params
        return i === undefined ? next.write!.apply(this, arguments as unknown as unknown[]) : i.writeCall(this, a, b, c);
      },
    },
    end: {
      configurable: true,
      writable: true,
      value: function end(this: Hooked, a?: unknown, b?: unknown, c?: unknown) {
        const i = hooked(this);
        // eslint-disable-next-line prefer-rest-params
        return i === undefined ? next.end!.apply(this, arguments as unknown as unknown[]) : i.endCall(this, a, b, c);
      },
    },
  });
  return layer;
}
let ownLayer: object | undefined;

// Node's methods, looked up per call (instrumentation may wrap them after labelgate was loaded).
const BELOW_LAYER: Originals = {
  writeHead(this: ServerResponse) {
    // eslint-disable-next-line prefer-rest-params
    return NODE_PROTO.writeHead!.apply(this, arguments as unknown as unknown[]);
  },
  write(this: ServerResponse) {
    // eslint-disable-next-line prefer-rest-params
    return NODE_PROTO.write!.apply(this, arguments as unknown as unknown[]);
  },
  end(this: ServerResponse) {
    // eslint-disable-next-line prefer-rest-params
    return NODE_PROTO.end!.apply(this, arguments as unknown as unknown[]);
  },
};

/**
 * Put the layer beneath every copy of Express loaded in the process (each copy's `response`
 * module object, found in the CommonJS module cache by its shape: Express is CommonJS, also when
 * imported). An app of another copy can take a response over in ways no router walk sees (an app
 * used as a handler inside a mounted sub-app, a handler calling it): its prototype chain still
 * passes through the layer then. Called when labelgate first meets an app; a copy bundled into
 * another module, or loaded only after that, is not found (docs/http.md).
 */
export function layerBeneathLoadedExpressCopies(): boolean {
  let ok = true;
  let cache: Record<string, { exports?: unknown } | undefined>;
  try {
    cache = createRequire(join(process.cwd(), 'labelgate.js')).cache as typeof cache;
  } catch {
    return true;
  }
  for (const key of Object.keys(cache)) {
    const exported = cache[key]?.exports as Record<string, unknown> | undefined;
    if (!exported || typeof exported !== 'object' || typeof exported.sendFile !== 'function' || typeof exported.send !== 'function') continue;
    const up = Object.getPrototypeOf(exported) as object | null;
    if (up !== NODE_PROTO && !(up !== null && hasOwn(up, LAYER))) continue;
    if (!ensureLayerBeneath(exported)) ok = false;
  }
  return ok;
}

/**
 * Make sure the layer is in the prototype chain from `start` up to `http.ServerResponse.prototype`
 * (inserting it beneath the last object before Node's prototype: Express's `response` of that
 * copy), with nothing in between that defines `writeHead`/`write`/`end` itself. False when that
 * cannot be ensured (no Node prototype in the chain, a frozen object, methods defined above).
 */
export function ensureLayerBeneath(start: object | null): boolean {
  let o = start;
  for (let depth = 0; depth < 32 && o !== null; depth++) {
    if (hasOwn(o, LAYER)) return true;
    // A prototype (e.g. an extended app.response) defines these itself: it may not call down the chain.
    if (definesHooked(o)) return false;
    const up = Object.getPrototypeOf(o) as object | null;
    if (up === NODE_PROTO) {
      if (!Object.isExtensible(o)) return false;
      ownLayer ??= createLayer();
      Object.setPrototypeOf(o, ownLayer);
      return true;
    }
    o = up;
  }
  return false;
}

/**
 * Can this response be hooked through the prototype layer? Installs the layer under the response's
 * Express prototype on first use. Returns the methods below the layer, or `undefined` when
 * own-property wrappers are needed (see the module comment for when).
 */
export function prototypeHooks(res: ServerResponse): Originals | undefined {
  if (definesHooked(res)) return undefined;
  const proto = Object.getPrototypeOf(res) as object | null;
  // Plain node:http: no prototype swap, so own properties are cheap there.
  if (proto === NODE_PROTO || proto === null) return undefined;
  return ensureLayerBeneath(proto) ? BELOW_LAYER : undefined;
}

/** Write-path helpers shared by the interceptor. */
export function toBuffer(chunk: unknown, encoding: BufferEncoding | undefined): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const err = new TypeError('The "chunk" argument must be of type string or an instance of Buffer or Uint8Array') as TypeError & { code: string };
  err.code = 'ERR_INVALID_ARG_TYPE';
  throw err;
}

/**
 * Copy `writeHead`'s header argument onto the response the way Node merges it: an object replaces
 * each named header (`setHeader`); a flat raw array `[k1, v1, k2, v2]` first removes every named
 * header, then appends the values (so it replaces what `setHeader` set before, and keeps explicit
 * duplicates within the array). Headers that then describe the body (Content-Length, ETag) are
 * single-valued before labelgate replaces them.
 */
export function adoptHeaders(res: ServerResponse, headers: unknown): void {
  if (!headers) return;
  if (Array.isArray(headers)) {
    // Pairs ([[k, v], ...]) are not a Node form; they are accepted and merged like the flat one.
    const flat = headers.length > 0 && Array.isArray(headers[0]) ? (headers as unknown[][]).flatMap((p) => [p[0], p[1]]) : headers;
    if (flat.length % 2 !== 0) {
      const err = new TypeError(`The argument 'headers' is invalid (an odd number of raw header entries)`) as TypeError & { code: string };
      err.code = 'ERR_INVALID_ARG_VALUE';
      throw err;
    }
    for (let i = 0; i < flat.length; i += 2) if (flat[i]) res.removeHeader(String(flat[i]));
    for (let i = 0; i < flat.length; i += 2) if (flat[i]) res.appendHeader(String(flat[i]), flat[i + 1] as string | string[]);
    return;
  }
  for (const [k, v] of Object.entries(headers as OutgoingHttpHeaders)) if (k && v !== undefined) res.setHeader(k, v);
}

export function afterEnd(): Error {
  const err = new Error('write after end') as Error & { code: string };
  err.code = 'ERR_STREAM_WRITE_AFTER_END';
  return err;
}


