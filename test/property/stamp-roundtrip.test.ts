/**
 * Round-trip property: for any supported file and any sequence of labels stamped onto it,
 * inspecting the result gives back the label the last stamp reported, the file carries exactly
 * one label for the tenant, and a lower label never replaces a higher one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLabeler } from '../../src/labeler.js';
import { bufferBody } from '../../src/formats/body.js';
import { detectFormat } from '../../src/formats/registry.js';
import { DEFAULT_FORMAT_LIMITS } from '../../src/formats/types.js';
import { parseMsipMetadata } from '../../src/evaluate/msip.js';
import { CONTENT_BITS } from '../../src/evaluate/msip.js';
import { DEFAULT_SITE_ID } from '../../src/policy/default-policy.js';
import { docxFile, fixture, pdfLibFile, pdfkitFile, xlsxShared, xlsxStreamed } from '../helpers/documents.js';

const labeler = createLabeler();
const LABELS = ['Public', 'General', 'Confidential', 'Highly Confidential'] as const;
const inputs = new Map<string, { bytes: Buffer; filename: string }>();

beforeAll(async () => {
  inputs.set('exceljs', { bytes: await xlsxShared([['a', 1]], { footer: '&LUser footer' }), filename: 'a.xlsx' });
  inputs.set('exceljs-stream', { bytes: await xlsxStreamed([['b', 2]]), filename: 'b.xlsx' });
  inputs.set('docx', { bytes: await docxFile({ body: ['c'], header: 'h', customProperties: [{ name: 'Keep', value: 'me' }] }), filename: 'c.docx' });
  inputs.set('pdfkit', { bytes: await pdfkitFile([['d'], ['e']]), filename: 'd.pdf' });
  inputs.set('pdf-lib', { bytes: await pdfLibFile([['f']]), filename: 'f.pdf' });
  for (const name of ['report.xlsx', 'memo.docx', 'deck.pptx', 'memo.pdf']) inputs.set(`LibreOffice ${name}`, { bytes: fixture(name), filename: name });
});

describe('stamp → inspect round trip', () => {
  it('inspecting a stamped file returns the label that was applied, one per tenant, never lowered', async () => {
    const labels = (await labeler.listLabels()).filter((l) => l.isAppliable);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...inputs.keys()),
        fc.array(fc.constantFrom(...LABELS), { minLength: 1, maxLength: 3 }),
        async (source, sequence) => {
          const { bytes, filename } = inputs.get(source)!;
          let current = bytes;
          let last;
          for (const name of sequence) {
            last = await labeler.stamp(current, { filename, label: name });
            current = last.body;
          }
          const expected = labels.filter((l) => sequence.includes(l.name as (typeof LABELS)[number])).sort((a, b) => b.sensitivity - a.sensitivity)[0]!;
          expect(last!.label?.id).toBe(expected.id);

          const handler = detectFormat({ filename, head: current.subarray(0, 8192) })!;
          const metadata = await handler.readLabel(bufferBody(current), { limits: DEFAULT_FORMAT_LIMITS, filename });
          const entries = parseMsipMetadata(metadata).filter((e) => e.siteId === DEFAULT_SITE_ID);
          expect(entries).toHaveLength(1);
          const contentLabel = await labeler.extractContentLabel({
            '@odata.type': '#microsoft.graph.security.contentInfo',
            contentFormat: 'file',
            identifier: filename,
            state: 'rest',
            metadata,
          });
          expect(contentLabel?.sensitivityLabelId).toBe(expected.id);
          // ContentBits says what was drawn when the label was written.
          const bits = entries[0]!.contentBits ?? 0;
          if (last!.change === 'applied') {
            const a = last!.applied;
            expect(bits).toBe((a.header ? CONTENT_BITS.header : 0) | (a.footer ? CONTENT_BITS.footer : 0) | (a.watermark ? CONTENT_BITS.watermark : 0));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
