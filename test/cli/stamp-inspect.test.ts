import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run.js';
import { DEFAULT_LABEL_IDS } from '../../src/policy/default-policy.js';
import { SSN, pdfkitFile, xlsxShared } from '../helpers/documents.js';
import { tempFiles } from '../helpers/tools.js';

const files = tempFiles();
afterAll(() => files.cleanup());

async function cli(argv: string[], stdin: Buffer = Buffer.alloc(0)): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  err.on('data', (c: Buffer) => errChunks.push(c));
  const input = new PassThrough();
  input.end(stdin);
  const code = await runCli(argv, { stdout: out, stderr: err, stdin: input });
  return { code, stdout: Buffer.concat(chunks), stderr: Buffer.concat(errChunks).toString('utf8') };
}

describe('labelgate stamp / inspect', () => {
  it('stamps a PDF by classification and inspect reads the label back', async () => {
    const input = files.write('payroll.pdf', await pdfkitFile([[`Employee SSN ${SSN}`]]));
    const output = join(input, '..', 'payroll.labeled.pdf');
    const stamped = await cli(['stamp', input, '-o', output]);
    expect(stamped.code).toBe(0);
    const summary = JSON.parse(stamped.stdout.toString('utf8'));
    expect(summary).toMatchObject({ output, format: 'pdf', change: 'applied', label: { id: DEFAULT_LABEL_IDS.confidential, name: 'Confidential' } });
    expect(summary.classificationResults[0].sensitiveTypeId).toBe('a44669fe-0d48-453d-a9b1-2cc83f2cba77');
    expect(existsSync(output)).toBe(true);

    const inspected = await cli(['inspect', output]);
    expect(inspected.code).toBe(0);
    const report = JSON.parse(inspected.stdout.toString('utf8'));
    expect(report.format).toBe('pdf');
    expect(report.contentLabel).toMatchObject({ sensitivityLabelId: DEFAULT_LABEL_IDS.confidential, assignmentMethod: 'standard' });
    expect(report.metadata).toEqual(summary.metadata);
    expect(report.locations.map((l: { location: string }) => l.location)).toEqual(['Info', 'XMP']);
    expect(report.locations[1].metadata).toEqual(summary.metadata);
  });

  it('applies a given label to a workbook, through stdin and stdout', async () => {
    const input = await xlsxShared([['x']]);
    const stamped = await cli(['stamp', '-', '-o', '-', '--label', 'Highly Confidential'], input);
    expect(stamped.code).toBe(0);
    expect(stamped.stdout.subarray(0, 2).toString()).toBe('PK');
    expect(JSON.parse(stamped.stderr)).toMatchObject({ format: 'xlsx', label: { name: 'Highly Confidential' } });
    const inspected = await cli(['inspect', files.write('out.xlsx', stamped.stdout)]);
    const report = JSON.parse(inspected.stdout.toString('utf8'));
    expect(report.contentLabel.sensitivityLabelId).toBe(DEFAULT_LABEL_IDS.highlyConfidential);
    expect(report.locations.map((l: { location: string }) => l.location)).toEqual(['docProps/custom.xml', 'docMetadata/LabelInfo.xml']);
  });

  it('inspect of an unlabeled file: contentLabel null, no metadata', async () => {
    const report = await cli(['inspect', files.write('plain.xlsx', await xlsxShared([['x']]))]);
    expect(JSON.parse(report.stdout.toString('utf8'))).toMatchObject({ contentLabel: null, metadata: [], format: 'xlsx' });
  });

  it('usage errors exit 2, failures exit 1 with a clear message', async () => {
    expect((await cli(['stamp', 'a.pdf'])).code).toBe(2);
    expect((await cli(['inspect'])).code).toBe(2);
    expect((await cli(['inspect', '/nonexistent/file.pdf'])).stderr).toMatch(/file not found/);
    const encrypted = files.write('enc.pdf', await pdfkitFile([['x']], { userPassword: 'pw' }));
    const failed = await cli(['stamp', encrypted, '-o', join(encrypted, '..', 'enc.out.pdf')]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/labelgate: the PDF is encrypted/);
    expect(existsSync(join(encrypted, '..', 'enc.out.pdf'))).toBe(false);
    const unknown = await cli(['stamp', files.write('blob.bin', Buffer.from([1, 2, 3])), '-o', '-']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/cannot tell the format/);
    expect(readFileSync(encrypted).subarray(0, 5).toString()).toBe('%PDF-');
  });
});
