/**
 * Text formats (CSV, TSV, plain text, JSON, NDJSON): no metadata slot inside the file, so the label
 * travels in HTTP headers and the body stays byte-identical — unless a route opts into a banner
 * line for CSV/TSV (the label's header marking as the first line).
 */
import type { KeyValuePair } from '../graph-types.js';
import { metadataWithAppliedBits, type StampPlan } from '../evaluate/plan.js';
import { applyMetadataChange } from '../evaluate/msip.js';
import { headOf } from './body.js';
import type { ApplyOptions, ApplyResult, FormatHandler, SourceBody } from './types.js';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

interface TextSpec {
  id: string;
  mediaTypes: string[];
  extensions: string[];
  delimiter?: ',' | '\t';
}

/** Quote a CSV field when it needs it (RFC 4180). */
function csvField(text: string, delimiter: string): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  return oneLine.includes(delimiter) || oneLine.includes('"') ? `"${oneLine.replace(/"/g, '""')}"` : oneLine;
}

async function bannerPrefix(body: SourceBody, text: string, delimiter: string): Promise<{ prefix: Buffer; skip: number }> {
  const head = await headOf(body, 64 * 1024);
  const bom = head.subarray(0, 3).equals(UTF8_BOM);
  const eol = head.includes('\r\n') ? '\r\n' : '\n';
  const line = Buffer.from(`${csvField(text, delimiter)}${eol}`, 'utf8');
  return bom ? { prefix: Buffer.concat([UTF8_BOM, line]), skip: 3 } : { prefix: line, skip: 0 };
}

function textHandler(spec: TextSpec): FormatHandler {
  return {
    id: spec.id,
    family: 'text',
    mediaTypes: spec.mediaTypes,
    extensions: spec.extensions,
    embedsLabel: false,
    ...(spec.delimiter ? { scanHints: { delimiter: spec.delimiter } } : {}),
    // Text has no magic bytes: the content type or the file name decides.
    sniff: () => false,
    extractText: (body: SourceBody) => body.chunks(),
    readLabel: async (): Promise<KeyValuePair[]> => [],
    async apply(body: SourceBody, plan: StampPlan, options: ApplyOptions): Promise<ApplyResult> {
      const banner = options.banner === true && spec.delimiter !== undefined && plan.header !== undefined;
      const applied = { header: banner, footer: false, watermark: false, encryption: options.protectionPending === true };
      const metadata = applyMetadataChange([], metadataWithAppliedBits(plan, applied), plan.metadataToRemove);
      if (!banner) return { body: { kind: 'unchanged' }, applied, metadata };
      const { prefix, skip } = await bannerPrefix(body, plan.header!.text, spec.delimiter!);
      return { body: { kind: 'prefixed', prefix, skip }, applied, metadata };
    },
  };
}

export const csvHandler = textHandler({ id: 'csv', mediaTypes: ['text/csv', 'application/csv'], extensions: ['.csv'], delimiter: ',' });
export const tsvHandler = textHandler({ id: 'tsv', mediaTypes: ['text/tab-separated-values'], extensions: ['.tsv', '.tab'], delimiter: '\t' });
export const jsonHandler = textHandler({ id: 'json', mediaTypes: ['application/json'], extensions: ['.json'] });
export const ndjsonHandler = textHandler({
  id: 'ndjson',
  mediaTypes: ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines'],
  extensions: ['.ndjson', '.jsonl'],
});
export const plainTextHandler = textHandler({ id: 'text', mediaTypes: ['text/plain'], extensions: ['.txt', '.log', '.text'] });
