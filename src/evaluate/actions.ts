/**
 * Builders for `informationProtectionAction` JSON from policy labels, shared by the local engine
 * and the Graph emulator used in tests.
 */
import type {
  AddContentFooterAction,
  AddContentHeaderAction,
  AddWatermarkAction,
  InformationProtectionAction,
  KeyValuePair,
  MetadataAction,
} from '../graph-types.js';
import type { LabelMarkings, PolicyLabel } from '../policy/schema.js';
import { buildMsipMetadata, CONTENT_BITS, type MsipMethod } from './msip.js';

/** The uiElementName values Office uses for the label's own markings. */
export const UI_ELEMENT = {
  header: 'MSIPCM_v1_header',
  footer: 'MSIPCM_v1_footer',
  watermark: 'MSIPWM_v1_main',
} as const;

/** Values for `${…}` variables in marking text, as Purview clients substitute them. */
export interface MarkingVariables {
  labelName: string;
  itemName?: string | null | undefined;
  user?: string | undefined;
  now: Date;
}

/**
 * Purview marking variables: `${Item.Label}`, `${Item.Name}`, `${User.Name}`,
 * `${User.PrincipalName}`, `${Event.DateTime}`. Unknown variables are left as written.
 */
export function resolveMarkingText(text: string, vars: MarkingVariables): string {
  return text.replace(/\$\{(Item\.Label|Item\.Name|User\.Name|User\.PrincipalName|Event\.DateTime)\}/g, (whole, name: string) => {
    switch (name) {
      case 'Item.Label':
        return vars.labelName;
      case 'Item.Name':
        return vars.itemName ?? '';
      case 'User.Name':
      case 'User.PrincipalName':
        return vars.user ?? '';
      case 'Event.DateTime':
        return vars.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
      default:
        return whole;
    }
  });
}

/** ContentBits the label's configuration calls for (header, footer, watermark, encryption). */
export function labelContentBits(label: Pick<PolicyLabel, 'markings' | 'protection'>): number {
  let bits = 0;
  if (label.markings.header) bits |= CONTENT_BITS.header;
  if (label.markings.footer) bits |= CONTENT_BITS.footer;
  if (label.markings.watermark) bits |= CONTENT_BITS.watermark;
  if (label.protection) bits |= CONTENT_BITS.encryption;
  return bits;
}

export function markingActions(markings: LabelMarkings, vars: MarkingVariables): InformationProtectionAction[] {
  const out: InformationProtectionAction[] = [];
  if (markings.header) {
    const h = markings.header;
    out.push({
      '@odata.type': '#microsoft.graph.security.addContentHeaderAction',
      uiElementName: UI_ELEMENT.header,
      text: resolveMarkingText(h.text, vars),
      fontName: h.fontName,
      fontSize: h.fontSize,
      fontColor: h.fontColor,
      alignment: h.alignment,
      margin: h.margin,
    } satisfies AddContentHeaderAction);
  }
  if (markings.watermark) {
    const w = markings.watermark;
    out.push({
      '@odata.type': '#microsoft.graph.security.addWatermarkAction',
      uiElementName: UI_ELEMENT.watermark,
      layout: w.layout,
      text: resolveMarkingText(w.text, vars),
      fontName: w.fontName,
      fontSize: w.fontSize,
      fontColor: w.fontColor,
    } satisfies AddWatermarkAction);
  }
  if (markings.footer) {
    const f = markings.footer;
    out.push({
      '@odata.type': '#microsoft.graph.security.addContentFooterAction',
      uiElementName: UI_ELEMENT.footer,
      text: resolveMarkingText(f.text, vars),
      fontName: f.fontName,
      fontSize: f.fontSize,
      fontColor: f.fontColor,
      alignment: f.alignment,
      margin: f.margin,
    } satisfies AddContentFooterAction);
  }
  return out;
}

/** Actions that take off the markings (and protection) a previous label put on, per its ContentBits. */
export function removalActions(previousContentBits: number | undefined): InformationProtectionAction[] {
  const bits = previousContentBits ?? 0;
  const out: InformationProtectionAction[] = [];
  if (bits & CONTENT_BITS.header) {
    out.push({ '@odata.type': '#microsoft.graph.security.removeContentHeaderAction', uiElementNames: [UI_ELEMENT.header] });
  }
  if (bits & CONTENT_BITS.footer) {
    out.push({ '@odata.type': '#microsoft.graph.security.removeContentFooterAction', uiElementNames: [UI_ELEMENT.footer] });
  }
  if (bits & CONTENT_BITS.watermark) {
    out.push({ '@odata.type': '#microsoft.graph.security.removeWatermarkAction', uiElementNames: [UI_ELEMENT.watermark] });
  }
  if (bits & CONTENT_BITS.encryption) {
    out.push({ '@odata.type': '#microsoft.graph.security.removeProtectionAction' });
  }
  return out;
}

export function protectionActions(label: Pick<PolicyLabel, 'protection'>): InformationProtectionAction[] {
  const p = label.protection;
  if (!p) return [];
  switch (p.kind) {
    case 'template':
      return [{ '@odata.type': '#microsoft.graph.security.protectByTemplateAction', templateId: p.templateId }];
    case 'adhoc':
      return [{ '@odata.type': '#microsoft.graph.security.protectAdhocAction' }];
    case 'doNotForward':
      return [{ '@odata.type': '#microsoft.graph.security.protectDoNotForwardAction' }];
  }
}

export interface LabelActionsInput {
  label: PolicyLabel;
  siteId: string;
  method: MsipMethod;
  /** Keys of the label being replaced (and stale keys of the same tenant) to delete. */
  metadataToRemove: string[];
  /** ContentBits of the label being replaced, so its markings are taken off. */
  previousContentBits?: number | undefined;
  extended?: readonly KeyValuePair[] | null | undefined;
  vars: MarkingVariables;
}

/**
 * The complete action list for putting `label` on a document, in the order Graph returns it:
 * removal of the previous label's markings, new markings, protection, then the metadata change.
 */
export function labelActions(input: LabelActionsInput): InformationProtectionAction[] {
  const { label } = input;
  const metadata: MetadataAction = {
    '@odata.type': '#microsoft.graph.security.metadataAction',
    metadataToRemove: input.metadataToRemove,
    metadataToAdd: buildMsipMetadata({
      labelId: label.id,
      siteId: input.siteId,
      name: label.name,
      method: input.method,
      setDate: input.vars.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      contentBits: labelContentBits(label),
      extended: input.extended ?? [],
    }),
  };
  const previousBits = input.previousContentBits ?? 0;
  // Every marking of the previous label is taken off explicitly (stampers remove before they add).
  // Protection is only removed when the new label does not protect the content itself.
  const removeBits = label.protection ? previousBits & ~CONTENT_BITS.encryption : previousBits;
  return [...removalActions(removeBits), ...markingActions(label.markings, input.vars), ...protectionActions(label), metadata];
}
