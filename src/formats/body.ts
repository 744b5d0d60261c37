/**
 * `SourceBody` implementations for bodies that are already in memory or on disk.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { SourceBody } from './types.js';

const CHUNK = 64 * 1024;

export function bufferBody(buffer: Buffer): SourceBody {
  return {
    size: buffer.length,
    bytes: () => Promise.resolve(buffer),
    async *chunks() {
      for (let i = 0; i < buffer.length; i += CHUNK) yield buffer.subarray(i, Math.min(buffer.length, i + CHUNK));
    },
  };
}

export async function fileBody(path: string): Promise<SourceBody> {
  const { size } = await stat(path);
  return {
    size,
    bytes: () => readFile(path),
    async *chunks() {
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) yield chunk as Buffer;
    },
  };
}

/** The first `n` bytes of a body (for sniffing). */
export async function headOf(body: SourceBody, n = 8192): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  for await (const chunk of body.chunks()) {
    parts.push(chunk);
    have += chunk.length;
    if (have >= n) break;
  }
  const head = Buffer.concat(parts);
  return head.length > n ? head.subarray(0, n) : head;
}
