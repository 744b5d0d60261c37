/**
 * How labelgate hooks a Node/Express response (used by `intercept-express.ts`): own-property
 * wrappers on that one response, as `compression` does. Nothing global is patched, so other
 * responses, servers and instrumentation (APM agents wrap the same methods) are never affected.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

// The original methods are called with whatever arguments the app passed.
export type AnyMethod = (this: ServerResponse, ...args: unknown[]) => unknown;

/** What the wrappers call into (the interceptor of one response). */
export interface HookTarget {
  readonly mode: string;
  readonly origWriteHead: AnyMethod;
  readonly origWrite: AnyMethod;
  readonly origEnd: AnyMethod;
  writeHeadCall(res: ServerResponse, args: IArguments): unknown;
  writeCall(res: ServerResponse, args: IArguments): boolean;
  endCall(res: ServerResponse, args: IArguments): unknown;
}

// Symbol.for: a second copy of labelgate (ESM and CJS builds both loaded) sees the first one's interceptor.
export const INTERCEPTOR = Symbol.for('labelgate.interceptor');
export type Intercepted = ServerResponse & { [INTERCEPTOR]?: HookTarget };

// Own-property wrappers: labelgate sits between the app and whatever was there before (Node's
// methods, or a wrapper such as `compression` registered earlier, which then sees labeled bytes).
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
// No flushHeaders wrapper: Node's flushHeaders calls writeHead (through _implicitHeader), which
// decides; with the headers held, its flush writes nothing. Every own-property wrapper costs each
// response a few µs in V8, so there are only the three that are needed.

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


