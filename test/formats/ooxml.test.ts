import { describe, expect, it } from 'vitest';
import JSZip from 'jszip';
import { createLabeler } from '../../src/labeler.js';
import { DEFAULT_LABEL_IDS, DEFAULT_SITE_ID } from '../../src/policy/default-policy.js';
import { bufferBody } from '../../src/formats/body.js';
import { DEFAULT_FORMAT_LIMITS } from '../../src/formats/types.js';
import { detectFormat, handlerById } from '../../src/formats/registry.js';
import { parseMsipMetadata } from '../../src/evaluate/msip.js';
import { isLabelgateError } from '../../src/errors.js';
import { CARD, SSN, docxFile, fixture, xlsxShared, xlsxStreamed } from '../helpers/documents.js';

const labeler = createLabeler();
const ctx = { limits: DEFAULT_FORMAT_LIMITS };
const CONFIDENTIAL = DEFAULT_LABEL_IDS.confidential;
const HIGHLY = DEFAULT_LABEL_IDS.highlyConfidential;

async function parts(bytes: Buffer): Promise<Map<string, string>> {
  const zip = await JSZip.loadAsync(bytes, { checkCRC32: true });
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(zip.files)) if (!file.dir) out.set(name, await file.async('string'));
  return out;
}

async function textOf(bytes: Buffer, filename: string): Promise<string> {
  const handler = detectFormat({ filename, head: bytes.subarray(0, 8192) })!;
  let text = '';
  for await (const chunk of handler.extractText(bufferBody(bytes), { ...ctx, filename })) text += chunk;
  return text;
}

async function readLabel(bytes: Buffer, id = 'xlsx') {
  return handlerById(id)!.readLabel(bufferBody(bytes), ctx);
}

function customProps(xml: string): Array<{ name: string; pid: string; value: string }> {
  return [...xml.matchAll(/<property fmtid="\{D5CDD505-2E9C-101B-9397-08002B2CF9AE\}" pid="(\d+)" name="([^"]+)"><vt:lpwstr>([^<]*)<\/vt:lpwstr><\/property>/g)].map((m) => ({
    pid: m[1]!,
    name: m[2]!,
    value: m[3]!,
  }));
}

describe('OOXML labels', () => {
  it('writes custom.xml and LabelInfo.xml with their relationships and content types, and reads them back', async () => {
    const input = await xlsxShared([['Quarterly numbers', 42]]);
    const result = await labeler.stamp(input, { filename: 'report.xlsx', label: 'Confidential' });
    expect(result.format).toBe('xlsx');
    expect(result.change).toBe('applied');
    const p = await parts(result.body);

    const props = customProps(p.get('docProps/custom.xml')!);
    expect(props.map((x) => x.name)).toEqual(
      ['Enabled', 'SetDate', 'Method', 'Name', 'SiteId', 'ActionId', 'ContentBits'].map((a) => `MSIP_Label_${CONFIDENTIAL}_${a}`),
    );
    expect(new Set(props.map((x) => x.pid)).size).toBe(props.length);
    expect(props.every((x) => Number(x.pid) >= 2)).toBe(true);
    expect(props.find((x) => x.name.endsWith('_ContentBits'))!.value).toBe('2'); // the footer was drawn

    expect(p.get('docMetadata/LabelInfo.xml')).toBe(
      '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata">' +
        `<clbl:label id="{${CONFIDENTIAL}}" enabled="1" method="Standard" siteId="{${DEFAULT_SITE_ID}}" contentBits="2" removed="0"/></clbl:labelList>`,
    );
    const ct = p.get('[Content_Types].xml')!;
    expect(ct).toContain('<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>');
    expect(ct).toContain('<Override PartName="/docMetadata/LabelInfo.xml" ContentType="application/vnd.ms-office.classificationlabels+xml"/>');
    const rels = p.get('_rels/.rels')!;
    expect(rels).toMatch(/Type="http:\/\/schemas\.openxmlformats\.org\/officeDocument\/2006\/relationships\/custom-properties" Target="docProps\/custom\.xml"/);
    expect(rels).toMatch(/Type="http:\/\/schemas\.microsoft\.com\/office\/2020\/02\/relationships\/classificationlabels" Target="docMetadata\/LabelInfo\.xml"/);
    expect(new Set([...rels.matchAll(/Id="([^"]+)"/g)].map((m) => m[1])).size).toBe([...rels.matchAll(/Id="/g)].length);

    const back = parseMsipMetadata(await readLabel(result.body));
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ labelId: CONFIDENTIAL, siteId: DEFAULT_SITE_ID, enabled: true, method: 'Standard', name: 'Confidential', contentBits: 2 });
    expect(result.metadata).toEqual(await readLabel(result.body));
  });

  it('keeps every existing custom property, with its pid, when it adds or replaces a label', async () => {
    const input = await docxFile({ body: ['Hello'], customProperties: [{ name: 'Department', value: 'Finance' }, { name: 'Project', value: 'Atlas' }] });
    const before = customProps((await parts(input)).get('docProps/custom.xml')!);
    const once = await labeler.stamp(input, { filename: 'a.docx', label: 'Confidential' });
    const twice = await labeler.stamp(once.body, { filename: 'a.docx', label: 'Highly Confidential' });
    for (const out of [once, twice]) {
      const after = customProps((await parts(out.body)).get('docProps/custom.xml')!);
      for (const prop of before) expect(after).toContainEqual(prop);
      expect(new Set(after.map((x) => x.pid)).size).toBe(after.length);
    }
    const finalProps = customProps((await parts(twice.body)).get('docProps/custom.xml')!);
    expect(finalProps.filter((x) => x.name.includes(CONFIDENTIAL))).toEqual([]);
    expect(finalProps.filter((x) => x.name.startsWith(`MSIP_Label_${HIGHLY}`))).toHaveLength(7);

    // A LibreOffice-saved document with a user-defined property.
    const lo = await labeler.stamp(fixture('memo.docx'), { filename: 'memo.docx', label: 'General' });
    expect(customProps((await parts(lo.body)).get('docProps/custom.xml')!)[0]).toEqual({ pid: '2', name: 'Department', value: 'Finance' });
  });

  it('reads LabelInfo.xml first per tenant; custom.xml only fills in its attributes, or serves tenants without an element', async () => {
    const other = '11111111-2222-3333-4444-555555555555';
    const stale = '99999999-8888-7777-6666-555555555555';
    const zip = await JSZip.loadAsync(await xlsxShared([['x']]));
    const prop = (pid: number, name: string, value: string) =>
      `<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="${pid}" name="${name}"><vt:lpwstr>${value}</vt:lpwstr></property>`;
    zip.file(
      'docProps/custom.xml',
      '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' +
        prop(2, `MSIP_Label_${stale}_Enabled`, 'true') +
        prop(3, `MSIP_Label_${stale}_SiteId`, DEFAULT_SITE_ID) +
        prop(4, `MSIP_Label_${HIGHLY}_Name`, 'Highly Confidential') +
        prop(5, `MSIP_Label_${HIGHLY}_SetDate`, '2026-01-02T03:04:05Z') +
        prop(6, `MSIP_Label_${CONFIDENTIAL}_Enabled`, 'true') +
        prop(7, `MSIP_Label_${CONFIDENTIAL}_SiteId`, other) +
        '</Properties>',
    );
    zip.file(
      'docMetadata/LabelInfo.xml',
      `<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata"><clbl:label id="{${HIGHLY.toUpperCase()}}" enabled="1" method="Privileged" siteId="{${DEFAULT_SITE_ID}}" contentBits="0" removed="0"/></clbl:labelList>`,
    );
    const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    const labels = parseMsipMetadata(await readLabel(bytes));
    expect(labels.map((l) => [l.labelId, l.siteId, l.method, l.name, l.setDate])).toEqual([
      [CONFIDENTIAL, other, undefined, undefined, undefined],
      [HIGHLY, DEFAULT_SITE_ID, 'Privileged', 'Highly Confidential', '2026-01-02T03:04:05Z'],
    ]);

    // removed="1" hides the tenant's custom.xml label completely.
    zip.file(
      'docMetadata/LabelInfo.xml',
      `<clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata"><clbl:label id="{${DEFAULT_SITE_ID}}" enabled="0" method="" siteId="{${DEFAULT_SITE_ID}}" removed="1"/></clbl:labelList>`,
    );
    const removed = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    expect(parseMsipMetadata(await readLabel(removed)).map((l) => l.siteId)).toEqual([other]);
  });

  it('replacing a label leaves exactly one label per tenant in both locations (stale keys of the tenant included)', async () => {
    const stale = '99999999-8888-7777-6666-555555555555';
    const zip = await JSZip.loadAsync(await xlsxShared([['x']]));
    zip.file(
      'docProps/custom.xml',
      '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' +
        `<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="MSIP_Label_${stale}_Enabled"><vt:lpwstr>true</vt:lpwstr></property>` +
        `<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="MSIP_Label_${stale}_SiteId"><vt:lpwstr>${DEFAULT_SITE_ID}</vt:lpwstr></property>` +
        '</Properties>',
    );
    const input = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    const out = await labeler.stamp(input, { filename: 'x.xlsx', label: 'Confidential' });
    const p = await parts(out.body);
    const names = customProps(p.get('docProps/custom.xml')!).map((x) => x.name);
    expect(names.some((n) => n.includes(stale))).toBe(false);
    expect(parseMsipMetadata(await readLabel(out.body)).map((l) => l.labelId)).toEqual([CONFIDENTIAL]);
    expect([...p.get('docMetadata/LabelInfo.xml')!.matchAll(/<clbl:label /g)]).toHaveLength(1);
  });

  it('keeps an application/xml override for LabelInfo.xml (the spec\'s type) and corrects any other type', async () => {
    for (const [given, expected] of [
      ['application/xml', 'application/xml'],
      ['text/plain', 'application/vnd.ms-office.classificationlabels+xml'],
    ] as const) {
      const zip = await JSZip.loadAsync(await xlsxShared([['x']]));
      const ct = await zip.file('[Content_Types].xml')!.async('string');
      zip.file('[Content_Types].xml', ct.replace('</Types>', `<Override ContentType="${given}" PartName="/docMetadata/LabelInfo.xml"/></Types>`));
      const out = await labeler.stamp(await zip.generateAsync({ type: 'nodebuffer' }), { filename: 'x.xlsx', label: 'General' });
      const after = (await parts(out.body)).get('[Content_Types].xml')!;
      expect(after.match(/PartName="\/docMetadata\/LabelInfo\.xml"/g)).toHaveLength(1);
      expect(after).toMatch(new RegExp(`ContentType="${expected.replace(/[.+]/g, '\\$&')}"[^>]*PartName="/docMetadata/LabelInfo.xml"|PartName="/docMetadata/LabelInfo.xml" ContentType="${expected.replace(/[.+]/g, '\\$&')}"`));
    }
  });

  it('extracts the text of every sheet: shared strings, inline strings, str and number cells, in row order', async () => {
    const shared = await xlsxShared([['Name', 'SSN'], ['Alice', SSN], ['Total', 1234.5]], { sheets: 2 });
    const text = await textOf(shared, 'a.xlsx');
    expect(text).toBe(`Name\tSSN\t\nAlice\t${SSN}\t\nTotal\t1234.5\t\n`.repeat(2));
    const streamed = await xlsxStreamed([['Card', CARD], [{ richText: [{ text: 'rich ' }, { text: 'text', font: { bold: true } }] }, 7]]);
    expect(await textOf(streamed, 'b.xlsx')).toBe(`Card\t${CARD}\t\nrich text\t7\t\n`);
    expect(await textOf(fixture('report.xlsx'), 'report.xlsx')).toContain(`Alice Example\talice@example.com\t${CARD}\t12.5`);
  });

  it('extracts document body, headers, footers and comments; slide text of presentations', async () => {
    const doc = await docxFile({ body: ['First paragraph', `SSN ${SSN}`], header: 'Header words', footer: 'Footer words', comment: 'A reviewer comment' });
    const text = await textOf(doc, 'a.docx');
    for (const part of ['First paragraph', `SSN ${SSN}`, 'Header words', 'Footer words', 'A reviewer comment']) expect(text).toContain(part);
    const deck = await textOf(fixture('deck.pptx'), 'deck.pptx');
    expect(deck.indexOf('Sales review deck')).toBeGreaterThanOrEqual(0);
    expect(deck.indexOf(`Contact card ${CARD} for refunds`)).toBeGreaterThan(deck.indexOf('Sales review deck'));
  });

  it('classifies Office content: a workbook of card numbers is labeled automatically', async () => {
    const input = await xlsxShared([['Customer', 'Card'], ['Alice', CARD]]);
    const out = await labeler.stamp(input, { filename: 'cards.xlsx' });
    expect(out.classificationResults.map((r) => r.sensitiveTypeId)).toContain('50842eb7-edc8-4019-85dd-5a5c1f2bb085');
    expect(out.label?.name).toBe('Confidential');
    expect(out.headers['sensitivity-label']).toContain('name="Confidential"');
  });

  it('labels a presentation in metadata only: ContentBits says no marking was drawn', async () => {
    const out = await labeler.stamp(fixture('deck.pptx'), { filename: 'deck.pptx', label: 'Highly Confidential' });
    expect(out.format).toBe('pptx');
    expect(out.applied).toEqual({ header: false, footer: false, watermark: false, encryption: false });
    expect(parseMsipMetadata(await readLabel(out.body, 'pptx'))[0]!.contentBits).toBe(0);
  });

  it('picks the handler by content type or extension when the first bytes are ambiguous (macro-enabled variants)', async () => {
    const input = await xlsxShared([['x']]);
    expect(detectFormat({ filename: 'book.xlsm', head: input.subarray(0, 8192) })!.id).toBe('xlsm');
    expect(detectFormat({ contentType: 'application/vnd.ms-excel.sheet.macroEnabled.12', head: input.subarray(0, 8192) })!.id).toBe('xlsm');
    expect(detectFormat({ head: input.subarray(0, 8192) })!.id).toBe('xlsx');
    expect(detectFormat({ head: (await docxFile({ body: ['x'] })).subarray(0, 8192) })!.id).toBe('docx');
    const out = await labeler.stamp(input, { filename: 'book.xlsm', label: 'General' });
    expect(out.format).toBe('xlsm');
  });

  it('refuses encrypted and legacy binary Office files with a clear reason', async () => {
    const cfb = Buffer.alloc(4096);
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(cfb);
    const encrypted = Buffer.concat([cfb, Buffer.from('EncryptionInfo', 'utf16le'), Buffer.alloc(512)]);
    for (const [bytes, code, message] of [
      [encrypted, 'FORMAT_ENCRYPTED', /encrypted \(password or rights-management protection\)/],
      [cfb, 'FORMAT_UNSUPPORTED', /legacy binary Office file/],
    ] as const) {
      const err = await labeler.stamp(bytes, { filename: 'secret.xlsx', label: 'General' }).catch((e: unknown) => e);
      expect(isLabelgateError(err) && err.code).toBe(code);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('refuses a DOCTYPE (billion laughs) inside a package part, quickly', async () => {
    const zip = await JSZip.loadAsync(await xlsxShared([['x']]));
    let entity = '<!ENTITY a0 "lol">';
    for (let i = 1; i < 10; i++) entity += `<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`;
    zip.file('docProps/custom.xml', `<?xml version="1.0"?><!DOCTYPE Properties [${entity}]><Properties>&a9;</Properties>`);
    const bomb = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    const started = Date.now();
    const err = await labeler.stamp(bomb, { filename: 'x.xlsx', label: 'General' }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(isLabelgateError(err) && err.code).toBe('FORMAT_MALFORMED');
    expect((err as Error).message).toMatch(/docProps\/custom\.xml declares a DOCTYPE/);
  });
});
