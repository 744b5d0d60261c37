/**
 * Koa response bodies as byte chunks: whatever `ctx.body` holds (Buffer, string, Node stream, web
 * `ReadableStream`, `Blob`, `Response`, or a value Koa sends as JSON) read as one iterator.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { connectionOf } from './output-meter.js';
import { LabelgateError } from '../errors.js';

function isNodeStream(body: unknown): body is NodeJS.ReadableStream & AsyncIterable<unknown> {
  return typeof body === 'object' && body !== null && typeof (body as { pipe?: unknown }).pipe === 'function';
}

export function asChunk(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new LabelgateError('INPUT_INVALID', 'the response stream produced a chunk that is not bytes or text');
}

/** Koa's body, as an iterator of byte chunks (`undefined`: nothing to label). */
export function bodyIterator(body: unknown): AsyncIterator<unknown> | undefined {
  if (body === null || body === undefined) return undefined;
  if (Buffer.isBuffer(body) || typeof body === 'string') return [body][Symbol.iterator]() as unknown as AsyncIterator<unknown>;
  if (isNodeStream(body)) return body[Symbol.asyncIterator]();
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return Readable.fromWeb(body as never)[Symbol.asyncIterator]();
  if (typeof Blob !== 'undefined' && body instanceof Blob) return Readable.fromWeb(body.stream() as never)[Symbol.asyncIterator]();
  if (typeof Response !== 'undefined' && body instanceof Response) {
    return body.body ? Readable.fromWeb(body.body as never)[Symbol.asyncIterator]() : [][Symbol.iterator]() as unknown as AsyncIterator<unknown>;
  }
  // Anything else Koa sends as JSON.
  return [JSON.stringify(body)][Symbol.iterator]() as unknown as AsyncIterator<unknown>;
}

export async function* concat(...sources: (Iterable<Buffer> | AsyncIterable<Buffer>)[]): AsyncGenerator<Buffer> {
  for (const source of sources) yield* source;
}

export async function* rest(iterator: AsyncIterator<unknown>): AsyncGenerator<Buffer> {
  for (;;) {
    const { done, value } = await iterator.next();
    if (done) return;
    yield asChunk(value);
  }
}

/**
 * The labeled body as Koa's pipe gets it: in pieces of at most 64 KiB, so what Node has written
 * out (`countWrittenOut`) is known piece by piece — a body captured in one piece would be one
 * write, counted only once all of it is out — and the pipe's backpressure holds the rest back.
 */
export const PIPE_PIECE = 64 * 1024;
export async function* inPieces(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    if (chunk.length <= PIPE_PIECE) yield chunk;
    else for (let at = 0; at < chunk.length; at += PIPE_PIECE) yield chunk.subarray(at, at + PIPE_PIECE);
  }
}

/**
 * Count what Node writes out of a response Koa pipes a labeled body into (for the audit: a hang-up
 * after the last byte was taken is a delivery, one before it an abort with what was written).
 * Koa writes the body itself, so labelgate wraps this one response's `write`, as `compression`
 * does: each write gets a callback that counts its bytes once Node has written them, unless the
 * connection was gone by then (Node also calls back for writes a destroyed socket dropped).
 */
export function countWrittenOut(res: ServerResponse, count: (bytes: number) => void): void {
  const write = res.write;
  const connection = connectionOf(res);
  res.write = function countedWrite(this: ServerResponse, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding as BufferEncoding | undefined) : (chunk as Uint8Array | undefined)?.byteLength ?? 0;
    return (write as (this: ServerResponse, ...args: unknown[]) => boolean).call(this, chunk, encoding, (err?: Error | null) => {
      if (!err && connection?.destroyed !== true) count(n);
      if (typeof callback === 'function') (callback as (err?: Error | null) => void)(err);
    });
  } as ServerResponse['write'];
}
