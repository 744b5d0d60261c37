/**
 * Types that mirror Microsoft Graph beta's `microsoft.graph.security` information protection
 * resources exactly (property names, enum values, `@odata.type` discriminators), so that a local
 * evaluation and a Graph evaluation produce interchangeable JSON.
 *
 * Source: Graph beta docs (`security-*` resource pages) and the Kiota-generated beta SDK model.
 * Where the docs disagree with the SDK model (e.g. `createdDateTime` vs `creationDateTime`), the
 * SDK model and the live examples win.
 */

/** Namespace prefix of every `@odata.type` discriminator used here. */
export const ODATA_NS = '#microsoft.graph.security.' as const;

// ---------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------

/** `microsoft.graph.security.assignmentMethod`. */
export type AssignmentMethod = 'standard' | 'privileged' | 'auto';
/** `microsoft.graph.security.contentState`. */
export type ContentState = 'rest' | 'motion' | 'use';
/** `microsoft.graph.security.contentAlignment`. */
export type ContentAlignment = 'left' | 'right' | 'center';
/** `microsoft.graph.security.watermarkLayout`. */
export type WatermarkLayout = 'horizontal' | 'diagonal';
/** `microsoft.graph.security.actionSource`. */
export type ActionSource = 'manual' | 'automatic' | 'recommended' | 'default';

// ---------------------------------------------------------------------------------------------
// Complex types
// ---------------------------------------------------------------------------------------------

/** `microsoft.graph.security.keyValuePair`. */
export interface KeyValuePair {
  '@odata.type'?: '#microsoft.graph.security.keyValuePair';
  name: string;
  value: string;
}

/**
 * `microsoft.graph.security.contentInfo`. `contentFormat` is a plain string in the model
 * (`file`, `email`; the docs' examples send `File`). The docs' examples also carry a legacy
 * `format: "default"` property that the generated model does not have; it is accepted here.
 */
export interface ContentInfo {
  '@odata.type'?: '#microsoft.graph.security.contentInfo';
  contentFormat?: string | null;
  /** Free text for analytics, e.g. the file name. */
  identifier?: string | null;
  /** Existing MIP metadata, keys `MSIP_Label_<GUID>_<Attribute>`. */
  metadata?: KeyValuePair[] | null;
  state?: ContentState | null;
  /** Legacy docs-only property (`default` | `email`). */
  format?: string | null;
}

/** `microsoft.graph.security.classificationResult`. */
export interface ClassificationResult {
  /** GUID of the sensitive information type. */
  sensitiveTypeId: string;
  /** Number of instances found. */
  count: number;
  /** 0–100. */
  confidenceLevel: number;
}

/** `microsoft.graph.security.downgradeJustification`. */
export interface DowngradeJustification {
  isDowngradeJustified: boolean;
  justificationMessage?: string | null;
}

/** `microsoft.graph.security.labelingOptions`. */
export interface LabelingOptions {
  '@odata.type'?: '#microsoft.graph.security.labelingOptions';
  assignmentMethod?: AssignmentMethod | null;
  downgradeJustification?: DowngradeJustification | null;
  /** Written out in standard MIP form: `MSIP_Label_<GUID>_<name>`. */
  extendedProperties?: KeyValuePair[] | null;
  labelId: string;
}

/** `microsoft.graph.security.contentLabel` (result of `extractContentLabel`). */
export interface ContentLabel {
  assignmentMethod: AssignmentMethod;
  createdDateTime: string;
  sensitivityLabelId: string;
}

/** `microsoft.graph.security.sensitivityLabel` (entity). */
export interface SensitivityLabel {
  id: string;
  name: string;
  description?: string | null;
  color?: string | null;
  /** Lower is less sensitive. */
  sensitivity: number;
  tooltip?: string | null;
  isActive: boolean;
  /** `false` for a parent that has sub-labels. */
  isAppliable: boolean;
  contentFormats: string[];
  hasProtection: boolean;
  /** Expanded navigation property; `null` for a top-level label. */
  parent?: SensitivityLabel | null;
}

/** `microsoft.graph.security.informationProtectionPolicySetting`. */
export interface InformationProtectionPolicySetting {
  id: string;
  isDowngradeJustificationRequired: boolean;
  isMandatory: boolean;
  moreInfoUrl?: string | null;
  defaultLabelId?: string | null;
}

// ---------------------------------------------------------------------------------------------
// informationProtectionAction and its 15 subtypes
// ---------------------------------------------------------------------------------------------

interface MarkingActionBase {
  fontColor: string;
  fontName: string;
  fontSize: number;
  text: string;
  uiElementName: string;
}

export interface AddContentHeaderAction extends MarkingActionBase {
  '@odata.type': '#microsoft.graph.security.addContentHeaderAction';
  alignment: ContentAlignment;
  /** Distance from the top edge, in points. */
  margin: number;
}

export interface AddContentFooterAction extends MarkingActionBase {
  '@odata.type': '#microsoft.graph.security.addContentFooterAction';
  alignment: ContentAlignment;
  /** Distance from the bottom edge, in points. */
  margin: number;
}

export interface AddWatermarkAction extends MarkingActionBase {
  '@odata.type': '#microsoft.graph.security.addWatermarkAction';
  layout: WatermarkLayout;
}

interface LabelActionBase {
  /** The full set of actions to carry out if this label is applied. */
  actions: InformationProtectionAction[];
  actionSource: ActionSource;
  /** Sensitive information types that caused an automatic or recommended label. */
  responsibleSensitiveTypeIds: string[];
  sensitivityLabelId: string;
  /**
   * Legacy shape: some service responses embed the label instead of (or besides) its id.
   * Never produced by the local engine; tolerated when read from Graph.
   */
  label?: Partial<SensitivityLabel> | null;
}

export interface ApplyLabelAction extends LabelActionBase {
  '@odata.type': '#microsoft.graph.security.applyLabelAction';
}

export interface RecommendLabelAction extends LabelActionBase {
  '@odata.type': '#microsoft.graph.security.recommendLabelAction';
}

export interface CustomAction {
  '@odata.type': '#microsoft.graph.security.customAction';
  name: string;
  properties: KeyValuePair[];
}

/** The caller must ask for (and resend) a downgrade justification. */
export interface JustifyAction {
  '@odata.type': '#microsoft.graph.security.justifyAction';
}

export interface MetadataAction {
  '@odata.type': '#microsoft.graph.security.metadataAction';
  metadataToAdd: KeyValuePair[];
  /** Key names to delete. */
  metadataToRemove: string[];
}

export interface ProtectAdhocAction {
  '@odata.type': '#microsoft.graph.security.protectAdhocAction';
}

export interface ProtectByTemplateAction {
  '@odata.type': '#microsoft.graph.security.protectByTemplateAction';
  templateId: string;
}

export interface ProtectDoNotForwardAction {
  '@odata.type': '#microsoft.graph.security.protectDoNotForwardAction';
}

export interface RemoveContentHeaderAction {
  '@odata.type': '#microsoft.graph.security.removeContentHeaderAction';
  uiElementNames: string[];
}

export interface RemoveContentFooterAction {
  '@odata.type': '#microsoft.graph.security.removeContentFooterAction';
  uiElementNames: string[];
}

export interface RemoveWatermarkAction {
  '@odata.type': '#microsoft.graph.security.removeWatermarkAction';
  uiElementNames: string[];
}

export interface RemoveProtectionAction {
  '@odata.type': '#microsoft.graph.security.removeProtectionAction';
}

/** The abstract `microsoft.graph.security.informationProtectionAction`, as a discriminated union. */
export type KnownInformationProtectionAction =
  | AddContentHeaderAction
  | AddContentFooterAction
  | AddWatermarkAction
  | ApplyLabelAction
  | RecommendLabelAction
  | CustomAction
  | JustifyAction
  | MetadataAction
  | ProtectAdhocAction
  | ProtectByTemplateAction
  | ProtectDoNotForwardAction
  | RemoveContentHeaderAction
  | RemoveContentFooterAction
  | RemoveWatermarkAction
  | RemoveProtectionAction;

/**
 * An action type this version does not know (a future service addition). Such actions are
 * passed through untouched, never dropped.
 */
export interface UnknownInformationProtectionAction {
  '@odata.type': string;
  [property: string]: unknown;
}

export type InformationProtectionAction = KnownInformationProtectionAction;

/** Every discriminator value of the known union. */
export const ACTION_TYPES = [
  'addContentHeaderAction',
  'addContentFooterAction',
  'addWatermarkAction',
  'applyLabelAction',
  'recommendLabelAction',
  'customAction',
  'justifyAction',
  'metadataAction',
  'protectAdhocAction',
  'protectByTemplateAction',
  'protectDoNotForwardAction',
  'removeContentHeaderAction',
  'removeContentFooterAction',
  'removeWatermarkAction',
  'removeProtectionAction',
] as const;

export type ActionTypeName = (typeof ACTION_TYPES)[number];

/** Narrow an action by its short type name, e.g. `isAction(a, 'metadataAction')`. */
export function isAction<N extends ActionTypeName>(
  action: { '@odata.type': string },
  name: N,
): action is Extract<KnownInformationProtectionAction, { '@odata.type': `#microsoft.graph.security.${N}` }> {
  return action['@odata.type'] === `${ODATA_NS}${name}`;
}
