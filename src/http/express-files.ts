/**
 * `res.sendFile` / `res.download` and Range or conditional requests.
 *
 * Express answers these through `send`, which reads `Range`, `If-None-Match` and
 * `If-Modified-Since` from the request *before* it sets Content-Type and writes headers: a 206
 * slice or a 304 built from the unlabeled file is decided before labelgate sees the response.
 * Requests whose URL already looks like a report have those headers set aside up front (see
 * `conditional.ts`); for the others (`/download/:id`), this wraps `res.sendFile` on that one
 * response and sets them aside when the file about to be sent would be labeled — judged from its
 * path, the Content-Disposition `res.download` passes along, and a Content-Type already set.
 */
import type { ServerResponse } from 'node:http';
import { header } from './conditional.js';

/** Would a 200 for this file be labeled? (`path` = file path, `disposition`/`contentType` if known.) */
export type FileScopeCheck = (path: string, disposition: string | undefined, contentType: string | undefined) => boolean;

type SendFile = (this: ServerResponse, ...args: unknown[]) => unknown;

function headerOption(options: unknown, name: string): string | undefined {
  const headers = (options as { headers?: unknown } | null | undefined)?.headers;
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() === name && typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * Wrap `res.sendFile` (own property; `res.download` calls it) so that `guard()` runs before
 * `send` reads the request when the file is in scope. No-op for responses without `sendFile`.
 */
export function guardFileSends(res: ServerResponse, inScope: FileScopeCheck, guard: () => void): void {
  const original = (res as ServerResponse & { sendFile?: SendFile }).sendFile;
  if (typeof original !== 'function') return;
  const wrapped: SendFile = function (this: ServerResponse, ...args) {
    const [path, options] = args;
    if (typeof path === 'string') {
      const opts = typeof options === 'function' ? undefined : options;
      const disposition = header(this, 'content-disposition') ?? headerOption(opts, 'content-disposition');
      const contentType = header(this, 'content-type') ?? headerOption(opts, 'content-type');
      if (inScope(path, disposition, contentType)) guard();
    }
    return original.apply(this, args);
  };
  Object.defineProperty(res, 'sendFile', { value: wrapped, writable: true, configurable: true, enumerable: false });
}
