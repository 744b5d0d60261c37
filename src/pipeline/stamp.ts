/**
 * `labeler.stamp`: label a whole file in memory (apps that write exports to storage, the CLI).
 */
import type { ClassificationResult, InformationProtectionAction, KeyValuePair, SensitivityLabel } from '../graph-types.js';
import { LabelgateError } from '../errors.js';
import type { EvaluationEngine } from '../evaluate/engine.js';
import { bufferBody, headOf } from '../formats/body.js';
import { detectFormat, handlerById } from '../formats/registry.js';
import type { AppliedMarkings } from '../evaluate/plan.js';
import { LABEL_HEADERS, msipLabelsHeader, sensitivityLabelHeader } from './headers.js';
import { labelDocument, materialize, type LabelChange, type LabelDocumentOptions, type LabelOutcome } from './label-document.js';

export interface StampOptions extends Omit<LabelDocumentOptions, 'handler' | 'classificationResults'> {
  /** Force a format handler by id (`csv`, `pdf`, `xlsx`, …) instead of detecting it. */
  format?: string | undefined;
}

export interface StampResult {
  /** The labeled file. */
  body: Buffer;
  /** The label the file carries (newly applied or kept), if any. */
  label: SensitivityLabel | undefined;
  change: LabelChange;
  actions: InformationProtectionAction[];
  classificationResults: ClassificationResult[];
  /** HTTP headers describing the label (`sensitivity-label`, `msip_labels`). */
  headers: Record<string, string>;
  format: string;
  /** Label metadata the file carries. */
  metadata: KeyValuePair[];
  applied: AppliedMarkings;
}

/** The HTTP headers for an outcome (empty when the document carries no label). */
export function labelHeaders(outcome: Pick<LabelOutcome, 'label' | 'method' | 'metadata'>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (outcome.label) headers[LABEL_HEADERS.label] = sensitivityLabelHeader({ label: outcome.label, method: outcome.method });
  const msip = msipLabelsHeader(outcome.metadata);
  if (msip) headers[LABEL_HEADERS.msip] = msip;
  return headers;
}

export async function stamp(
  engine: EvaluationEngine,
  input: Buffer | Uint8Array | string,
  options: StampOptions = {},
): Promise<StampResult> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const body = bufferBody(bytes);
  const handler = options.format
    ? handlerById(options.format)
    : detectFormat({ contentType: options.contentType, filename: options.filename, head: await headOf(body) });
  if (!handler) {
    throw new LabelgateError(
      'FORMAT_UNSUPPORTED',
      options.format
        ? `unknown format "${options.format}"`
        : `cannot tell the format of ${options.filename ?? 'the input'} (content type ${options.contentType ?? 'unknown'}); pass contentType, a filename with a known extension, or format`,
    );
  }
  const outcome = await labelDocument(engine, body, { ...options, handler });
  return {
    body: await materialize(body, outcome.body),
    label: outcome.label,
    change: outcome.change,
    actions: outcome.actions,
    classificationResults: outcome.classificationResults,
    headers: labelHeaders(outcome),
    format: outcome.format,
    metadata: outcome.metadata,
    applied: outcome.applied,
  };
}
