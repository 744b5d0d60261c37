/**
 * What makes two evaluations interchangeable, and what must never be shared between documents.
 *
 * Key: the operation, the label policy version, the Graph user, the content format and state,
 * the existing label metadata (as given), and the operation's own input (classification results
 * sorted, labeling options, justification). Not the identifier (file name): a thousand
 * downloads of the same kind of report share one answer.
 *
 * Per-document values are regenerated whenever an answer is replayed: every
 * `MSIP_Label_<id>_SetDate` becomes now and every `MSIP_Label_<id>_ActionId` a fresh GUID, at
 * any depth (inside applyLabelAction / recommendLabelAction too). An answer whose marking text
 * names the document or a time (`${Item.Name}`, `${Event.DateTime}` resolved by the service) is
 * not shared at all.
 */
import { createHash, randomUUID } from 'node:crypto';
import type {
  ClassificationResult,
  ContentInfo,
  DowngradeJustification,
  InformationProtectionAction,
  KeyValuePair,
  LabelingOptions,
} from '../graph-types.js';
import { formatSetDate, MSIP_KEY_PARTS } from './msip.js';

export type EvaluationOperation = 'evaluateClassificationResults' | 'evaluateApplication' | 'evaluateRemoval' | 'extractContentLabel';

export interface EvaluationKeyInput {
  operation: EvaluationOperation;
  policyVersion: string;
  /** Graph user id, or '' for app-only calls. */
  user: string;
  contentInfo: ContentInfo;
  classificationResults?: readonly ClassificationResult[];
  labelingOptions?: LabelingOptions;
  downgradeJustification?: DowngradeJustification;
}

function pairs(list: readonly KeyValuePair[] | null | undefined): [string, string][] {
  return (list ?? []).map((p) => [p.name, p.value]);
}

function justification(j: DowngradeJustification | null | undefined): [boolean, string | null] | null {
  return j ? [j.isDowngradeJustified === true, j.justificationMessage ?? null] : null;
}

export function evaluationKey(input: EvaluationKeyInput): string {
  const info = input.contentInfo;
  const results = input.classificationResults
    ?.map((r) => [r.sensitiveTypeId.toLowerCase(), r.confidenceLevel, r.count] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]));
  const lo = input.labelingOptions;
  const canonical = [
    input.operation,
    input.policyVersion,
    input.user,
    (info.contentFormat ?? 'file').toLowerCase(),
    info.state ?? 'rest',
    pairs(info.metadata),
    results ?? null,
    lo
      ? [lo.labelId.toLowerCase(), lo.assignmentMethod ?? 'standard', justification(lo.downgradeJustification), pairs(lo.extendedProperties)]
      : null,
    input.downgradeJustification === undefined ? null : justification(input.downgradeJustification),
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

type AnyAction = Record<string, unknown>;

function children(action: AnyAction): AnyAction[] | undefined {
  const type = action['@odata.type'];
  if (type !== '#microsoft.graph.security.applyLabelAction' && type !== '#microsoft.graph.security.recommendLabelAction') return undefined;
  return Array.isArray(action.actions) ? (action.actions as AnyAction[]) : undefined;
}

/** A copy of `actions` with fresh SetDate and ActionId values, ready for another document. */
export function withFreshPerDocumentValues(actions: readonly InformationProtectionAction[], now: Date): InformationProtectionAction[] {
  const setDate = formatSetDate(now);
  const refresh = (list: readonly AnyAction[]): AnyAction[] =>
    list.map((action) => {
      const nested = children(action);
      if (nested) return { ...action, actions: refresh(nested) };
      if (action['@odata.type'] !== '#microsoft.graph.security.metadataAction' || !Array.isArray(action.metadataToAdd)) return { ...action };
      return {
        ...action,
        metadataToAdd: (action.metadataToAdd as KeyValuePair[]).map((pair) => {
          const attribute = MSIP_KEY_PARTS.exec(pair.name)?.[2]?.toLowerCase();
          if (attribute === 'setdate') return { ...pair, value: setDate };
          if (attribute === 'actionid') return { ...pair, value: randomUUID() };
          return { ...pair };
        }),
        metadataToRemove: [...((action.metadataToRemove as string[] | undefined) ?? [])],
      };
    });
  return refresh(actions as unknown as AnyAction[]) as unknown as InformationProtectionAction[];
}

const MARKING_TYPES = new Set([
  '#microsoft.graph.security.addContentHeaderAction',
  '#microsoft.graph.security.addContentFooterAction',
  '#microsoft.graph.security.addWatermarkAction',
]);
/** An ISO 8601 date-time, as `${Event.DateTime}` resolves. */
const DATE_TIME = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * Does any marking text carry something of this document (its identifier) or of this moment (a
 * date-time)? Such an answer is correct for this document only. A false alarm only costs a call.
 */
export function marksDocumentSpecificText(actions: readonly InformationProtectionAction[], identifier: string | null | undefined): boolean {
  const visit = (list: readonly AnyAction[]): boolean =>
    list.some((action) => {
      const nested = children(action);
      if (nested) return visit(nested);
      if (!MARKING_TYPES.has(action['@odata.type'] as string) || typeof action.text !== 'string') return false;
      return DATE_TIME.test(action.text) || (!!identifier && action.text.includes(identifier));
    });
  return visit(actions as unknown as AnyAction[]);
}
