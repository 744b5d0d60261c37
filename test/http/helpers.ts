/**
 * Shared fixtures for the HTTP adapter suites: policies (including hostile label names), report
 * data with planted sensitive values, a pino logger writing to memory, temp directories, and a raw
 * HTTP client for tests that need to stop reading or disconnect mid-download.
 */
import { expect } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import express5 from 'express';
import { LabelgateError, LocalEngine, SIT, createLabeler, loadPolicySync, type Labeler, type PolicyInput } from '../../src/index.js';
import type { EvaluationEngine } from '../../src/evaluate/engine.js';

export const SITE_ID = '11111111-2222-4333-8444-555555555555';
export const LABEL = {
  public: '0b8a3c0e-0000-4000-8000-000000000001',
  general: '0b8a3c0e-0000-4000-8000-000000000002',
  confidential: '0b8a3c0e-0000-4000-8000-000000000003',
  secret: '0b8a3c0e-0000-4000-8000-000000000004',
  protectedLabel: '0b8a3c0e-0000-4000-8000-000000000005',
} as const;

/** A label name built to break headers: CR/LF, quotes, backslash, percent, semicolon, non-ASCII. */
export const EVIL_NAME = 'Confidential\r\nX-Injected: yes; "quoted" \\ 100% – Vertraulich ÄÖÜ 機密';

/** A test policy: Confidential for one card/SSN, Secret (with a header marking) for 10+ cards. */
export function testPolicy(overrides: { confidentialName?: string } = {}): PolicyInput {
  return {
    name: 'http test policy',
    settings: { siteId: SITE_ID, defaultLabelId: LABEL.general, isDowngradeJustificationRequired: true },
    labels: [
      { id: LABEL.public, name: 'Public', sensitivity: 0 },
      { id: LABEL.general, name: 'General', sensitivity: 1 },
      {
        id: LABEL.confidential,
        name: overrides.confidentialName ?? 'Confidential',
        sensitivity: 2,
        autoLabeling: {
          mode: 'automatic',
          conditions: [
            { sensitiveTypeId: SIT.creditCard, minCount: 1, minConfidence: 65 },
            { sensitiveTypeId: SIT.usSsn, minCount: 1, minConfidence: 65 },
          ],
        },
      },
      {
        id: LABEL.secret,
        name: 'Secret',
        sensitivity: 3,
        autoLabeling: { mode: 'automatic', conditions: [{ sensitiveTypeId: SIT.creditCard, minCount: 10, minConfidence: 65 }] },
        markings: { header: { text: 'SECRET - internal only' } },
      },
      { id: LABEL.protectedLabel, name: 'Protected', sensitivity: 4, protection: { kind: 'doNotForward' } },
    ],
  };
}

export function testLabeler(overrides?: { confidentialName?: string }): Labeler {
  return createLabeler({ policy: testPolicy(overrides), now: () => new Date('2026-11-23T10:00:00Z') });
}

/** Luhn-valid test card numbers (issuer test ranges) and valid-looking SSNs/emails to plant. */
export const PLANTED = {
  cards: ['4111111111111111', '5555555555554444', '4012888888881881', '378282246310005', '6011111111111117'],
  ssns: ['536-90-4399', '234-56-7890', '345-67-8901'],
  emails: ['alice.planted@example.com', 'bob.planted@example.org'],
} as const;

export function allPlanted(): string[] {
  return [...PLANTED.cards, ...PLANTED.ssns, ...PLANTED.emails];
}

/** A CSV with one customer per line; `cards` lines carry a card number, the rest none. */
export function customersCsv(rows: number, options: { cards?: number; ssns?: number } = {}): string {
  const lines = ['id,name,email,card,ssn,notes'];
  for (let i = 0; i < rows; i++) {
    const card = i < (options.cards ?? 0) ? PLANTED.cards[i % PLANTED.cards.length]! : '';
    const ssn = i < (options.ssns ?? 0) ? PLANTED.ssns[i % PLANTED.ssns.length]! : '';
    const email = i < 2 ? PLANTED.emails[i]! : '';
    lines.push(`${i},Customer ${i},${email},${card},${ssn},order batch ${i % 7}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Distinct card numbers (Luhn-valid) so counts are exact. */
export function luhnCards(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const body = `4000${String(100000000 + i).padStart(11, '0')}`;
    for (let d = 0; d < 10; d++) {
      const candidate = body + d;
      let sum = 0;
      for (let k = 0; k < candidate.length; k++) {
        let x = candidate.charCodeAt(candidate.length - 1 - k) - 48;
        if (k % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
        sum += x;
      }
      if (sum % 10 === 0) {
        out.push(candidate);
        break;
      }
    }
  }
  return out;
}

export interface LogCapture {
  logger: pino.Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
  events: () => Record<string, unknown>[];
}

/** A pino logger that writes JSON lines to memory. */
export function captureLogs(): LogCapture {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, text, lines, events: () => lines().filter((l) => l.labelgate !== undefined) };
}

export function tempDir(): { path: string; files: () => string[]; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'labelgate-http-test-'));
  return { path, files: () => readdirSync(path), cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export async function waitFor(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Running {
  port: number;
  close: () => Promise<void>;
}

export function listen(handler: http.RequestListener): Promise<Running> {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** A GET whose body is collected; `onFirstByte` fires when the first body bytes arrive. */
export function get(
  port: number,
  path: string,
  options: { headers?: http.OutgoingHttpHeaders; onFirstByte?: () => void; method?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, path, host: '127.0.0.1', method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const parts: Buffer[] = [];
      let first = true;
      res.on('data', (c: Buffer) => {
        if (first) {
          first = false;
          options.onFirstByte?.();
        }
        parts.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** An engine that behaves like a Graph tenant that cannot be reached for evaluations. */
export class UnreachableGraphEngine implements EvaluationEngine {
  readonly kind = 'graph' as const;
  private readonly inner: LocalEngine;
  constructor(policy: PolicyInput) {
    this.inner = new LocalEngine(loadPolicySync(policy));
  }
  listLabels() {
    return this.inner.listLabels();
  }
  policySettings() {
    return this.inner.policySettings();
  }
  evaluateClassificationResults(): never {
    throw new LabelgateError('GRAPH_UNAVAILABLE', 'Microsoft Graph could not be reached (test outage)');
  }
  evaluateApplication(...args: Parameters<LocalEngine['evaluateApplication']>) {
    return this.inner.evaluateApplication(...args);
  }
  evaluateRemoval(...args: Parameters<LocalEngine['evaluateRemoval']>) {
    return this.inner.evaluateRemoval(...args);
  }
  extractContentLabel(...args: Parameters<LocalEngine['extractContentLabel']>) {
    return this.inner.extractContentLabel(...args);
  }
  customTypes() {
    return this.inner.customTypes();
  }
  close() {
    return this.inner.close();
  }
}

/** Parse the `Sensitivity-Label` header (sf-string or display string values). */
export function parseSensitivityLabel(value: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const re = /([a-z][a-z0-9_.*-]*)=(%"(?:[^"%]|%[0-9a-f]{2})*"|"(?:[^"\\]|\\.)*"|-?\d+|[A-Za-z*][A-Za-z0-9:/!#$%&'*+.^_`|~-]*)(?:,\s*|$)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(value))) {
    consumed = re.lastIndex;
    const raw = m[2]!;
    if (raw.startsWith('%"')) {
      const bytes: number[] = [];
      const inner = raw.slice(2, -1);
      for (let i = 0; i < inner.length; i++) {
        if (inner[i] === '%') {
          bytes.push(parseInt(inner.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(inner.charCodeAt(i));
      }
      out[m[1]!] = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
    } else if (raw.startsWith('"')) out[m[1]!] = raw.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (/^-?\d+$/.test(raw)) out[m[1]!] = Number(raw);
    else out[m[1]!] = raw;
  }
  if (consumed !== value.length) throw new Error(`not a valid Sensitivity-Label header: ${value}`);
  return out;
}

/** Express 5 and Express 4 (the `express4` alias package), for suites that run against both. */
export const EXPRESS_VERSIONS: [string, typeof express5][] = [
  ['Express 5', express5],
  ['Express 4', createRequire(import.meta.url)('express4') as typeof express5],
];

/**
 * Express 5 and 4, each with both ways of hooking a response: through the gated prototype layer
 * (`'auto'`, the default) and with own-property wrappers (`'per-response'`).
 */
export const EXPRESS_HOOK_MATRIX: [string, 'auto' | 'per-response', typeof express5][] = EXPRESS_VERSIONS.flatMap(
  ([name, express]) => (['auto', 'per-response'] as const).map((hooks): [string, 'auto' | 'per-response', typeof express5] => [name, hooks, express]),
);

/**
 * GET `path` on a fresh connection and hang up as soon as Content-Length bytes have arrived —
 * possibly before the server has called end(). Resolves with the declared length.
 */
export function readAllThenHangUp(port: number, path: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = http.get({ port, host: '127.0.0.1', path, agent: false }, (res) => {
      const length = Number(res.headers['content-length']);
      let got = 0;
      res.on('data', (c: Buffer) => {
        got += c.length;
        if (got >= length) {
          res.socket.destroy();
          resolve(length);
        }
      });
    });
    req.on('error', reject);
  });
}

/** Is the response hooked by labelgate (either way)? Its one property, shared by both builds (a deferral is not a hook). */
export function isHooked(res: object): boolean {
  const claim = (res as Record<symbol, { mode?: unknown } | undefined>)[Symbol.for('labelgate.interceptor')];
  return claim !== undefined && claim.mode !== 'deferred';
}

/**
 * The built package (dist/, through its `exports`), for tests of what only the build has: scan
 * workers (their entry is a built file). Loaded with `require`: the CommonJS entry.
 */
export function builtPackage(): { express: typeof import('../../src/http/express.js'); index: typeof import('../../src/index.js'); expressLib: typeof express5 } {
  const require = createRequire(import.meta.url);
  return {
    express: require('labelgate/express') as typeof import('../../src/http/express.js'),
    index: require('labelgate') as typeof import('../../src/index.js'),
    expressLib: require('express') as typeof express5,
  };
}

/**
 * Serve on a Unix socket. Its buffers hold ~200 KB, where loopback TCP here takes tens of MB:
 * a client that stops reading leaves a multi-MB body unwritten, as a slow network would.
 */
export function listenUnix(handler: http.RequestListener): Promise<{ socketPath: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'labelgate-sock-'));
  const socketPath = join(dir, 'http.sock');
  const server = http.createServer(handler);
  return new Promise((resolve) => {
    server.listen(socketPath, () =>
      resolve({
        socketPath,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => {
              rmSync(dir, { recursive: true, force: true });
              r();
            });
          }),
      }),
    );
  });
}

/**
 * GET `path` over the Unix socket, read the first chunk, stop reading, and hang up after `stallMs`.
 * Resolves with the response headers and whether the body ended (it should not have).
 */
export function stallThenHangUp(socketPath: string, path: string, stallMs = 200): Promise<{ headers: http.IncomingHttpHeaders; ended: boolean }> {
  return new Promise((resolve, reject) => {
    let ended = false;
    const req = http.get({ socketPath, path, agent: false }, (res) => {
      res.on('end', () => (ended = true));
      res.once('data', () => {
        res.pause();
        setTimeout(() => {
          req.destroy();
          resolve({ headers: res.headers, ended });
        }, stallMs);
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
  });
}

/**
 * Pipeline GET /big.csv and GET /second.csv on one connection to a Unix-socket server, read the
 * first bytes, stop reading and hang up: the second never gets its turn. Both downloads must be
 * audited `aborted` and leave no temp file.
 */
export async function expectPipelinedPairAborted(socketPath: string, logs: LogCapture, dir: { files: () => string[] }, stallMs = 250): Promise<void> {
  const socket = net.connect(socketPath);
  socket.on('error', () => {});
  socket.write('GET /big.csv HTTP/1.1\r\nHost: x\r\n\r\nGET /second.csv HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.pause();
  await new Promise((r) => setTimeout(r, stallMs));
  socket.destroy();
  await waitFor(() => logs.events().length === 2, 3000, 'two audit events');
  expect(logs.events().map((e) => (e.labelgate as { outcome: string }).outcome)).toEqual(['aborted', 'aborted']);
  await waitFor(() => dir.files().length === 0, 3000, 'temp files removed');
}
