/**
 * Shared pieces of the Graph engine tests: the app's credential (a plain object with getToken, as
 * an app may pass), a real pino logger writing into memory, and an engine pointed at an emulator.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { GraphEngine } from '../../src/evaluate/graph-engine.js';
import type { GraphOptions } from '../../src/graph/options.js';
import type { TokenCredential } from '../../src/graph/credential.js';
import { EMULATOR_TOKEN, type GraphEmulator } from '../graph-emulator/server.js';

export interface CountingCredential extends TokenCredential {
  scopes: string[][];
}

export function staticCredential(token = EMULATOR_TOKEN): CountingCredential {
  const scopes: string[][] = [];
  return {
    scopes,
    async getToken(requested) {
      scopes.push(Array.isArray(requested) ? [...requested] : [requested]);
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

export interface LogRecord {
  level: number;
  msg: string;
  event?: string;
  [key: string]: unknown;
}

/** A pino logger at debug level whose JSON lines are kept in `records`. */
export function memoryLogger(): { logger: pino.Logger; records: LogRecord[]; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return {
    logger,
    get records() {
      return lines.map((l) => JSON.parse(l) as LogRecord);
    },
    text: () => lines.join('\n'),
  };
}

export const WARN = 40;

/** An engine on the emulator with short, test-friendly time limits. */
export function engineFor(emulator: GraphEmulator, options: Partial<GraphOptions> = {}, now?: () => Date): GraphEngine {
  return new GraphEngine(
    {
      credential: staticCredential(),
      baseUrl: emulator.baseUrl,
      timeoutMs: 1_000,
      retry: { maxRetries: 2, maxWaitMs: 1_000 },
      ...options,
    },
    now ? { now } : {},
  );
}
