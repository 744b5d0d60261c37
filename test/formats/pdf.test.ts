import { describe, expect, it } from 'vitest';
import PDFKit from 'pdfkit';
import { PDFDocument, PDFName, PDFString, PDFHexString, PDFDict, PDFRawStream, PDFArray, PDFRef, decodePDFRawStream } from 'pdf-lib';
import { createLabeler } from '../../src/labeler.js';
import { DEFAULT_LABEL_IDS, DEFAULT_SITE_ID } from '../../src/policy/default-policy.js';
import { bufferBody } from '../../src/formats/body.js';
import { DEFAULT_FORMAT_LIMITS } from '../../src/formats/types.js';
import { detectFormat, handlerById } from '../../src/formats/registry.js';
import { parseMsipMetadata } from '../../src/evaluate/msip.js';
import { planActions } from '../../src/evaluate/plan.js';
import { SSN, fixture, pdfLibFile, pdfkitFile } from '../helpers/documents.js';

const labeler = createLabeler();
const ctx = { limits: DEFAULT_FORMAT_LIMITS };
const pdf = handlerById('pdf')!;
const HIGHLY = DEFAULT_LABEL_IDS.highlyConfidential;
const CONFIDENTIAL = DEFAULT_LABEL_IDS.confidential;

/** Info dictionary entries, read by pdf-lib (an independent parser). */
async function infoOf(bytes: Buffer): Promise<Record<string, string>> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const info = doc.context.lookup(doc.context.trailerInfo.Info, PDFDict);
  const out: Record<string, string> = {};
  for (const [k, ref] of info.entries()) {
    const v = doc.context.lookup(ref);
    if (v instanceof PDFString || v instanceof PDFHexString) out[k.decodeText()] = v.decodeText();
  }
  return out;
}

/** The XMP packet and every page's content streams, read by pdf-lib. */
async function structureOf(bytes: Buffer): Promise<{ xmp: string; pages: Array<{ markings: string[]; wrappers: number; content: string }> }> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const meta = doc.catalog.lookup(PDFName.of('Metadata'));
  const xmp = meta instanceof PDFRawStream ? Buffer.from(decodePDFRawStream(meta).decode()).toString('utf8') : '';
  const pages = doc.getPages().map((page) => {
    const contents = page.node.Contents();
    const refs = contents instanceof PDFArray ? contents.asArray() : [page.node.get(PDFName.of('Contents'))];
    const markings: string[] = [];
    let wrappers = 0;
    let content = '';
    for (const ref of refs) {
      const stream = doc.context.lookup(ref as PDFRef);
      if (!(stream instanceof PDFRawStream)) continue;
      const tag = stream.dict.lookupMaybe(PDFName.of('LabelgateMarking'), PDFString);
      if (tag) {
        markings.push(tag.decodeText());
        content += Buffer.from(decodePDFRawStream(stream).decode()).toString('latin1');
      }
      if (stream.dict.has(PDFName.of('LabelgateWrapper'))) wrappers++;
    }
    return { markings, wrappers, content };
  });
  return { xmp, pages };
}

function msipOf(record: Record<string, string>) {
  return parseMsipMetadata(Object.entries(record).map(([name, value]) => ({ name, value })));
}

describe('PDF labels', () => {
  it('stamps Info and XMP and draws header, footer and watermark on every page, as an incremental update (pdfkit input)', async () => {
    const input = await pdfkitFile([['Page one'], ['Page two'], ['Page three']]);
    const out = await labeler.stamp(input, { filename: 'r.pdf', label: 'Highly Confidential' });
    expect(out.format).toBe('pdf');
    expect(out.applied).toEqual({ header: true, footer: true, watermark: true, encryption: false });
    // Incremental: the original file is untouched at the front.
    expect(out.body.subarray(0, input.length).equals(input)).toBe(true);

    const info = await infoOf(out.body);
    expect(info.Title).toBe('Report');
    const labels = msipOf(info);
    expect(labels).toHaveLength(1);
    expect(labels[0]).toMatchObject({ labelId: HIGHLY, siteId: DEFAULT_SITE_ID, name: 'Highly Confidential', method: 'Standard', contentBits: 7 });

    const { xmp, pages } = await structureOf(out.body);
    for (const key of Object.keys(info).filter((k) => k.startsWith('MSIP_Label_'))) {
      expect(xmp).toContain(`<pdfx:${key}>${info[key]}</pdfx:${key}>`);
    }
    expect(pages).toHaveLength(3);
    for (const page of pages) {
      expect(page.markings).toEqual(['MSIPCM_v1_header', 'MSIPCM_v1_footer', 'MSIPWM_v1_main']);
      expect(page.wrappers).toBe(2);
      expect(page.content).toContain('/Artifact <</Type /Pagination /Subtype /Header>> BDC');
      expect(page.content).toContain('/Artifact <</Type /Pagination /Subtype /Watermark>> BDC');
      expect(page.content).toContain('/LGAlpha gs');
      expect(page.content).toContain(`<${Buffer.from('HIGHLY CONFIDENTIAL', 'latin1').toString('hex')}> Tj`);
      expect(page.content).toMatch(/0\.773 0\.059 0\.122 rg/); // #C50F1F
    }
    expect(parseMsipMetadata(await pdf.readLabel(bufferBody(out.body), ctx))[0]!.labelId).toBe(HIGHLY);
  });

  it('works on PDFs with object streams and a cross-reference stream (pdf-lib input)', async () => {
    const input = await pdfLibFile([['alpha'], ['beta']]);
    const out = await labeler.stamp(input, { filename: 'r.pdf', label: 'Confidential' });
    const doc = await PDFDocument.load(out.body);
    expect(doc.getPageCount()).toBe(2);
    expect(msipOf(await infoOf(out.body))[0]).toMatchObject({ labelId: CONFIDENTIAL, contentBits: 2 });
    const { pages } = await structureOf(out.body);
    expect(pages.map((p) => p.markings)).toEqual([['MSIPCM_v1_footer'], ['MSIPCM_v1_footer']]);
  });

  it('relabeling replaces the label and its markings; stamping the same label again changes nothing', async () => {
    const conf = await labeler.stamp(await pdfkitFile([['a'], ['b']]), { filename: 'r.pdf', label: 'Confidential' });
    const hc = await labeler.stamp(conf.body, { filename: 'r.pdf', label: 'Highly Confidential' });
    expect(msipOf(await infoOf(hc.body)).map((l) => l.labelId)).toEqual([HIGHLY]);
    const { xmp, pages } = await structureOf(hc.body);
    expect(xmp).not.toContain(CONFIDENTIAL);
    expect(xmp.match(/<rdf:Description rdf:about="" xmlns:pdfx=/g)).toHaveLength(1);
    for (const page of pages) {
      expect(page.markings).toEqual(['MSIPCM_v1_header', 'MSIPCM_v1_footer', 'MSIPWM_v1_main']);
      expect(page.wrappers).toBe(2);
      expect(page.content).not.toContain(Buffer.from('Confidential', 'latin1').toString('hex') + '>');
    }
    const again = await labeler.stamp(hc.body, { filename: 'r.pdf', label: 'Highly Confidential' });
    expect(again.change).toBe('kept');
    expect(again.body.equals(hc.body)).toBe(true);
  });

  it('a label removal takes off every marking and every MSIP key (Info and XMP), and keeps the rest', async () => {
    const hc = await labeler.stamp(await pdfkitFile([['a']], { info: { Author: 'Finance' } }), { filename: 'r.pdf', label: 'Highly Confidential' });
    const body = bufferBody(hc.body);
    const metadata = await pdf.readLabel(body, ctx);
    const actions = await labeler.evaluateRemoval(
      { '@odata.type': '#microsoft.graph.security.contentInfo', contentFormat: 'file', identifier: null, state: 'rest', metadata },
      { isDowngradeJustified: true, justificationMessage: 'test' },
    );
    const result = await pdf.apply(body, planActions(actions), ctx);
    const out = (result.body as { bytes: Buffer }).bytes;
    const info = await infoOf(out);
    expect(Object.keys(info).filter((k) => k.startsWith('MSIP'))).toEqual([]);
    expect(info.Author).toBe('Finance');
    const { xmp, pages } = await structureOf(out);
    expect(xmp).not.toContain('MSIP_Label_');
    expect(pages[0]).toMatchObject({ markings: [], wrappers: 0 });
    expect(await pdf.readLabel(bufferBody(out), ctx)).toEqual([]);
  });

  it('keeps an existing XMP packet and adds the label to it (PDF/A input from pdfkit)', async () => {
    const input = await new Promise<Buffer>((resolve, reject) => {
      const doc = new PDFKit({ pdfVersion: '1.4', subset: 'PDF/A-1b', info: { Title: 'Archived report' } });
      const chunks: Buffer[] = [];
      doc.on('data', (c: Buffer) => chunks.push(c));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
      doc.end();
    });
    const before = (await structureOf(input)).xmp;
    expect(before).toContain('pdfaid');
    const out = await labeler.stamp(input, { filename: 'a.pdf', label: 'General' });
    const { xmp } = await structureOf(out.body);
    expect(xmp).toContain('pdfaid');
    expect(xmp).toContain(`<pdfx:MSIP_Label_${DEFAULT_LABEL_IDS.general}_Enabled>true</pdfx:MSIP_Label_${DEFAULT_LABEL_IDS.general}_Enabled>`);
  });

  it('classifies page text: a PDF listing an SSN is labeled automatically (pdfkit and LibreOffice inputs)', async () => {
    const input = await pdfkitFile([['Payroll export'], [`Employee SSN ${SSN}`]]);
    const out = await labeler.stamp(input, { filename: 'p.pdf' });
    expect(out.classificationResults.map((r) => r.sensitiveTypeId)).toContain('a44669fe-0d48-453d-a9b1-2cc83f2cba77');
    expect(out.label?.name).toBe('Confidential');
    let text = '';
    for await (const chunk of pdf.extractText(bufferBody(fixture('memo.pdf')), ctx)) text += chunk;
    // The checked-in LibreOffice memo quotes the Woolworth wallet-card number (a known fake SSN).
    expect(text).toContain('Employee SSN 078-05-1120 must be verified.');
  });

  it('detects PDFs by their first bytes, but not a text report that merely quotes "%PDF-"', async () => {
    const csv = Buffer.from('file,header\nreport.pdf,%PDF-1.7\n');
    expect(detectFormat({ contentType: 'text/csv', head: csv })!.id).toBe('csv');
    const real = await pdfkitFile([['x']]);
    expect(detectFormat({ contentType: 'application/octet-stream', head: real.subarray(0, 8192) })!.id).toBe('pdf');
    // Junk before the header (which viewers accept): the extension decides, and the file is labeled.
    const junk = Buffer.concat([Buffer.from('garbage line\n'), real]);
    const out = await labeler.stamp(junk, { filename: 'junk.pdf', label: 'General' });
    expect(out.format).toBe('pdf');
    expect(msipOf(await infoOf(out.body.subarray(13)))).toHaveLength(1);
  });

  it('draws markings in the reading orientation of rotated pages', async () => {
    const out = await labeler.stamp(await pdfLibFile([['rotated']], { rotate: 90 }), { filename: 'r.pdf', label: 'Highly Confidential' });
    const { pages } = await structureOf(out.body);
    // Rotate 90 with a 595×842 page: visual frame 842 wide, mapped by [0 1 -1 0 595 0].
    expect(pages[0]!.content).toContain('0 1 -1 0 595 0 cm');
  });

  it('does not draw text Helvetica cannot encode, and ContentBits says so', async () => {
    const body = bufferBody(await pdfkitFile([['x']]));
    const plan = planActions([
      {
        '@odata.type': '#microsoft.graph.security.applyLabelAction',
        sensitivityLabelId: HIGHLY,
        actionSource: 'manual',
        responsibleSensitiveTypeIds: [],
        actions: [
          { '@odata.type': '#microsoft.graph.security.addContentHeaderAction', uiElementName: 'MSIPCM_v1_header', text: '機密', fontName: 'Calibri', fontSize: 10, fontColor: '#000000', alignment: 'center', margin: 10 },
          { '@odata.type': '#microsoft.graph.security.addContentFooterAction', uiElementName: 'MSIPCM_v1_footer', text: 'Vertraulich – intern', fontName: 'Calibri', fontSize: 10, fontColor: '#000000', alignment: 'right', margin: 10 },
          {
            '@odata.type': '#microsoft.graph.security.metadataAction',
            metadataToRemove: [],
            metadataToAdd: [
              { name: `MSIP_Label_${HIGHLY}_Enabled`, value: 'true' },
              { name: `MSIP_Label_${HIGHLY}_SiteId`, value: DEFAULT_SITE_ID },
              { name: `MSIP_Label_${HIGHLY}_ContentBits`, value: '3' },
            ],
          },
        ],
      },
    ]);
    const result = await pdf.apply(body, plan, ctx);
    expect(result.applied).toMatchObject({ header: false, footer: true });
    expect(result.metadata.find((p) => p.name.endsWith('_ContentBits'))!.value).toBe('2');
  });
});
