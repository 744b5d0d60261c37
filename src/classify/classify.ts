/**
 * `classify(input, options)`: scan a whole input — a Buffer, a string, a Node or web readable
 * stream, or any (async) iterable of chunks — and return its classificationResult[].
 */
import { LabelgateError } from '../errors.js';
import type { ClassificationResult } from '../graph-types.js';
import type { ClassifyInput, ClassifyOptions, Scanner } from './api.js';
import { createScanner } from './scanner.js';

function isWebStream(value: unknown): value is ReadableStream<Uint8Array | string> {
  return typeof value === 'object' && value !== null && typeof (value as ReadableStream).getReader === 'function';
}
function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function writeChunk(scanner: Scanner, chunk: unknown): void {
  if (typeof chunk === 'string' || chunk instanceof Uint8Array) {
    scanner.write(chunk);
    return;
  }
  throw new LabelgateError('INPUT_INVALID', `classify: stream chunks must be Buffers, Uint8Arrays or strings (got ${chunk === null ? 'null' : typeof chunk})`);
}

/** Feed `input` into `scanner` (without ending it). */
export async function feedScanner(scanner: Scanner, input: ClassifyInput): Promise<void> {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    scanner.write(input);
    return;
  }
  if (isWebStream(input)) {
    const reader = input.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        writeChunk(scanner, value);
      }
    } finally {
      reader.releaseLock();
    }
    return;
  }
  if (isAsyncIterable(input)) {
    for await (const chunk of input) writeChunk(scanner, chunk);
    return;
  }
  if (isIterable(input)) {
    for (const chunk of input) writeChunk(scanner, chunk);
    return;
  }
  throw new LabelgateError(
    'INPUT_INVALID',
    'classify: input must be a Buffer, Uint8Array, string, readable stream or iterable of chunks',
  );
}

/**
 * Classify a whole input with the built-in catalog plus `options.customTypes`. Returns one result
 * per (sensitive type, confidence level), with the number of distinct values found.
 */
export async function classify(input: ClassifyInput, options: ClassifyOptions = {}): Promise<ClassificationResult[]> {
  const scanner = createScanner(options);
  await feedScanner(scanner, input);
  return scanner.end();
}
