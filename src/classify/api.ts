/**
 * The classifier's public contract. `createScanner` is the streaming core (the HTTP capture layer
 * feeds it chunks while a response is being generated); `classify` wraps it for whole inputs.
 */
import type { ClassificationResult } from '../graph-types.js';
import type { CustomSensitiveType } from '../policy/schema.js';

export interface ScannerOptions {
  /** Organization-defined sensitive types to run besides the built-in catalog. */
  customTypes?: readonly CustomSensitiveType[] | undefined;
  /**
   * Treat the input as delimited text (CSV/TSV): the header row's column names corroborate every
   * value in their column (a `card_number` column corroborates all card-like values in it).
   */
  delimiter?: ',' | '\t' | ';' | '|' | undefined;
  /** Byte encoding of Buffer chunks. `auto` detects a UTF-16 BOM; default `auto`. */
  encoding?: 'utf8' | 'utf16le' | 'auto' | undefined;
  /** Collect per-match details (masked values, offsets) for `--explain`. Costs memory per match. */
  explain?: boolean | undefined;
}

/** One match, for `--explain`: never the full value. */
export interface MatchExplanation {
  sensitiveTypeId: string;
  typeName: string;
  /** Character offset of the match in the decoded text. */
  offset: number;
  /** Length of the match in characters (added after the first contract; always set). */
  length: number;
  confidenceLevel: number;
  /** e.g. `4111********1111`. */
  masked: string;
}

export interface Scanner {
  /** Feed the next chunk (split anywhere, even inside a multi-byte character). */
  write(chunk: Buffer | Uint8Array | string): void;
  /** Finish and return one result per (type, confidence) with the count of distinct matches. */
  end(): ClassificationResult[];
  /**
   * The results of what has been written so far, without ending the scan: everything but the last
   * ~1 KiB, which a match or a keyword near it may still continue (that is counted later). The
   * number of distinct values of a type at or above any confidence level never goes down as more
   * is written, while it is counted exactly (up to 4,096 distinct values of the type; beyond, it
   * includes a HyperLogLog estimate, which can move either way by a few percent).
   */
  resultsSoFar(): ClassificationResult[];
  /** Match details, when created with `explain: true` (available after `end()`). */
  explanations(): MatchExplanation[];
  /** Characters scanned so far. */
  readonly scannedChars: number;
}

export type ClassifyInput =
  | Buffer
  | Uint8Array
  | string
  | NodeJS.ReadableStream
  | ReadableStream<Uint8Array | string>
  | AsyncIterable<Buffer | Uint8Array | string>
  | Iterable<Buffer | Uint8Array | string>;

export type ClassifyOptions = ScannerOptions;
