/**
 * The headers-only handler: for in-scope content that no registered handler understands (an
 * archive, an image, a legacy Office file). It cannot read or write a label inside the file and has
 * no text to classify, so the HTTP adapters only use it with a label decided without
 * classification: the route's fixed `label` (or `minimumLabel`, acting as the label), or the
 * fail-safe label. Without one, unreadable content is a `FORMAT_UNSUPPORTED` failure: a DLP gate
 * must not give content it could not read the label of content it did read.
 *
 * It is deliberately NOT listed in `FORMAT_HANDLERS`: detection never picks it, callers fall back
 * to it explicitly when `detectFormat` finds nothing.
 */
import type { KeyValuePair } from '../graph-types.js';
import { applyMetadataChange } from '../evaluate/msip.js';
import { metadataWithAppliedBits, type StampPlan } from '../evaluate/plan.js';
import type { ApplyResult, FormatHandler } from './types.js';

const NOTHING_APPLIED = { header: false, footer: false, watermark: false, encryption: false } as const;

export const headersOnlyHandler: FormatHandler = {
  id: 'binary',
  family: 'binary',
  mediaTypes: [],
  extensions: [],
  embedsLabel: false,
  sniff: () => false,
  // No text: a binary body classifies as nothing rather than as noise.
  // eslint-disable-next-line require-yield
  async *extractText() {},
  readLabel: async (): Promise<KeyValuePair[]> => [],
  async apply(_body, plan: StampPlan): Promise<ApplyResult> {
    const applied = { ...NOTHING_APPLIED };
    return {
      body: { kind: 'unchanged' },
      applied,
      metadata: applyMetadataChange([], metadataWithAppliedBits(plan, applied), plan.metadataToRemove),
    };
  },
};
