/**
 * CLI plumbing shared by the commands: streams, exit codes, reading `FILE|-` inputs.
 */
import { readFile } from 'node:fs/promises';
import { isLabelgateError, jsonSyntaxReason } from '../errors.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** 0 ok, 1 the operation failed, 2 the command line is wrong. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Read `path`, or stdin when `path` is `-`. */
export async function readInput(path: string, io: CliIo): Promise<Buffer> {
  if (path === '-') return readStream(io.stdin);
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `file not found: ${path}` : `cannot read ${path}: ${(err as Error).message}`);
  }
}

export async function readJsonInput(path: string, io: CliIo, what: string): Promise<unknown> {
  const text = (await readInput(path, io)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} (${path === '-' ? 'stdin' : path}) is not valid JSON: ${jsonSyntaxReason(err)}`);
  }
}

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Print an error the way every command does, and return its exit code. */
export function reportError(io: CliIo, err: unknown): number {
  if (err instanceof UsageError) {
    io.stderr.write(`labelgate: ${err.message}\nRun "labelgate --help" for usage.\n`);
    return EXIT.usage;
  }
  if (isLabelgateError(err)) {
    io.stderr.write(`labelgate: ${err.message}\n`);
    return EXIT.failure;
  }
  io.stderr.write(`labelgate: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.failure;
}
