import { readFileSync } from 'node:fs';
import { createScanner, type ClassificationResult, type MatchExplanation, type ScannerOptions } from '../../src/index.js';

export interface ScanOutput {
  results: ClassificationResult[];
  matches: MatchExplanation[];
}

/** Scan a whole input in one write, with explanations. */
export function scan(input: string | Buffer, options: ScannerOptions = {}): ScanOutput {
  const scanner = createScanner({ ...options, explain: true });
  scanner.write(input);
  const results = scanner.end();
  return { results, matches: scanner.explanations() };
}

/** Scan `input` split into the given chunks (byte offsets for Buffers, char offsets for strings). */
export function scanChunks(input: string | Buffer, cuts: number[], options: ScannerOptions = {}): ScanOutput {
  const scanner = createScanner({ ...options, explain: true });
  let prev = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    scanner.write(typeof input === 'string' ? input.slice(prev, cut) : input.subarray(prev, cut));
    prev = cut;
  }
  scanner.write(typeof input === 'string' ? input.slice(prev) : input.subarray(prev));
  return { results: scanner.end(), matches: scanner.explanations() };
}

/** [start, end) spans of the matches of the given types. */
export function spans(out: ScanOutput, typeIds: readonly string[], shift = 0): [number, number][] {
  return out.matches.filter((m) => typeIds.includes(m.sensitiveTypeId)).map((m) => [m.offset - shift, m.offset - shift + m.length]);
}

/** Distinct count of a type at or above a confidence. */
export function count(results: readonly ClassificationResult[], typeId: string, minConfidence = 0): number {
  return results.filter((r) => r.sensitiveTypeId === typeId && r.confidenceLevel >= minConfidence).reduce((n, r) => n + r.count, 0);
}

/** Confidence levels reported for a type. */
export function levels(results: readonly ClassificationResult[], typeId: string): number[] {
  return results.filter((r) => r.sensitiveTypeId === typeId).map((r) => r.confidenceLevel);
}

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/classify/${name}`, import.meta.url), 'utf8')) as T;
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/classify/${name}`, import.meta.url));
}
