/**
 * A fail-safe label without the label service: the actions for putting a label on a document,
 * built from a cached label list and the tenant id alone. The Graph engine uses this when Graph
 * cannot be reached and a route's fail mode calls for its fail-safe label — a fail-safe label that
 * needs the service that just failed would not be one.
 *
 * Same rules as `evaluateApplication` for an existing label of the tenant (application-rule.ts):
 * a higher or user-chosen label is kept, a lower standard label is replaced (its keys removed, its
 * markings taken off). What only Graph knows is left out: the `security.sensitivityLabel`
 * resource carries no marking or protection configuration, so the label is applied as metadata
 * without markings (ContentBits 0), and a label with protection cannot be applied at all.
 */
import { LabelgateError } from '../errors.js';
import type {
  ContentInfo,
  InformationProtectionAction,
  InformationProtectionPolicySetting,
  LabelingOptions,
  SensitivityLabel,
} from '../graph-types.js';
import { removalActions } from './actions.js';
import { applicationVerdict } from './application-rule.js';
import { isLabelUsable, notAppliableError } from './local-engine.js';
import { buildMsipMetadata, formatSetDate, normalizeGuid, parseMsipMetadata } from './msip.js';

export interface OfflineApplicationInput {
  contentInfo: ContentInfo;
  labelingOptions: LabelingOptions;
  /** The cached label list of the tenant (for the label and the rank of an existing label). */
  labels: ReadonlyMap<string, SensitivityLabel>;
  settings: Pick<InformationProtectionPolicySetting, 'isDowngradeJustificationRequired'>;
  /** The tenant id: written as `SiteId`, and tells this tenant's existing label from others'. */
  tenantId: string;
  now: Date;
}

export function offlineApplicationActions(input: OfflineApplicationInput): InformationProtectionAction[] {
  const { contentInfo: info, labelingOptions } = input;
  const labelId = normalizeGuid(labelingOptions.labelId);
  if (!labelId) throw new LabelgateError('INPUT_INVALID', 'labelingOptions.labelId: expected a label GUID');
  const siteId = normalizeGuid(input.tenantId);
  if (!siteId) throw new LabelgateError('GRAPH_CONFIG', 'the tenant id must be a GUID');
  const label = input.labels.get(labelId);
  if (!label) throw new LabelgateError('LABEL_NOT_FOUND', `no label with id ${labelId} in the cached label policy`);
  if (!isLabelUsable(label, info)) throw notAppliableError(label, info);

  const mine = parseMsipMetadata(info.metadata ?? []).filter((e) => e.siteId === siteId);
  const entry = mine.find((e) => e.enabled);
  const method = labelingOptions.assignmentMethod ?? 'standard';
  const verdict = applicationVerdict({
    existing: entry && { labelId: entry.labelId, method: entry.method, sensitivity: input.labels.get(entry.labelId)?.sensitivity },
    label,
    method,
    isDowngradeJustificationRequired: input.settings.isDowngradeJustificationRequired,
    isDowngradeJustified: labelingOptions.downgradeJustification?.isDowngradeJustified === true,
  });
  if (verdict === 'keep') return [];
  if (verdict === 'justify') return [{ '@odata.type': '#microsoft.graph.security.justifyAction' }];
  if (label.hasProtection) {
    throw new LabelgateError(
      'PROTECTION_UNAVAILABLE',
      `label "${label.name}" has protection, whose settings only Microsoft Graph can give: it cannot be applied while Graph is unreachable. Choose a fail-safe label without protection.`,
    );
  }
  return [
    ...removalActions(entry?.contentBits),
    {
      '@odata.type': '#microsoft.graph.security.metadataAction',
      metadataToRemove: mine.flatMap((e) => e.keys),
      metadataToAdd: buildMsipMetadata({
        labelId: label.id,
        siteId,
        name: label.name,
        method: method === 'privileged' ? 'Privileged' : 'Standard',
        setDate: formatSetDate(input.now),
        contentBits: 0,
        extended: labelingOptions.extendedProperties ?? [],
      }),
    },
  ];
}

/** Every tenant id (MSIP `SiteId`) that the metadata actions of an answer write, at any depth. */
export function siteIdsOf(actions: readonly InformationProtectionAction[]): string[] {
  const out: string[] = [];
  const visit = (list: readonly unknown[]): void => {
    for (const raw of list) {
      const action = raw as { '@odata.type'?: unknown; actions?: unknown; metadataToAdd?: unknown };
      if (Array.isArray(action.actions)) visit(action.actions);
      if (action['@odata.type'] !== '#microsoft.graph.security.metadataAction' || !Array.isArray(action.metadataToAdd)) continue;
      for (const pair of action.metadataToAdd as { name?: unknown; value?: unknown }[]) {
        if (typeof pair.name !== 'string' || typeof pair.value !== 'string' || !/^MSIP_Label_[0-9a-f-]{36}_SiteId$/i.test(pair.name)) continue;
        const id = normalizeGuid(pair.value);
        if (id && !out.includes(id)) out.push(id);
      }
    }
  };
  visit(actions);
  return out;
}
