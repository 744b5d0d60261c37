import { describe, expect, it } from 'vitest';
import JSZip from 'jszip';
import { createLabeler } from '../../src/labeler.js';
import { decodeXmlText } from '../../src/formats/xml/scan.js';
import { formatSections, markingSegment, markWorksheet, markWorksheetStreaming, parseSections, type SheetMarkingPlan } from '../../src/formats/ooxml/xlsx-markings.js';
import { inflateRawSync } from 'node:zlib';
import { bufferBody } from '../../src/formats/body.js';
import { handlerById } from '../../src/formats/registry.js';
import { DEFAULT_FORMAT_LIMITS } from '../../src/formats/types.js';
import { planActions } from '../../src/evaluate/plan.js';
import { docxFile, fixture, xlsxShared } from '../helpers/documents.js';

const labeler = createLabeler();

const ctx = { limits: DEFAULT_FORMAT_LIMITS };

async function headerFooterText(bytes: Buffer): Promise<string> {
  const zip = await JSZip.loadAsync(bytes);
  const names = Object.keys(zip.files).filter((n) => /^word\/(header|footer)\d*\.xml$/.test(n));
  return (await Promise.all(names.map((n) => zip.file(n)!.async('string')))).join('\n');
}

async function part(bytes: Buffer, name: string): Promise<string | undefined> {
  return (await JSZip.loadAsync(bytes)).file(name)?.async('string');
}

function headerFooter(sheetXml: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of sheetXml.matchAll(/<(oddHeader|oddFooter|evenHeader|evenFooter|firstHeader|firstFooter)>([^<]*)<\/\1>/g)) out[m[1]!] = decodeXmlText(m[2]!);
  return out;
}

const CONF_FOOTER = '&"Calibri,Regular"&10&KFF8C00Confidential';
const HC_HEADER = '&"Calibri,Regular"&10&KC50F1FHIGHLY CONFIDENTIAL';
const HC_FOOTER = '&"Calibri,Regular"&10&KC50F1FHighly Confidential - internal use only';

describe('workbook markings (print header/footer)', () => {
  it('parses and formats header/footer sections, escaping & in marking text', () => {
    const s = parseSections('&LLeft &&co&C&"Arial,Bold"&12Centre&RRight');
    expect(s).toEqual({ L: 'Left &&co', C: '&"Arial,Bold"&12Centre', R: 'Right' });
    expect(formatSections(s)).toBe('&LLeft &&co&C&"Arial,Bold"&12Centre&RRight');
    expect(markingSegment({ '@odata.type': '#microsoft.graph.security.addContentFooterAction', uiElementName: 'MSIPCM_v1_footer', text: 'R&D only', fontName: 'Arial', fontSize: 9, fontColor: '#00ff00', alignment: 'left', margin: 5 })).toBe(
      '&"Arial,Regular"&9&K00FF00R&&D only',
    );
  });

  it('writes the marking into the section of its alignment on every sheet, next to what the user wrote', async () => {
    const input = await xlsxShared([['a']], { footer: '&LMy footer', sheets: 2 });
    const out = await labeler.stamp(input, { filename: 'a.xlsx', label: 'Confidential' });
    expect(out.applied).toMatchObject({ header: false, footer: true });
    for (const sheet of ['xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml']) {
      expect(headerFooter((await part(out.body, sheet))!)).toEqual({ oddFooter: `&LMy footer&C${CONF_FOOTER}` });
    }
  });

  it('relabeling takes the old marking off and puts the new one on, keeping the user content (LibreOffice file)', async () => {
    const conf = await labeler.stamp(fixture('report.xlsx'), { filename: 'r.xlsx', label: 'Confidential' });
    const hc = await labeler.stamp(conf.body, { filename: 'r.xlsx', label: 'Highly Confidential' });
    expect(hc.applied).toMatchObject({ header: true, footer: true });
    const hf = headerFooter((await part(hc.body, 'xl/worksheets/sheet1.xml'))!);
    expect(hf).toEqual({
      oddHeader: `&C&"DejaVu Serif,Book"&12&A\n${HC_HEADER}`,
      oddFooter: `&C&"DejaVu Serif,Book"&12Page &P\n${HC_FOOTER}`,
    });
    // Stamping the same label again changes nothing visible: still exactly one marking per section.
    const again = await labeler.stamp(hc.body, { filename: 'r.xlsx', label: 'Highly Confidential' });
    expect(again.change).toBe('kept');
    expect(headerFooter((await part(again.body, 'xl/worksheets/sheet1.xml'))!)).toEqual(hf);
  });

  it('adds headerFooter in schema order when the sheet has none', async () => {
    const input = await xlsxShared([['a']]);
    const out = await labeler.stamp(input, { filename: 'a.xlsx', label: 'Highly Confidential' });
    const xml = (await part(out.body, 'xl/worksheets/sheet1.xml'))!;
    expect(xml).toMatch(/<pageSetup [^>]*\/><headerFooter><oddHeader>/);
    expect(xml.endsWith('</headerFooter></worksheet>')).toBe(true);
  });

  it('does not apply a marking that would overflow Excel\'s 255-character header, and says so in ContentBits', async () => {
    const input = await xlsxShared([['a']], { footer: `&C${'x'.repeat(240)}` });
    const out = await labeler.stamp(input, { filename: 'a.xlsx', label: 'Confidential' });
    expect(out.applied.footer).toBe(false);
    expect(out.metadata.find((p) => p.name.endsWith('_ContentBits'))!.value).toBe('0');
    expect(headerFooter((await part(out.body, 'xl/worksheets/sheet1.xml'))!).oddFooter).toBe(`&C${'x'.repeat(240)}`);
  });
});

describe('large worksheets re-encoded as a stream', () => {
  const plan: SheetMarkingPlan = {
    header: { '@odata.type': '#microsoft.graph.security.addContentHeaderAction', uiElementName: 'MSIPCM_v1_header', text: 'SECRET', fontName: 'Arial', fontSize: 9, fontColor: '#112233', alignment: 'left', margin: 5 },
    footer: undefined,
    removeHeader: true,
    removeFooter: false,
  };
  const sheet = (middle: string, tail: string) =>
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${middle}</sheetData>${tail}</worksheet>`,
    );
  async function* chunks(bytes: Buffer, size = 256 * 1024) {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  const rows = '<row r="1"><c r="A1"><v>1</v></c></row>'.repeat(160_000); // ~6 MB

  it('gives the same part as editing it in memory, with the right CRC and size', async () => {
    const bytes = sheet(rows, '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><drawing r:id="rId1" xmlns:r="urn:r"/>');
    const inMemory = markWorksheet(bytes, plan);
    const streamed = (await markWorksheetStreaming(chunks(bytes), plan))!;
    const inflated = inflateRawSync(streamed.deflated!.deflated);
    expect(inflated.equals(inMemory.bytes!)).toBe(true);
    expect(streamed.deflated!.size).toBe(inflated.length);
    expect(streamed).toMatchObject({ header: true, footer: false });
    expect(inflated.toString('utf8').endsWith('<headerFooter><oddHeader>&amp;L&amp;"Arial,Regular"&amp;9&amp;K112233SECRET</oddHeader></headerFooter><drawing r:id="rId1" xmlns:r="urn:r"/></worksheet>')).toBe(true);
  });

  it('hands back to the in-memory path when the end of the sheet is larger than its window', async () => {
    const bytes = sheet(rows, `<extLst><ext uri="x"><!-- ${'x'.repeat(5 * 1024 * 1024)} --></ext></extLst>`);
    expect(await markWorksheetStreaming(chunks(bytes), plan)).toBeUndefined();
  });
});

describe('document markings (header/footer parts)', () => {
  it('puts a tagged content control into existing headers and creates missing footers with their references', async () => {
    const input = await docxFile({ body: ['Body text'], header: 'Existing header' });
    const out = await labeler.stamp(input, { filename: 'a.docx', label: 'Highly Confidential' });
    expect(out.applied).toEqual({ header: true, footer: true, watermark: false, encryption: false });
    const zip = await JSZip.loadAsync(out.body);
    const doc = await zip.file('word/document.xml')!.async('string');
    const rels = await zip.file('word/_rels/document.xml.rels')!.async('string');
    const ct = await zip.file('[Content_Types].xml')!.async('string');
    const headerRef = /<w:headerReference w:type="default" r:id="([^"]+)"\/>/.exec(doc)![1]!;
    const footerRef = /<w:footerReference w:type="default" r:id="([^"]+)"\/>/.exec(doc)![1]!;
    const target = (id: string) => new RegExp(`Id="${id}" Type="[^"]+/(header|footer)" Target="([^"]+)"`).exec(rels)!;
    const header = await zip.file(`word/${target(headerRef)[2]}`)!.async('string');
    const footerTarget = target(footerRef);
    expect(footerTarget[1]).toBe('footer');
    const footer = await zip.file(`word/${footerTarget[2]}`)!.async('string');
    expect(ct).toContain(`<Override PartName="/word/${footerTarget[2]}" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>`);
    expect(header).toMatch(/<w:sdt><w:sdtPr><w:tag w:val="MSIPCM_v1_header"\/><\/w:sdtPr><w:sdtContent><w:p><w:pPr><w:jc w:val="center"\/><\/w:pPr>/);
    expect(header).toContain('<w:color w:val="C50F1F"/><w:sz w:val="20"/>');
    expect(header).toContain('>HIGHLY CONFIDENTIAL</w:t>');
    expect(header.indexOf('HIGHLY CONFIDENTIAL')).toBeLessThan(header.indexOf('Existing header'));
    expect(footer).toContain('<w:tag w:val="MSIPCM_v1_footer"/>');
    expect(footer).toContain('>Highly Confidential - internal use only</w:t>');
  });

  it('relabeling removes exactly the content controls labelgate wrote (LibreOffice file)', async () => {
    const conf = await labeler.stamp(fixture('memo.docx'), { filename: 'memo.docx', label: 'Confidential' });
    const hc = await labeler.stamp(conf.body, { filename: 'memo.docx', label: 'Highly Confidential' });
    const text = await headerFooterText(hc.body);
    expect(text.match(/MSIPCM_v1_header/g)).toHaveLength(1);
    expect(text.match(/MSIPCM_v1_footer/g)).toHaveLength(1);
    expect(text).toContain('>Highly Confidential - internal use only</w:t>');
    expect(text).not.toContain('>Confidential</w:t>');
    expect(text).toContain('Memo header text');
  });

  it('a label removal (evaluateRemoval) takes the markings off and leaves valid header parts', async () => {
    const hc = await labeler.stamp(await docxFile({ body: ['x'], header: 'Keep me' }), { filename: 'a.docx', label: 'Highly Confidential' });
    const body = bufferBody(hc.body);
    const handler = handlerById('docx')!;
    const metadata = await handler.readLabel(body, ctx);
    const actions = await labeler.evaluateRemoval(
      { '@odata.type': '#microsoft.graph.security.contentInfo', contentFormat: 'file', identifier: null, state: 'rest', metadata },
      { isDowngradeJustified: true, justificationMessage: 'test' },
    );
    const result = await handler.apply(body, planActions(actions), ctx);
    expect(result.body.kind).toBe('replaced');
    const out = (result.body as { bytes: Buffer }).bytes;
    const text = await headerFooterText(out);
    expect(text).not.toMatch(/MSIPCM_v1_/);
    expect(text).toContain('Keep me');
    // The created footer part keeps an empty paragraph (a header part needs one block element).
    expect(text).toMatch(/<w:ftr [^>]*><w:p\/><\/w:ftr>/);
    expect(result.metadata).toEqual([]);
    expect(await part(out, 'docMetadata/LabelInfo.xml')).toMatch(/<clbl:label id="\{[0-9a-f-]+\}" enabled="0" method="" siteId="\{[0-9a-f-]+\}" removed="1"\/>/);
  });
});
