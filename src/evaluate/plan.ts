/**
 * Turns an evaluated `informationProtectionAction[]` (from either engine) into a flat plan a
 * stamper can carry out: which label, which metadata to add/remove, which markings to draw or
 * take off, and whether protection or a justification is needed.
 *
 * `applyLabelAction` is unwrapped (its nested actions are the ones to carry out);
 * `recommendLabelAction` is only reported, never carried out; unknown future action types are kept
 * in `unknown` so callers can pass them on.
 */
import type {
  ActionSource,
  AddContentFooterAction,
  AddContentHeaderAction,
  AddWatermarkAction,
  CustomAction,
  InformationProtectionAction,
  KeyValuePair,
  ProtectAdhocAction,
  ProtectByTemplateAction,
  ProtectDoNotForwardAction,
  RecommendLabelAction,
  UnknownInformationProtectionAction,
} from '../graph-types.js';
import { ODATA_NS } from '../graph-types.js';
import { CONTENT_BITS, MSIP_KEY_PARTS, msipKey } from './msip.js';

export type ProtectionAction = ProtectByTemplateAction | ProtectAdhocAction | ProtectDoNotForwardAction;

export interface StampPlan {
  /** The label being applied, or `null` when the actions apply none (keep / remove / nothing). */
  labelId: string | null;
  actionSource: ActionSource | null;
  responsibleSensitiveTypeIds: string[];
  metadataToAdd: KeyValuePair[];
  metadataToRemove: string[];
  header: AddContentHeaderAction | undefined;
  footer: AddContentFooterAction | undefined;
  watermark: AddWatermarkAction | undefined;
  removeHeader: string[];
  removeFooter: string[];
  removeWatermark: string[];
  protection: ProtectionAction | undefined;
  removeProtection: boolean;
  /** The caller must ask the user for a downgrade justification and evaluate again. */
  justificationRequired: boolean;
  recommendations: RecommendLabelAction[];
  custom: CustomAction[];
  unknown: UnknownInformationProtectionAction[];
}

export function emptyPlan(): StampPlan {
  return {
    labelId: null,
    actionSource: null,
    responsibleSensitiveTypeIds: [],
    metadataToAdd: [],
    metadataToRemove: [],
    header: undefined,
    footer: undefined,
    watermark: undefined,
    removeHeader: [],
    removeFooter: [],
    removeWatermark: [],
    protection: undefined,
    removeProtection: false,
    justificationRequired: false,
    recommendations: [],
    custom: [],
    unknown: [],
  };
}

export function planActions(actions: readonly InformationProtectionAction[]): StampPlan {
  const plan = emptyPlan();
  visit(plan, actions);
  if (plan.labelId === null) {
    // A flat evaluateApplication answer carries the label only in its metadata keys.
    const enabled = plan.metadataToAdd.find((p) => MSIP_KEY_PARTS.exec(p.name)?.[2]?.toLowerCase() === 'enabled');
    const m = enabled && MSIP_KEY_PARTS.exec(enabled.name);
    if (m && enabled!.value.toLowerCase() === 'true') plan.labelId = m[1]!.toLowerCase();
  }
  return plan;
}

function visit(plan: StampPlan, actions: readonly InformationProtectionAction[]): void {
  for (const action of actions) {
    const type = (action as { '@odata.type'?: unknown })['@odata.type'];
    const name = typeof type === 'string' && type.startsWith(ODATA_NS) ? type.slice(ODATA_NS.length) : undefined;
    switch (name) {
      case 'applyLabelAction': {
        const a = action as Extract<InformationProtectionAction, { '@odata.type': '#microsoft.graph.security.applyLabelAction' }>;
        plan.labelId = (a.sensitivityLabelId ?? a.label?.id ?? null)?.toLowerCase() ?? null;
        plan.actionSource = a.actionSource ?? null;
        plan.responsibleSensitiveTypeIds = [...(a.responsibleSensitiveTypeIds ?? [])];
        visit(plan, a.actions ?? []);
        break;
      }
      case 'recommendLabelAction':
        plan.recommendations.push(action as RecommendLabelAction);
        break;
      case 'metadataAction': {
        const a = action as Extract<InformationProtectionAction, { '@odata.type': '#microsoft.graph.security.metadataAction' }>;
        plan.metadataToAdd.push(...(a.metadataToAdd ?? []));
        plan.metadataToRemove.push(...(a.metadataToRemove ?? []));
        break;
      }
      case 'addContentHeaderAction':
        plan.header = action as AddContentHeaderAction;
        break;
      case 'addContentFooterAction':
        plan.footer = action as AddContentFooterAction;
        break;
      case 'addWatermarkAction':
        plan.watermark = action as AddWatermarkAction;
        break;
      case 'removeContentHeaderAction':
        plan.removeHeader.push(...((action as { uiElementNames?: string[] }).uiElementNames ?? []));
        break;
      case 'removeContentFooterAction':
        plan.removeFooter.push(...((action as { uiElementNames?: string[] }).uiElementNames ?? []));
        break;
      case 'removeWatermarkAction':
        plan.removeWatermark.push(...((action as { uiElementNames?: string[] }).uiElementNames ?? []));
        break;
      case 'protectByTemplateAction':
      case 'protectAdhocAction':
      case 'protectDoNotForwardAction':
        plan.protection = action as ProtectionAction;
        break;
      case 'removeProtectionAction':
        plan.removeProtection = true;
        break;
      case 'justifyAction':
        plan.justificationRequired = true;
        break;
      case 'customAction':
        plan.custom.push(action as CustomAction);
        break;
      default:
        plan.unknown.push(action as unknown as UnknownInformationProtectionAction);
    }
  }
}

/** Does the plan change anything on the document? */
export function planChangesContent(plan: StampPlan): boolean {
  return (
    plan.metadataToAdd.length > 0 ||
    plan.metadataToRemove.length > 0 ||
    !!plan.header ||
    !!plan.footer ||
    !!plan.watermark ||
    plan.removeHeader.length + plan.removeFooter.length + plan.removeWatermark.length > 0 ||
    !!plan.protection ||
    plan.removeProtection
  );
}

/** What a stamper actually managed to put on the document. */
export interface AppliedMarkings {
  header: boolean;
  footer: boolean;
  watermark: boolean;
  encryption: boolean;
}

/**
 * ContentBits must state only the markings actually applied: a CSV cannot carry a watermark, so
 * its metadata says 0 even when the label defines one. Returns `metadataToAdd` with ContentBits
 * rewritten for the plan's label.
 */
export function metadataWithAppliedBits(plan: StampPlan, applied: AppliedMarkings): KeyValuePair[] {
  if (!plan.labelId) return plan.metadataToAdd;
  const bits =
    (applied.header ? CONTENT_BITS.header : 0) |
    (applied.footer ? CONTENT_BITS.footer : 0) |
    (applied.watermark ? CONTENT_BITS.watermark : 0) |
    (applied.encryption ? CONTENT_BITS.encryption : 0);
  const key = msipKey(plan.labelId, 'ContentBits').toLowerCase();
  return plan.metadataToAdd.map((p) => (p.name.toLowerCase() === key ? { name: p.name, value: String(bits) } : p));
}
