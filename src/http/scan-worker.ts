/**
 * Worker-thread side of `scan-offload.ts`: runs one classifier scanner per captured download, so
 * classification uses another core while the app keeps generating the report. Built as its own
 * entry (`dist/scan-worker.js` / `.cjs`).
 *
 * Messages in: `start` (scanner options), `write` (a chunk), `peek`, `end`, `drop`.
 * Messages out: `ack` (bytes processed, for backpressure), `partial` (results so far, for a
 * `peek`), `done` (results), `error` (the code,
 * message and detail of a LabelgateError, which never quote content; of any other error only its
 * name: its message could quote content).
 */
import { parentPort } from 'node:worker_threads';
import { createScanner } from '../classify/index.js';
import type { Scanner, ScannerOptions } from '../classify/api.js';
import type { FromWorker, SerializedError, ToWorker } from './scan-offload.js';
import { isLabelgateError } from '../errors.js';

const scanners = new Map<number, Scanner>();

/** A LabelgateError's code, message and (plain-data) detail; nothing of any other error. */
function serialize(err: unknown): SerializedError | undefined {
  if (!isLabelgateError(err)) return undefined;
  let detail: Record<string, unknown> | undefined;
  try {
    detail = err.detail ? (JSON.parse(JSON.stringify(err.detail)) as Record<string, unknown>) : undefined;
  } catch {
    detail = undefined;
  }
  return { code: err.code, message: err.message, detail };
}
const port = parentPort;

if (port) {
  port.on('message', (msg: ToWorker) => {
    try {
      switch (msg.t) {
        case 'start':
          scanners.set(msg.id, createScanner(msg.options as ScannerOptions));
          break;
        case 'write': {
          const scanner = scanners.get(msg.id);
          if (!scanner) break;
          scanner.write(Buffer.from(msg.chunk.buffer, msg.chunk.byteOffset, msg.chunk.byteLength));
          port.postMessage({ t: 'ack', id: msg.id, bytes: msg.chunk.byteLength });
          break;
        }
        case 'end': {
          const scanner = scanners.get(msg.id);
          scanners.delete(msg.id);
          if (scanner) port.postMessage({ t: 'done', id: msg.id, results: scanner.end() });
          break;
        }
        case 'peek': {
          const scanner = scanners.get(msg.id);
          if (scanner) port.postMessage({ t: 'partial', id: msg.id, results: scanner.resultsSoFar() } satisfies FromWorker);
          break;
        }
        case 'drop':
          scanners.delete(msg.id);
          break;
      }
    } catch (err) {
      scanners.delete(msg.id);
      port.postMessage({ t: 'error', id: msg.id, name: err instanceof Error ? err.name : typeof err, error: serialize(err) } satisfies FromWorker);
    }
  });
}
