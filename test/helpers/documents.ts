/**
 * Real input files for the format tests, made by real writers: exceljs (workbooks), docx
 * (documents), pdfkit (PDFs with a classic xref table) and pdf-lib (PDFs with object streams and
 * an xref stream), plus the LibreOffice-saved fixtures in test/fixtures/libreoffice.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import PDFKit from 'pdfkit';
import { PDFDocument as PdfLibDocument, StandardFonts, degrees } from 'pdf-lib';
import { Document, Footer, Header, Packer, Paragraph, TextRun, CommentRangeStart, CommentRangeEnd, CommentReference } from 'docx';

export const SSN = '536-90-4399'; // structurally valid; 078-05-1120 (the Woolworth wallet card) is a known fake the classifier rejects
export const CARD = '4111 1111 1111 1111';

export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/libreoffice/${name}`, import.meta.url));
}

/** A workbook with shared strings (exceljs' default writer). */
export async function xlsxShared(rows: unknown[][], options: { footer?: string; sheets?: number } = {}): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (let s = 0; s < (options.sheets ?? 1); s++) {
    const ws = wb.addWorksheet(`Sheet ${s + 1}`);
    for (const row of rows) ws.addRow(row);
    if (options.footer) ws.headerFooter.oddFooter = options.footer;
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A workbook written by exceljs' streaming writer without shared strings (str / inlineStr cells). */
export async function xlsxStreamed(rows: unknown[][]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false });
  const ws = wb.addWorksheet('Data');
  for (const row of rows) ws.addRow(row).commit();
  ws.commit();
  await wb.commit();
  return Buffer.concat(chunks);
}

export async function docxFile(options: {
  body: string[];
  header?: string;
  footer?: string;
  comment?: string;
  customProperties?: Array<{ name: string; value: string }>;
}): Promise<Buffer> {
  const children = options.body.map((text, i) =>
    i === 0 && options.comment
      ? new Paragraph({ children: [new CommentRangeStart(0), new TextRun(text), new CommentRangeEnd(0), new TextRun({ children: [new CommentReference(0)] })] })
      : new Paragraph({ children: [new TextRun(text)] }),
  );
  const doc = new Document({
    creator: 'labelgate tests',
    customProperties: options.customProperties ?? [],
    ...(options.comment
      ? { comments: { children: [{ id: 0, author: 'Reviewer', date: new Date(0), children: [new Paragraph({ children: [new TextRun(options.comment)] })] }] } }
      : {}),
    sections: [
      {
        ...(options.header ? { headers: { default: new Header({ children: [new Paragraph(options.header)] }) } } : {}),
        ...(options.footer ? { footers: { default: new Footer({ children: [new Paragraph(options.footer)] }) } } : {}),
        children,
      },
    ],
  });
  return Packer.toBuffer(doc);
}

/** A PDF written by pdfkit (classic cross-reference table). */
export function pdfkitFile(pages: string[][], options: { userPassword?: string; info?: Record<string, string> } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFKit({ size: 'A4', info: { Title: 'Report', ...options.info }, ...(options.userPassword ? { userPassword: options.userPassword, ownerPassword: 'owner' } : {}) });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    pages.forEach((lines, i) => {
      if (i > 0) doc.addPage();
      doc.fontSize(10);
      for (const line of lines) doc.text(line);
    });
    doc.end();
  });
}

/** A PDF written by pdf-lib (object streams + cross-reference stream), optionally with rotated pages. */
export async function pdfLibFile(pages: string[][], options: { rotate?: number } = {}): Promise<Buffer> {
  const doc = await PdfLibDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = doc.addPage([595, 842]);
    if (options.rotate) page.setRotation(degrees(options.rotate));
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 14, size: 10, font }));
  }
  return Buffer.from(await doc.save());
}
