/**
 * One error class for everything labelgate reports, with a stable machine-readable `code`.
 * Messages say what went wrong and what to do about it; they never contain document content.
 */
export type LabelgateErrorCode =
  | 'POLICY_INVALID'
  | 'POLICY_NOT_FOUND'
  | 'POLICY_PARSE'
  | 'METADATA_INVALID'
  | 'LABEL_NOT_FOUND'
  | 'LABEL_NOT_APPLIABLE'
  | 'REMOVAL_NOT_ALLOWED'
  | 'INPUT_INVALID'
  | 'CLASSIFY_FAILED'
  | 'CLASSIFY_BUDGET'
  | 'SIZE_LIMIT'
  | 'FORMAT_UNSUPPORTED'
  | 'FORMAT_MALFORMED'
  | 'FORMAT_ENCRYPTED'
  | 'FORMAT_LIMIT'
  | 'PROTECTION_UNAVAILABLE'
  | 'GRAPH_UNAVAILABLE'
  | 'GRAPH_AUTH'
  | 'GRAPH_RESPONSE'
  | 'GRAPH_CONFIG'
  | 'PARTIAL_CONTENT'
  | 'CAPTURE_FAILED'
  | 'LABELING_FAILED'
  | 'ABORTED';

export class LabelgateError extends Error {
  override readonly name = 'LabelgateError';
  readonly code: LabelgateErrorCode;
  /** Extra, non-sensitive detail for logs and problem+json bodies. */
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: LabelgateErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options?.detail;
  }
}

export function isLabelgateError(value: unknown): value is LabelgateError {
  return value instanceof Error && (value as { name?: unknown }).name === 'LabelgateError' && 'code' in value;
}

/**
 * The reason of a JSON.parse failure without the input: V8 quotes the start of the text
 * (`Unexpected token 's', "{"pan": 41111…" is not valid JSON`), which may be a sensitive value.
 */
export function jsonSyntaxReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/,\s*".*is not valid JSON$/s, '').replace(/^Unexpected token '.'/, 'Unexpected token');
}
