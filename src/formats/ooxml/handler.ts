/**
 * OOXML format handlers (Excel, Word, PowerPoint and their macro-enabled and template variants).
 * One implementation serves all of them: what a package is comes from its main part's content
 * type, so a workbook served as `.docx` is still treated as a workbook.
 *
 * The label is written where current Office writes it — `docMetadata/LabelInfo.xml` — and where
 * every older MIP reader looks — `docProps/custom.xml` — each with its relationship and content type.
 */
import type { KeyValuePair } from '../../graph-types.js';
import { planChangesContent, type AppliedMarkings, type StampPlan } from '../../evaluate/plan.js';
import { budget } from '../budget.js';
import { changeLabelPairs, plannedLabels, removedTenants } from '../label-metadata.js';
import type { ApplyOptions, ApplyResult, FormatContext, FormatHandler, SourceBody } from '../types.js';
import { findEntry, inflateEntryChunks, isZip } from '../zip/read.js';
import { buildCustomProps, CUSTOM_PROPS_PART, customMsipPairs, parseCustomProps } from './custom-props.js';
import { markDocument } from './docx-markings.js';
import { buildLabelInfo, LABEL_INFO_PART, labelInfoEntry, mergeLabelLocations, parseLabelInfo, removedEntry, type LabelInfo } from './label-info.js';
import { CONTENT_TYPE, openPackage, REL_TYPE, type OoxmlPackage } from './package.js';
import { PackageEdit } from './package-edit.js';
import { ooxmlText } from './text.js';
import { markWorksheet, markWorksheetStreaming, type SheetMarkingPlan } from './xlsx-markings.js';

/** Where a package keeps a part that a root relationship points to (or its usual place). */
function locatePart(pkg: OoxmlPackage, relType: string, usual: string): string {
  return pkg.relsOfType('', relType)[0]?.part ?? usual;
}

interface LabelLocations {
  customPart: string;
  labelInfoPart: string;
  custom: ReturnType<typeof parseCustomProps>;
  labelInfo: LabelInfo | undefined;
  pairs: KeyValuePair[];
}

function readLocations(pkg: OoxmlPackage): LabelLocations {
  const customPart = locatePart(pkg, REL_TYPE.customProperties, CUSTOM_PROPS_PART);
  const labelInfoPart = locatePart(pkg, REL_TYPE.classificationLabels, LABEL_INFO_PART);
  const custom = parseCustomProps(pkg.xml(customPart));
  const labelInfo = parseLabelInfo(pkg.xml(labelInfoPart));
  return { customPart, labelInfoPart, custom, labelInfo, pairs: mergeLabelLocations(customMsipPairs(custom), labelInfo) };
}

/** Sheets above this size are re-encoded as a stream instead of in memory. */
const STREAM_SHEETS_ABOVE = 8 * 1024 * 1024;

async function markSheet(pkg: OoxmlPackage, edit: PackageEdit, part: string, plan: SheetMarkingPlan): Promise<{ header: boolean; footer: boolean }> {
  const entry = findEntry(pkg.zip, part)!;
  if (entry.size > STREAM_SHEETS_ABOVE && entry.method === 8) {
    const streamed = await markWorksheetStreaming(inflateEntryChunks(pkg.zip, entry, pkg.limits.maxXmlBytes), plan);
    if (streamed) {
      if (streamed.deflated) edit.setDeflated(part, streamed.deflated);
      return streamed;
    }
  }
  const result = markWorksheet(pkg.bytes(part)!, plan);
  if (result.bytes) edit.setBytes(part, result.bytes);
  return result;
}

async function applyMarkings(pkg: OoxmlPackage, edit: PackageEdit, plan: StampPlan): Promise<Pick<AppliedMarkings, 'header' | 'footer'>> {
  const removeHeader = plan.removeHeader.length > 0;
  const removeFooter = plan.removeFooter.length > 0;
  if (!plan.header && !plan.footer && !removeHeader && !removeFooter) return { header: false, footer: false };
  const main = pkg.mainPart!;
  if (pkg.kind === 'xlsx') {
    const sheets = pkg.relsOfType(main, 'worksheet').filter((r) => pkg.has(r.part!));
    let header = sheets.length > 0 && !!plan.header;
    let footer = sheets.length > 0 && !!plan.footer;
    for (const sheet of sheets) {
      const result = await markSheet(pkg, edit, sheet.part!, { header: plan.header, footer: plan.footer, removeHeader, removeFooter });
      header &&= result.header;
      footer &&= result.footer;
    }
    return { header, footer };
  }
  if (pkg.kind === 'docx') {
    const changes = markDocument(pkg, { header: plan.header, footer: plan.footer, removeHeader: plan.removeHeader, removeFooter: plan.removeFooter }, edit);
    for (const [part, xml] of changes.parts) edit.setXml(part, xml);
    for (const a of changes.added) edit.ensureContentType(a.part, a.contentType);
    return { header: changes.header, footer: changes.footer };
  }
  return { header: false, footer: false };
}

async function applyOoxml(body: SourceBody, plan: StampPlan, options: ApplyOptions): Promise<ApplyResult> {
  const pkg = await openPackage(body, options.limits);
  const loc = readLocations(pkg);
  if (!planChangesContent(plan)) {
    return { body: { kind: 'unchanged' }, applied: { header: false, footer: false, watermark: false, encryption: false }, metadata: loc.pairs };
  }
  const edit = new PackageEdit(pkg);
  const marks = pkg.mainPart && pkg.kind ? await applyMarkings(pkg, edit, plan) : { header: false, footer: false };
  const applied: AppliedMarkings = { ...marks, watermark: false, encryption: options.protectionPending === true };

  // custom.xml: this location's pairs under the plan.
  const customPairs = changeLabelPairs(customMsipPairs(loc.custom), plan, applied);
  const customXml = buildCustomProps(loc.custom, customPairs);
  if (customXml !== undefined) {
    edit.setXml(loc.customPart, customXml);
    edit.ensureContentType(loc.customPart, CONTENT_TYPE.customProperties);
    edit.ensureRelationship('', REL_TYPE.customProperties, loc.customPart);
  }

  // LabelInfo.xml: the plan's tenant gets its new element (or a removed="1" one); others stay.
  const entries = [...(loc.labelInfo?.entries ?? [])];
  const put = (e: (typeof entries)[number]) => {
    const i = entries.findIndex((x) => x.siteId === e.siteId);
    if (i >= 0) entries[i] = e;
    else entries.push(e);
  };
  for (const l of plannedLabels(plan, applied).labels) put(labelInfoEntry(l.labelId, l.siteId, l.method, l.contentBits));
  for (const tenant of removedTenants(loc.pairs, plan, applied)) put(removedEntry(tenant));
  const labelInfo: LabelInfo = { entries, extLst: loc.labelInfo?.extLst };
  if (entries.length > 0 || loc.labelInfo) {
    edit.setXml(loc.labelInfoPart, buildLabelInfo(labelInfo));
    edit.ensureContentType(loc.labelInfoPart, CONTENT_TYPE.labelInfo, [CONTENT_TYPE.labelInfo, 'application/xml']);
    edit.ensureRelationship('', REL_TYPE.classificationLabels, loc.labelInfoPart);
  }

  const metadata = mergeLabelLocations(customPairs, labelInfo);
  return { body: { kind: 'replaced', bytes: edit.build() }, applied, metadata };
}

interface OoxmlSpec {
  id: string;
  mediaTypes: string[];
  extensions: string[];
  /** The application folder whose entry names identify the package in the first bytes. */
  folder: 'xl/' | 'word/' | 'ppt/';
}

const FOLDERS = ['xl/', 'word/', 'ppt/'] as const;
const PACKAGE_NAMES = ['[Content_Types].xml', '_rels/.rels', 'docProps/'];

function ooxmlHandler(spec: OoxmlSpec): FormatHandler {
  return {
    id: spec.id,
    family: 'ooxml',
    mediaTypes: spec.mediaTypes,
    extensions: spec.extensions,
    embedsLabel: true,
    sniff(head: Buffer): boolean {
      if (!isZip(head)) return false;
      if (head.includes(spec.folder)) return true;
      // Entry names of another application: not ours. None at all: any OOXML handler may take it.
      if (FOLDERS.some((f) => f !== spec.folder && head.includes(f))) return false;
      return PACKAGE_NAMES.some((n) => head.includes(n));
    },
    async *extractText(body: SourceBody, ctx: FormatContext) {
      yield* ooxmlText(await openPackage(body, ctx.limits), budget(ctx, 'Office file'));
    },
    async readLabel(body: SourceBody, ctx: FormatContext) {
      return readLocations(await openPackage(body, ctx.limits)).pairs;
    },
    async readLabelLocations(body: SourceBody, ctx: FormatContext) {
      const loc = readLocations(await openPackage(body, ctx.limits));
      const entries = loc.labelInfo?.entries ?? [];
      return [
        { location: loc.customPart, metadata: customMsipPairs(loc.custom) },
        {
          location: loc.labelInfoPart,
          metadata: mergeLabelLocations([], loc.labelInfo),
          removedTenants: entries.filter((e) => e.removed).map((e) => e.siteId),
        },
      ];
    },
    apply: applyOoxml,
  };
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml';

export const xlsxHandler = ooxmlHandler({ id: 'xlsx', folder: 'xl/', mediaTypes: [`${XLSX}.sheet`, `${XLSX}.template`], extensions: ['.xlsx', '.xltx'] });
export const xlsmHandler = ooxmlHandler({
  id: 'xlsm',
  folder: 'xl/',
  mediaTypes: ['application/vnd.ms-excel.sheet.macroenabled.12', 'application/vnd.ms-excel.template.macroenabled.12'],
  extensions: ['.xlsm', '.xltm'],
});
export const docxHandler = ooxmlHandler({ id: 'docx', folder: 'word/', mediaTypes: [`${DOCX}.document`, `${DOCX}.template`], extensions: ['.docx', '.dotx'] });
export const docmHandler = ooxmlHandler({
  id: 'docm',
  folder: 'word/',
  mediaTypes: ['application/vnd.ms-word.document.macroenabled.12', 'application/vnd.ms-word.template.macroenabled.12'],
  extensions: ['.docm', '.dotm'],
});
export const pptxHandler = ooxmlHandler({
  id: 'pptx',
  folder: 'ppt/',
  mediaTypes: [`${PPTX}.presentation`, `${PPTX}.template`, `${PPTX}.slideshow`],
  extensions: ['.pptx', '.potx', '.ppsx'],
});
export const pptmHandler = ooxmlHandler({
  id: 'pptm',
  folder: 'ppt/',
  mediaTypes: [
    'application/vnd.ms-powerpoint.presentation.macroenabled.12',
    'application/vnd.ms-powerpoint.template.macroenabled.12',
    'application/vnd.ms-powerpoint.slideshow.macroenabled.12',
  ],
  extensions: ['.pptm', '.potm', '.ppsm'],
});

export const OOXML_HANDLERS: readonly FormatHandler[] = [xlsxHandler, xlsmHandler, docxHandler, docmHandler, pptxHandler, pptmHandler];
