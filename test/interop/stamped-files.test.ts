/**
 * Independent readers confirm what labelgate writes: exiftool (PDF Info, XMP, OOXML custom
 * properties), pdfinfo -custom, qpdf --check, pdftotext, unzip -t. Installed by .ci/run; a missing
 * tool fails with an install hint.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLabeler } from '../../src/labeler.js';
import type { KeyValuePair } from '../../src/graph-types.js';
import { DEFAULT_SITE_ID } from '../../src/policy/default-policy.js';
import { docxFile, fixture, pdfLibFile, pdfkitFile, xlsxShared } from '../helpers/documents.js';
import { exiftool, runTool, tempFiles } from '../helpers/tools.js';

const labeler = createLabeler();
const files = tempFiles();
afterAll(() => files.cleanup());

/**
 * exiftool turns keys into tag names (`MSIP_Label_befdde66-…` becomes `MSIP_LabelBefdde66-…`:
 * underscores before a letter go, the letter is capitalised) and coerces values ("true" → true,
 * "0" → 0); compare keys without underscores and case, values as strings.
 */
const loose = (name: string) => name.replace(/_/g, '').toLowerCase();

function exifValue(meta: Record<string, unknown>, group: string, name: string): unknown {
  const key = Object.keys(meta).find((k) => k.startsWith(`${group}:`) && loose(k.slice(group.length + 1)) === loose(name));
  return key === undefined ? undefined : meta[key];
}

function expectAllKeys(meta: Record<string, unknown>, group: string, pairs: readonly KeyValuePair[]): void {
  expect(pairs.length).toBeGreaterThan(0);
  for (const { name, value } of pairs) {
    const seen = exifValue(meta, group, name);
    expect(seen, `${group}:${name}`).toBeDefined();
    if (name.endsWith('_SetDate')) continue; // XMP dates are reformatted by exiftool
    expect(String(seen).toLowerCase()).toBe(value.toLowerCase());
  }
}

/** Label ids that exiftool reports per group. */
function labelIds(meta: Record<string, unknown>, group: string): string[] {
  const ids = new Set<string>();
  for (const key of Object.keys(meta)) {
    const m = new RegExp(`^${group}:MSIP_?Label_?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_`, 'i').exec(key);
    if (m) ids.add(m[1]!.toLowerCase());
  }
  return [...ids];
}

const PDF_INPUTS: Array<[string, () => Promise<Buffer>]> = [
  ['pdfkit', () => pdfkitFile([['Quarterly report'], ['Second page']])],
  ['pdf-lib', () => pdfLibFile([['Quarterly report'], ['Second page']])],
  ['LibreOffice', async () => fixture('memo.pdf')],
];

describe('PDF outputs, read by exiftool, pdfinfo, qpdf and pdftotext', () => {
  for (const [writer, make] of PDF_INPUTS) {
    it(`${writer} input: every MSIP key in Info and XMP, a clean structure, visible markings`, async () => {
      const out = await labeler.stamp(await make(), { filename: 'r.pdf', label: 'Highly Confidential' });
      const path = files.write(`${writer}.pdf`, out.body);
      const meta = exiftool(path);
      expectAllKeys(meta, 'PDF', out.metadata);
      expectAllKeys(meta, 'XMP-pdfx', out.metadata);

      const info = runTool('pdfinfo', ['-custom', path]);
      expect(info.status).toBe(0);
      for (const { name, value } of out.metadata) expect(info.stdout).toMatch(new RegExp(`^${name}:\\s*${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));

      const check = runTool('qpdf', ['--check', path]);
      expect(check.stdout + check.stderr).toContain('No syntax or stream encoding errors found');
      expect(check.status).toBe(0);

      const text = runTool('pdftotext', ['-layout', '-f', '1', '-l', '1', path, '-']).stdout;
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      expect(lines[0]!.trim()).toBe('HIGHLY CONFIDENTIAL');
      expect(lines[lines.length - 1]!.trim()).toBe('Highly Confidential - internal use only');
    });
  }

  it('rotated pages carry the header at the top of the page as displayed', async () => {
    const out = await labeler.stamp(await pdfLibFile([['rotated page text']], { rotate: 90 }), { filename: 'r.pdf', label: 'Highly Confidential' });
    const path = files.write('rotated.pdf', out.body);
    expect(runTool('qpdf', ['--check', path]).status).toBe(0);
    const lines = runTool('pdftotext', ['-layout', path, '-']).stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]!.trim()).toBe('HIGHLY CONFIDENTIAL');
    expect(lines[lines.length - 1]!.trim()).toBe('Highly Confidential - internal use only');
  });

  it('stamping twice leaves exactly one label per tenant, in both Info and XMP', async () => {
    const once = await labeler.stamp(await pdfkitFile([['x']]), { filename: 'r.pdf', label: 'Confidential' });
    const twice = await labeler.stamp(once.body, { filename: 'r.pdf', label: 'Highly Confidential' });
    const path = files.write('twice.pdf', twice.body);
    const meta = exiftool(path);
    expect(labelIds(meta, 'PDF')).toEqual([twice.label!.id]);
    expect(labelIds(meta, 'XMP-pdfx')).toEqual([twice.label!.id]);
    expect(runTool('qpdf', ['--check', path]).status).toBe(0);
  });
});

const OOXML_INPUTS: Array<[string, string, () => Promise<Buffer>]> = [
  ['exceljs', 'xlsx', () => xlsxShared([['Customer', 'Amount'], ['Alice', 12]], { footer: '&LMy footer' })],
  ['docx', 'docx', () => docxFile({ body: ['Memo'], header: 'Header', customProperties: [{ name: 'Department', value: 'Finance' }] })],
  ['LibreOffice', 'xlsx', async () => fixture('report.xlsx')],
  ['LibreOffice', 'docx', async () => fixture('memo.docx')],
  ['LibreOffice', 'pptx', async () => fixture('deck.pptx')],
];

describe('Office outputs, read by exiftool and unzip', () => {
  for (const [writer, ext, make] of OOXML_INPUTS) {
    it(`${writer} ${ext}: unzip -t passes, exiftool sees every MSIP key and keeps the other custom properties`, async () => {
      const input = await make();
      const before = exiftool(files.write(`${writer}-in.${ext}`, input));
      const out = await labeler.stamp(input, { filename: `r.${ext}`, label: 'Highly Confidential' });
      const path = files.write(`${writer}.${ext}`, out.body);
      const test = runTool('unzip', ['-t', path]);
      expect(test.stdout).toMatch(/No errors detected/);
      expect(test.status).toBe(0);
      const meta = exiftool(path);
      expectAllKeys(meta, 'XML', out.metadata);
      for (const [key, value] of Object.entries(before)) {
        if (key.startsWith('XML:') && !key.includes('MSIP_Label_')) expect(meta[key], key).toEqual(value);
      }
      // One label, for the policy's tenant.
      expect(labelIds(meta, 'XML')).toEqual([out.label!.id]);
      expect(String(exifValue(meta, 'XML', `MSIP_Label_${out.label!.id}_SiteId`))).toBe(DEFAULT_SITE_ID);
    });
  }

  it('stamping twice leaves exactly one label per tenant', async () => {
    const once = await labeler.stamp(await xlsxShared([['x']]), { filename: 'r.xlsx', label: 'Confidential' });
    const twice = await labeler.stamp(once.body, { filename: 'r.xlsx', label: 'Highly Confidential' });
    const meta = exiftool(files.write('twice.xlsx', twice.body));
    expect(labelIds(meta, 'XML')).toEqual([twice.label!.id]);
  });
});
