/**
 * The format handler contract. One handler per file format (csv, tsv, text, json, ndjson, pdf,
 * xlsx/docx/pptx…); the HTTP adapters, `labeler.stamp` and the CLI only ever talk to this interface,
 * so adding a format is adding one handler module to the registry.
 */
import type { KeyValuePair } from '../graph-types.js';
import type { AppliedMarkings, StampPlan } from '../evaluate/plan.js';
import type { ScannerOptions } from '../classify/api.js';

/** A captured body: in memory, or spilled to a temp file by the capture layer. */
export interface SourceBody {
  readonly size: number;
  /** The whole body in memory (handlers that parse a container, e.g. PDF, ZIP). */
  bytes(): Promise<Buffer>;
  /** The body as a stream of chunks (text scanning, copying out unchanged). */
  chunks(): AsyncIterable<Buffer>;
}

/** Limits against hostile files. All sizes in bytes. */
export interface FormatLimits {
  /** ZIP: maximum number of entries. */
  maxZipEntries: number;
  /** ZIP: maximum total inflated size (declared and actual). */
  maxInflatedBytes: number;
  /** ZIP: maximum inflated/compressed ratio of one entry. */
  maxCompressionRatio: number;
  /** Maximum size of one XML part that is parsed. */
  maxXmlBytes: number;
  /** PDF: maximum number of indirect objects. */
  maxPdfObjects: number;
  /** PDF: maximum number of pages. */
  maxPdfPages: number;
  /** Wall-clock budget for parsing one file, in milliseconds. */
  parseTimeoutMs: number;
}

export const DEFAULT_FORMAT_LIMITS: Readonly<FormatLimits> = Object.freeze({
  maxZipEntries: 10_000,
  maxInflatedBytes: 512 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxXmlBytes: 128 * 1024 * 1024,
  maxPdfObjects: 500_000,
  maxPdfPages: 10_000,
  parseTimeoutMs: 30_000,
});

export interface FormatContext {
  contentType?: string | undefined;
  filename?: string | undefined;
  limits: FormatLimits;
  signal?: AbortSignal | undefined;
}

/** What `apply` did to the body. */
export type StampedBody =
  /** The bytes are unchanged (labels travel in HTTP headers only). */
  | { kind: 'unchanged' }
  /**
   * Bytes to send before the original (e.g. a CSV banner line); `skip` leading bytes of the
   * original are left out (a byte-order mark moved in front of the banner).
   */
  | { kind: 'prefixed'; prefix: Buffer; skip: number }
  /** A rewritten file. */
  | { kind: 'replaced'; bytes: Buffer };

export interface ApplyResult {
  body: StampedBody;
  /** Markings actually applied (ContentBits is rewritten to say exactly this). */
  applied: AppliedMarkings;
  /** The label metadata the output carries (after the change), for headers and audit. */
  metadata: KeyValuePair[];
}

export interface ApplyOptions extends FormatContext {
  /** CSV/TSV: write the label's header marking as the first line (routes opt in). */
  banner?: boolean | undefined;
  /**
   * The pipeline will encrypt the stamped bytes through the app's protect hook, so the label
   * metadata written now must already say so (ContentBits encryption bit, `applied.encryption`).
   */
  protectionPending?: boolean | undefined;
}

export interface FormatHandler {
  /** Stable id: `csv`, `tsv`, `text`, `json`, `ndjson`, `pdf`, `xlsx`, `docx`, `pptx`, … */
  readonly id: string;
  /**
   * `text` formats are scanned as they stream and labeled in headers only; `binary` is the
   * headers-only fallback for in-scope content no registered handler understands.
   */
  readonly family: 'text' | 'pdf' | 'ooxml' | 'binary';
  /** Media types (lower case, no parameters) this handler claims. */
  readonly mediaTypes: readonly string[];
  /** File extensions (lower case, with dot). */
  readonly extensions: readonly string[];
  /** Whether the label can be written inside the file (otherwise HTTP headers only). */
  readonly embedsLabel: boolean;
  /** Hints for the scanner when the handler's text is the raw body (e.g. CSV delimiter). */
  readonly scanHints?: Pick<ScannerOptions, 'delimiter'>;
  /** Magic-byte check on the first bytes of a body (at least 8 KiB when available). */
  sniff(head: Buffer): boolean;
  /** The document's text for classification, as a stream of chunks. */
  extractText(body: SourceBody, ctx: FormatContext): AsyncIterable<string | Buffer>;
  /** Existing `MSIP_Label_*` pairs (and any other properties the reader keeps) → contentInfo.metadata. */
  readLabel(body: SourceBody, ctx: FormatContext): Promise<KeyValuePair[]>;
  /** Carry out an evaluated plan: metadata, markings. Protection is the pipeline's job (protect hook). */
  apply(body: SourceBody, plan: StampPlan, options: ApplyOptions): Promise<ApplyResult>;
  /**
   * Optional: every place inside the file that carries label metadata and what each holds, as
   * written (`readLabel` gives the effective view after the format's precedence rules). For
   * inspection and diagnostics.
   */
  readLabelLocations?(body: SourceBody, ctx: FormatContext): Promise<LabelLocation[]>;
}

/** One place inside a file where label metadata lives (e.g. `docProps/custom.xml`, `Info`, `XMP`). */
export interface LabelLocation {
  location: string;
  metadata: KeyValuePair[];
  /** Tenants (site ids) recorded as having removed their label (OOXML LabelInfo `removed="1"`). */
  removedTenants?: string[];
}
