import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLabeler, sensitivityLabelHeader, sfText, parseMsipHeader, parseMsipMetadata, planActions, metadataWithAppliedBits, DEFAULT_LABEL_IDS } from '../../src/index.js';

/** Parse an RFC 9651 sf-string or Display String back into text (test oracle). */
function parseSfText(v: string): string {
  if (v.startsWith('%"')) return Buffer.from(v.slice(2, -1).replace(/%([0-9a-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  return v.slice(1, -1).replace(/\\(["\\])/g, '$1');
}

describe('label headers', () => {
  it('sfText never emits control or non-ASCII characters and round-trips (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (text) => {
        const v = sfText(text);
        expect(v).toMatch(/^%?"[\x20-\x7e]*"$/);
        expect(parseSfText(v)).toBe(text);
      }),
    );
  });

  it('label names cannot inject headers', () => {
    const h = sensitivityLabelHeader({ label: { id: 'x', name: 'Evil\r\nSet-Cookie: a=b "q" \\ é', sensitivity: 2 }, method: 'standard' });
    expect(h).not.toMatch(/[\r\n]/);
    expect(h).toBe('id="x", name=%"Evil%0d%0aSet-Cookie: a=b %22q%22 \\ %c3%a9", sensitivity=2, method=standard');
  });
});

describe('labeler.stamp on text formats', () => {
  const labeler = createLabeler();
  const csv = 'name,card_number\r\nAnn,4111 1111 1111 1111\r\nBob,5500-0000-0000-0004\r\n';

  it('keeps the CSV byte-identical and carries the label in headers', async () => {
    const r = await labeler.stamp(csv, { filename: 'customers.csv' });
    expect(r.format).toBe('csv');
    expect(r.body.toString()).toBe(csv);
    expect(r.change).toBe('applied');
    expect(r.label?.name).toBe('Confidential');
    expect(r.headers['sensitivity-label']).toBe(`id="${DEFAULT_LABEL_IDS.confidential}", name="Confidential", sensitivity=2, method=standard`);
    const entries = parseMsipMetadata(parseMsipHeader(r.headers.msip_labels!));
    expect(entries).toHaveLength(1);
    // A CSV cannot carry the label's footer: ContentBits says 0.
    expect(entries[0]).toMatchObject({ labelId: DEFAULT_LABEL_IDS.confidential, contentBits: 0 });
  });

  it('writes a banner line when the route opts in (and the label has a header marking), after a BOM', async () => {
    const body = `\uFEFF${csv}`.repeat(1) + Array.from({ length: 12 }, (_, i) => `P${i},4111 1111 1111 1111\r\n`).join('');
    const varied = body.replace(/4111 1111 1111 1111/g, (_m, off: number) => luhnFix(`4111${String(off).padStart(11, '0')}`));
    const r = await labeler.stamp(varied, { filename: 'all.csv', banner: true });
    expect(r.label?.name).toBe('Highly Confidential');
    expect(r.body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(r.body.subarray(3).toString()).toBe(`HIGHLY CONFIDENTIAL\r\n${varied.slice(1)}`);
    expect(parseMsipMetadata(parseMsipHeader(r.headers.msip_labels!))[0]!.contentBits).toBe(1);
  });

  it('applies a fixed label without classification, and a minimum label', async () => {
    const fixed = await labeler.stamp('just text', { filename: 'a.txt', label: 'Public' });
    expect(fixed.label?.name).toBe('Public');
    expect(fixed.classificationResults).toEqual([]);
    const min = await labeler.stamp('just text', { filename: 'a.txt', minimumLabel: 'Confidential' });
    expect(min.label?.name).toBe('Confidential');
  });

  it('rejects unknown formats with a clear error', async () => {
    await expect(labeler.stamp(Buffer.from([1, 2, 3]), { filename: 'x.bin' })).rejects.toMatchObject({ code: 'FORMAT_UNSUPPORTED' });
  });
});

describe('plan', () => {
  it('rewrites ContentBits to the markings actually applied', async () => {
    const actions = await createLabeler().evaluateApplication({ contentFormat: 'file' }, { labelId: DEFAULT_LABEL_IDS.highlyConfidential });
    const plan = planActions(actions);
    expect(plan.metadataToAdd.find((p) => p.name.endsWith('_ContentBits'))!.value).toBe('7');
    const applied = metadataWithAppliedBits(plan, { header: true, footer: false, watermark: true, encryption: false });
    expect(applied.find((p) => p.name.endsWith('_ContentBits'))!.value).toBe('5');
  });

  it('keeps unknown future action types instead of dropping them', () => {
    const plan = planActions([{ '@odata.type': '#microsoft.graph.security.someFutureAction', x: 1 } as never]);
    expect(plan.unknown).toEqual([{ '@odata.type': '#microsoft.graph.security.someFutureAction', x: 1 }]);
  });
});

function luhnFix(prefix15: string): string {
  for (let d = 0; d < 10; d++) {
    const n = prefix15 + d;
    let sum = 0;
    for (let i = 0; i < n.length; i++) {
      let x = Number(n[n.length - 1 - i]);
      if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return n;
  }
  throw new Error('unreachable');
}
