/**
 * Hostile and broken inputs: each must end in a clear LabelgateError, quickly and without large
 * allocations — never a crash, a hang, or unbounded memory.
 */
import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import JSZip from 'jszip';
import { createLabeler } from '../../src/labeler.js';
import { isLabelgateError } from '../../src/errors.js';
import type { StampOptions } from '../../src/pipeline/stamp.js';
import { pdfkitFile, xlsxShared, xlsxStreamed } from '../helpers/documents.js';

const labeler = createLabeler();

async function expectBoundedError(
  input: Buffer,
  options: StampOptions,
  expected: { code: string; message: RegExp },
  bounds: { ms: number; mb: number } = { ms: 1000, mb: 64 },
): Promise<void> {
  const rss = process.memoryUsage().rss;
  const started = Date.now();
  const err = await labeler.stamp(input, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  const elapsed = Date.now() - started;
  expect(isLabelgateError(err), `expected a LabelgateError, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(expected.code);
  expect((err as Error).message).toMatch(expected.message);
  expect(elapsed).toBeLessThan(bounds.ms);
  expect((process.memoryUsage().rss - rss) / 1024 / 1024).toBeLessThan(bounds.mb);
}

/** A PDF built by hand, with a correct cross-reference table, for shapes no writer produces. */
function rawPdf(objects: Record<number, string>, trailer: string): Buffer {
  let out = '%PDF-1.7\n';
  const offsets = new Map<number, number>();
  for (const [num, body] of Object.entries(objects)) {
    offsets.set(Number(num), out.length);
    out += `${num} 0 obj\n${body}\nendobj\n`;
  }
  const size = Math.max(...offsets.keys()) + 1;
  const xrefAt = out.length;
  out += `xref\n0 ${size}\n`;
  for (let i = 0; i < size; i++) {
    const off = offsets.get(i);
    out += off === undefined ? '0000000000 65535 f\r\n' : `${String(off).padStart(10, '0')} 00000 n\r\n`;
  }
  out += `trailer\n<< /Size ${size} ${trailer} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const PAGE = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>';

describe('hostile inputs', () => {
  it('zip bomb in a workbook: refused from its declared sizes before inflating', async () => {
    const zip = await JSZip.loadAsync(await xlsxShared([['x']]));
    zip.file('xl/worksheets/sheet1.xml', Buffer.alloc(16 * 1024 * 1024, 0x20));
    const bomb = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
    expect(bomb.length).toBeLessThan(200_000);
    await expectBoundedError(bomb, { filename: 'bomb.xlsx' }, { code: 'FORMAT_LIMIT', message: /compression ratio above 200:1 \(zip bomb\?\)/ });
  });

  it('billion laughs in XMP metadata: refused (no DTD is ever processed)', async () => {
    let entity = '<!ENTITY a0 "lol">';
    for (let i = 1; i < 10; i++) entity += `<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`;
    const xmp = `<?xml version="1.0"?><!DOCTYPE x [${entity}]><x:xmpmeta xmlns:x="adobe:ns:meta/">&a9;</x:xmpmeta>`;
    const input = rawPdf(
      {
        1: '<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>',
        2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        3: PAGE,
        4: `<< /Type /Metadata /Subtype /XML /Length ${xmp.length} >>\nstream\n${xmp}\nendstream`,
      },
      '/Root 1 0 R',
    );
    await expectBoundedError(input, { filename: 'x.pdf', label: 'General' }, { code: 'FORMAT_MALFORMED', message: /XMP packet declares a DOCTYPE/ });
  });

  it('truncated PDFs: refused wherever the cut falls', async () => {
    const good = await pdfkitFile([['one'], ['two']]);
    for (const fraction of [0.1, 0.5, 0.9, 0.995]) {
      const cut = good.subarray(0, Math.floor(good.length * fraction));
      await expectBoundedError(cut, { filename: 'cut.pdf' }, { code: 'FORMAT_MALFORMED', message: /truncated/ });
    }
  });

  it('a cyclic page tree: refused instead of looping', async () => {
    const input = rawPdf(
      {
        1: '<< /Type /Catalog /Pages 2 0 R >>',
        2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        3: '<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>',
      },
      '/Root 1 0 R',
    );
    await expectBoundedError(input, { filename: 'cycle.pdf' }, { code: 'FORMAT_MALFORMED', message: /page tree contains a cycle/ });
    await expectBoundedError(input, { filename: 'cycle.pdf', label: 'Highly Confidential' }, { code: 'FORMAT_MALFORMED', message: /page tree contains a cycle/ });
  });

  it('cyclic references and a looping cross-reference chain: refused', async () => {
    const selfRef = rawPdf({ 1: '2 0 R', 2: '1 0 R', 3: '<< /Type /Pages /Kids [] /Count 0 >>' }, '/Root 1 0 R');
    await expectBoundedError(selfRef, { filename: 'loop.pdf', label: 'General' }, { code: 'FORMAT_MALFORMED', message: /refers to itself|reference chain/ });

    const base = rawPdf({ 1: '<< /Type /Catalog /Pages 2 0 R >>', 2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 3: PAGE }, '/Root 1 0 R');
    const xrefAt = Number(/startxref\n(\d+)/.exec(base.toString('latin1'))![1]);
    const looped = Buffer.from(base.toString('latin1').replace('/Root 1 0 R', `/Root 1 0 R /Prev ${xrefAt}`), 'latin1');
    await expectBoundedError(looped, { filename: 'loop.pdf', label: 'General' }, { code: 'FORMAT_MALFORMED', message: /cross-reference chain loops/ });
  });

  it('objects nested thousands deep: refused without exhausting the stack', async () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const input = rawPdf({ 1: `<< /Type /Catalog /Pages 2 0 R /Deep ${deep} >>`, 2: '<< /Type /Pages /Kids [] /Count 0 >>' }, '/Root 1 0 R');
    await expectBoundedError(input, { filename: 'deep.pdf', label: 'General' }, { code: 'FORMAT_MALFORMED', message: /nested too deeply/ });
  });

  it('an encrypted PDF cannot be labeled honestly: refused with the reason', async () => {
    const input = await pdfkitFile([['secret']], { userPassword: 'pw' });
    await expectBoundedError(input, { filename: 'enc.pdf' }, { code: 'FORMAT_ENCRYPTED', message: /PDF is encrypted/ });
    await expectBoundedError(input, { filename: 'enc.pdf', label: 'General' }, { code: 'FORMAT_ENCRYPTED', message: /PDF is encrypted/ });
  });

  it('page and object counts over the limits: refused', async () => {
    const input = await pdfkitFile([['1'], ['2'], ['3']]);
    await expectBoundedError(input, { filename: 'p.pdf', label: 'Highly Confidential', limits: { maxPdfPages: 2 } }, { code: 'FORMAT_LIMIT', message: /more than 2 pages/ });
    await expectBoundedError(input, { filename: 'p.pdf', label: 'General', limits: { maxPdfObjects: 5 } }, { code: 'FORMAT_LIMIT', message: /the limit of 5 objects/ });
  });

  it('a compressed stream that inflates past the limit: refused at the limit', async () => {
    const bomb = deflateSync(Buffer.alloc(32 * 1024 * 1024, 0x20), { level: 9 });
    const input = Buffer.concat([
      Buffer.from('%PDF-1.7\n'),
      rawPdf(
        {
          1: '<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>',
          2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
          3: PAGE,
          4: `<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length ${bomb.length} >>\nstream\n${bomb.toString('latin1')}\nendstream`,
        },
        '/Root 1 0 R',
      ).subarray(9),
    ]);
    await expectBoundedError(input, { filename: 'x.pdf', label: 'General', limits: { maxXmlBytes: 1024 * 1024 } }, { code: 'FORMAT_LIMIT', message: /inflates to more than 1048576 bytes/ });
  });

  it('a file that takes longer than the time budget: refused (PDF text extraction, workbook text extraction)', async () => {
    const pdf = await pdfkitFile(Array.from({ length: 40 }, (_, i) => [`page ${i}`, 'some text '.repeat(50)]));
    await expectBoundedError(pdf, { filename: 'slow.pdf', limits: { parseTimeoutMs: 5 } }, { code: 'FORMAT_LIMIT', message: /PDF: processing took longer than 5 ms/ }, { ms: 3000, mb: 128 });
    const xlsx = await xlsxStreamed(Array.from({ length: 30_000 }, (_, i) => [`row ${i}`, i, 'lorem ipsum dolor sit amet']));
    await expectBoundedError(xlsx, { filename: 'slow.xlsx', limits: { parseTimeoutMs: 2 } }, { code: 'FORMAT_LIMIT', message: /Office file: processing took longer than 2 ms/ }, { ms: 3000, mb: 128 });
  });

  it('garbage with a PDF or ZIP name: a clear error, not a crash', async () => {
    await expectBoundedError(Buffer.from('%PDF-1.7\nnot really'), { filename: 'x.pdf' }, { code: 'FORMAT_MALFORMED', message: /startxref/ });
    await expectBoundedError(Buffer.from('PK\u0003\u0004 not a zip'), { filename: 'x.xlsx' }, { code: 'FORMAT_MALFORMED', message: /ZIP container/ });
  });
});
