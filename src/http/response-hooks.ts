/**
 * The two ways labelgate hooks a Node/Express response (used by `intercept-express.ts`):
 * own-property wrappers on one response, or a once-patched `http.ServerResponse.prototype` whose
 * wrappers are inert for responses labelgate does not intercept.
 */
import { ServerResponse as NodeServerResponse, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';

// The original methods are called with whatever arguments the app passed.
export type AnyMethod = (this: ServerResponse, ...args: unknown[]) => unknown;

/** What the wrappers call into (the interceptor of one response). */
export interface HookTarget {
  readonly mode: string;
  readonly viaPrototype: boolean;
  readonly origWriteHead: AnyMethod;
  readonly origWrite: AnyMethod;
  readonly origEnd: AnyMethod;
  writeHeadCall(res: ServerResponse, args: IArguments): unknown;
  writeCall(res: ServerResponse, args: IArguments): boolean;
  endCall(res: ServerResponse, args: IArguments): unknown;
  flushHeadersCall(res: ServerResponse): void;
}

// Symbol.for: a second copy of labelgate (ESM and CJS builds both loaded) sees the first one's interceptor.
export const INTERCEPTOR = Symbol.for('labelgate.interceptor');
export type Intercepted = ServerResponse & { [INTERCEPTOR]?: HookTarget };

// Own-property wrappers, used when something outside labelgate has already wrapped the response
// (e.g. `compression` registered before it): labelgate then sits between the app and that wrapper.
export function writeHeadWrapper(this: Intercepted) {
  const i = this[INTERCEPTOR]!;
  // eslint-disable-next-line prefer-rest-params
  if (i.mode === 'pass' || i.mode === 'aborted') return i.origWriteHead.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  return i.writeHeadCall(this, arguments);
}
export function writeWrapper(this: Intercepted) {
  const i = this[INTERCEPTOR]!;
  // eslint-disable-next-line prefer-rest-params
  if (i.mode === 'pass' || i.mode === 'aborted') return i.origWrite.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  return i.writeCall(this, arguments);
}
export function endWrapper(this: Intercepted) {
  const i = this[INTERCEPTOR]!;
  // eslint-disable-next-line prefer-rest-params
  if (i.mode === 'pass' || i.mode === 'aborted') return i.origEnd.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  return i.endCall(this, arguments);
}
export function flushHeadersWrapper(this: Intercepted) {
  this[INTERCEPTOR]!.flushHeadersCall(this);
}

export interface Originals {
  writeHead: AnyMethod;
  write: AnyMethod;
  end: AnyMethod;
  flushHeaders: AnyMethod;
}
let originals: Originals | undefined;

/**
 * The fast path. Storing own `write`/`end`/`writeHead` properties on every response costs several
 * microseconds per request in V8 (Express responses are dictionary-mode objects after their
 * prototype swap), which is most of a small JSON response's budget. When nothing has wrapped the
 * response yet, labelgate instead wraps `http.ServerResponse.prototype` once: the wrappers forward
 * immediately unless the response carries a prototype-mode interceptor, so other responses are
 * unaffected, and mounted sub-apps (which swap the prototype again) stay covered.
 */
export function patchServerResponse(): Originals {
  if (originals) return originals;
  const proto = NodeServerResponse.prototype as unknown as Record<string, AnyMethod>;
  const parent = Object.getPrototypeOf(proto) as Record<string, AnyMethod>;
  const original = (name: keyof Originals): AnyMethod => {
    if (Object.prototype.hasOwnProperty.call(proto, name)) return proto[name]!;
    // Inherited (OutgoingMessage): look it up at call time, like the prototype chain would.
    return function (this: ServerResponse) {
      // eslint-disable-next-line prefer-rest-params
      return parent[name]!.apply(this, arguments as unknown as unknown[]);
    };
  };
  const o: Originals = { writeHead: original('writeHead'), write: original('write'), end: original('end'), flushHeaders: original('flushHeaders') };
  originals = o;
  const viaPrototype = (res: Intercepted) => {
    const i = res[INTERCEPTOR];
    return i !== undefined && i.viaPrototype ? i : undefined;
  };
  proto.writeHead = function writeHead(this: Intercepted) {
    const i = viaPrototype(this);
    // Forwarding with apply(this, arguments) lets V8 skip materializing `arguments`.
    // eslint-disable-next-line prefer-rest-params
    if (i === undefined || i.mode === 'pass' || i.mode === 'aborted') return o.writeHead.apply(this, arguments as unknown as unknown[]);
    // eslint-disable-next-line prefer-rest-params
    return i.writeHeadCall(this, arguments);
  };
  proto.write = function write(this: Intercepted) {
    const i = viaPrototype(this);
    // Forwarding with apply(this, arguments) lets V8 skip materializing `arguments`.
    // eslint-disable-next-line prefer-rest-params
    if (i === undefined || i.mode === 'pass' || i.mode === 'aborted') return o.write.apply(this, arguments as unknown as unknown[]);
    // eslint-disable-next-line prefer-rest-params
    return i.writeCall(this, arguments);
  };
  proto.end = function end(this: Intercepted) {
    const i = viaPrototype(this);
    // Forwarding with apply(this, arguments) lets V8 skip materializing `arguments`.
    // eslint-disable-next-line prefer-rest-params
    if (i === undefined || i.mode === 'pass' || i.mode === 'aborted') return o.end.apply(this, arguments as unknown as unknown[]);
    // eslint-disable-next-line prefer-rest-params
    return i.endCall(this, arguments);
  };
  proto.flushHeaders = function flushHeaders(this: Intercepted) {
    const i = viaPrototype(this);
    return i ? i.flushHeadersCall(this) : o.flushHeaders.apply(this, []);
  };
  return o;
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

/** Copy `writeHead`'s header argument onto the response (object, flat raw array or pairs). */
export function adoptHeaders(res: ServerResponse, headers: unknown): void {
  if (!headers) return;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [k, v] of headers as [string, string][]) res.appendHeader(k, v);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) res.appendHeader(String(headers[i]), headers[i + 1] as string);
    }
    return;
  }
  for (const [k, v] of Object.entries(headers as OutgoingHttpHeaders)) if (v !== undefined) res.setHeader(k, v);
}

export function afterEnd(): Error {
  const err = new Error('write after end') as Error & { code: string };
  err.code = 'ERR_STREAM_WRITE_AFTER_END';
  return err;
}

export const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export { NodeServerResponse };
