import { describe, expect, it } from 'vitest';
import { createLabeler } from '../../src/labeler.js';
import { DEFAULT_POLICY, DEFAULT_LABEL_IDS } from '../../src/policy/default-policy.js';
import type { PolicyInput } from '../../src/policy/schema.js';
import { bufferBody } from '../../src/formats/body.js';
import { handlerById } from '../../src/formats/registry.js';
import { DEFAULT_FORMAT_LIMITS } from '../../src/formats/types.js';
import { parseMsipMetadata } from '../../src/evaluate/msip.js';
import { isLabelgateError } from '../../src/errors.js';
import { SSN, docxFile, fixture, pdfkitFile, xlsxShared } from '../helpers/documents.js';

const labeler = createLabeler();
const ctx = { limits: DEFAULT_FORMAT_LIMITS };

const INPUTS: Array<[string, string, () => Promise<Buffer>]> = [
  ['pdf', 'report.pdf', () => pdfkitFile([[`SSN ${SSN}`]])],
  ['xlsx', 'report.xlsx', () => xlsxShared([['SSN', SSN]])],
  ['docx', 'report.docx', () => docxFile({ body: [`SSN ${SSN}`] })],
  ['pptx', 'deck.pptx', async () => fixture('deck.pptx')],
  ['csv', 'report.csv', async () => Buffer.from(`name,ssn\nAlice,${SSN}\n`)],
];

describe('labeler.stamp over every format', () => {
  for (const [format, filename, make] of INPUTS) {
    it(`${format}: classifies, labels, and reports body, label, actions, results and headers`, async () => {
      const result = await labeler.stamp(await make(), { filename });
      expect(result.format).toBe(format);
      expect(result.label?.name).toBe('Confidential');
      expect(result.classificationResults.length).toBeGreaterThan(0);
      expect(result.actions.length).toBeGreaterThan(0);
      expect(result.headers['sensitivity-label']).toContain('name="Confidential"');
      expect(result.headers.msip_labels).toContain(`MSIP_Label_${DEFAULT_LABEL_IDS.confidential}_Enabled=true`);
      const handler = handlerById(format)!;
      if (handler.embedsLabel) {
        const inFile = parseMsipMetadata(await handler.readLabel(bufferBody(result.body), ctx));
        expect(inFile.map((l) => l.labelId)).toEqual([DEFAULT_LABEL_IDS.confidential]);
      }
    });
  }

  it('keeps a higher label already on the file instead of applying a lower automatic one', async () => {
    for (const [format, filename, make] of INPUTS.filter(([f]) => f !== 'csv')) {
      const high = await labeler.stamp(await make(), { filename, label: 'Highly Confidential' });
      const again = await labeler.stamp(high.body, { filename });
      expect(again.classificationResults.length, format).toBeGreaterThan(0); // content alone says Confidential
      expect(again.change, format).toBe('kept');
      expect(again.label?.name, format).toBe('Highly Confidential');
      expect(again.body.equals(high.body), format).toBe(true);
      expect(again.headers['sensitivity-label'], format).toContain('name="Highly Confidential"');
    }
  });

  it('raises to a minimum label', async () => {
    const result = await labeler.stamp(await pdfkitFile([['nothing sensitive']]), { filename: 'a.pdf', minimumLabel: 'Confidential' });
    expect(result.label?.name).toBe('Confidential');
  });
});

describe('protection', () => {
  const policy: PolicyInput = {
    ...DEFAULT_POLICY,
    labels: DEFAULT_POLICY.labels.map((l) =>
      l.id === DEFAULT_LABEL_IDS.highlyConfidential ? { ...l, protection: { kind: 'template', templateId: '00000000-1111-2222-3333-444444444444' } } : l,
    ),
  };

  it('without a protect hook: fails with PROTECTION_UNAVAILABLE before anything is written', async () => {
    const err = await createLabeler({ policy })
      .stamp(await xlsxShared([['x']]), { filename: 'a.xlsx', label: 'Highly Confidential' })
      .catch((e: unknown) => e);
    expect(isLabelgateError(err) && err.code).toBe('PROTECTION_UNAVAILABLE');
    expect((err as Error).message).toMatch(/requires protection \(protectByTemplateAction\), but no protect hook is configured/);
  });

  it('with a hook: the hook gets the labeled bytes (ContentBits includes encryption) and its bytes are the output', async () => {
    const seen: Array<{ format: string; templateId: unknown; label: string; bytes: Buffer }> = [];
    const protectedLabeler = createLabeler({
      policy,
      protect: async ({ bytes, action, format, label }) => {
        seen.push({ format, templateId: (action as { templateId?: string }).templateId, label: label.name, bytes });
        return Buffer.concat([Buffer.from('ENCRYPTED:'), bytes]);
      },
    });
    const input = await pdfkitFile([['x']]);
    const result = await protectedLabeler.stamp(input, { filename: 'a.pdf', label: 'Highly Confidential' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ format: 'pdf', templateId: '00000000-1111-2222-3333-444444444444', label: 'Highly Confidential' });
    const inner = parseMsipMetadata(await handlerById('pdf')!.readLabel(bufferBody(seen[0]!.bytes), ctx))[0]!;
    expect(inner.contentBits).toBe(15); // header, footer, watermark, encryption
    expect(result.body.subarray(0, 10).toString()).toBe('ENCRYPTED:');
    expect(result.applied.encryption).toBe(true);
    expect(result.metadata.find((p) => p.name.endsWith('_ContentBits'))!.value).toBe('15');
  });

  it('a failing hook is reported as PROTECTION_UNAVAILABLE with its cause', async () => {
    const failing = createLabeler({ policy, protect: () => Promise.reject(new Error('RMS is down')) });
    const err = await failing.stamp(await xlsxShared([['x']]), { filename: 'a.xlsx', label: 'Highly Confidential' }).catch((e: unknown) => e);
    expect(isLabelgateError(err) && err.code).toBe('PROTECTION_UNAVAILABLE');
    expect(((err as Error).cause as Error).message).toBe('RMS is down');
  });
});
