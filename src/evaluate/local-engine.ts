/**
 * The local evaluation engine: Microsoft Graph's `evaluateClassificationResults`,
 * `evaluateApplication`, `evaluateRemoval` and `extractContentLabel` semantics re-implemented over
 * a label policy, returning the same JSON the service returns.
 *
 * Rules:
 * - the highest-sensitivity matching label wins; `responsibleSensitiveTypeIds` lists the types
 *   of the satisfied conditions;
 * - an existing label of a higher sensitivity, or a manually applied (`Privileged`) label, is never
 *   replaced by an automatic decision (a higher match becomes a `recommendLabelAction`);
 * - a downgrade is only possible as a privileged (user) action, and needs a justification when the
 *   policy says so (`justifyAction`);
 * - replacing a label removes the old label's keys (`metadataToRemove`) and markings;
 * - the default label applies when nothing matches and the content has no label;
 * - inactive or non-appliable labels are never applied.
 * Labels of other tenants in the same metadata are never touched.
 */
import type {
  ActionSource,
  ApplyLabelAction,
  ClassificationResult,
  ContentInfo,
  ContentLabel,
  DowngradeJustification,
  InformationProtectionAction,
  InformationProtectionPolicySetting,
  LabelingOptions,
  RecommendLabelAction,
  SensitivityLabel,
} from '../graph-types.js';
import { LabelgateError } from '../errors.js';
import type { LabelPolicy, PolicyLabel, AutoLabelingRule } from '../policy/schema.js';
import { labelActions, removalActions, type MarkingVariables } from './actions.js';
import { applicationVerdict } from './application-rule.js';
import type { Decision, EvaluationContext, EvaluationEngine } from './engine.js';
import { normalizeGuid, parseMsipMetadata, type MsipLabelEntry } from './msip.js';

interface Existing {
  /** The enabled label of this tenant, if any. */
  entry: MsipLabelEntry | undefined;
  /** Its policy definition (undefined for a label this policy does not know). */
  label: PolicyLabel | undefined;
  /** Every key of this tenant's labels (enabled or not): removed when a new label is applied. */
  tenantKeys: string[];
}

interface Match {
  label: PolicyLabel;
  mode: AutoLabelingRule['mode'];
  responsible: string[];
}

export function validateClassificationResults(results: unknown): ClassificationResult[] {
  if (!Array.isArray(results)) {
    throw new LabelgateError('INPUT_INVALID', 'classificationResults must be an array of {sensitiveTypeId, count, confidenceLevel}');
  }
  return results.map((r: unknown, i) => {
    const o = r as Partial<ClassificationResult> | null;
    if (!o || typeof o !== 'object') throw new LabelgateError('INPUT_INVALID', `classificationResults[${i}]: expected an object`);
    const id = typeof o.sensitiveTypeId === 'string' ? normalizeGuid(o.sensitiveTypeId) : undefined;
    if (!id) throw new LabelgateError('INPUT_INVALID', `classificationResults[${i}].sensitiveTypeId: expected a GUID`);
    if (!Number.isInteger(o.count) || (o.count as number) < 0) {
      throw new LabelgateError('INPUT_INVALID', `classificationResults[${i}].count: expected a non-negative integer`);
    }
    if (!Number.isInteger(o.confidenceLevel) || (o.confidenceLevel as number) < 0 || (o.confidenceLevel as number) > 100) {
      throw new LabelgateError('INPUT_INVALID', `classificationResults[${i}].confidenceLevel: expected an integer 0-100`);
    }
    return { sensitiveTypeId: id, count: o.count as number, confidenceLevel: o.confidenceLevel as number };
  });
}

/** Does a rule hold for these results? Returns the responsible type ids, or undefined. */
export function matchRule(rule: AutoLabelingRule, results: readonly ClassificationResult[]): string[] | undefined {
  const satisfied: string[] = [];
  for (const cond of rule.conditions) {
    let count = 0;
    for (const r of results) {
      if (r.sensitiveTypeId === cond.sensitiveTypeId && r.confidenceLevel >= cond.minConfidence) count += r.count;
    }
    const ok = count >= cond.minCount && (cond.maxCount === undefined || count <= cond.maxCount);
    if (ok) {
      if (!satisfied.includes(cond.sensitiveTypeId)) satisfied.push(cond.sensitiveTypeId);
    } else if (rule.match === 'all') {
      return undefined;
    }
  }
  return satisfied.length > 0 ? satisfied : undefined;
}

export function contentFormatOf(info: ContentInfo): string {
  return (info.contentFormat ?? 'file').toLowerCase();
}

/** Can this label be put on this content? (Active, not a parent, made for its content format.) Shared with the Graph engine. */
export function isLabelUsable(label: Pick<SensitivityLabel, 'isActive' | 'isAppliable' | 'contentFormats'>, info: ContentInfo): boolean {
  return label.isActive && label.isAppliable && label.contentFormats.some((f) => f.toLowerCase() === contentFormatOf(info));
}

export function notAppliableError(label: { name: string }, info: ContentInfo): LabelgateError {
  return new LabelgateError(
    'LABEL_NOT_APPLIABLE',
    `label "${label.name}" cannot be applied to ${contentFormatOf(info)} content (inactive, a parent label, or not for this content format)`,
  );
}

export class LocalEngine implements EvaluationEngine {
  readonly kind = 'local' as const;
  readonly policy: LabelPolicy;
  private readonly byId: Map<string, PolicyLabel>;
  private readonly now: () => Date;

  constructor(policy: LabelPolicy, options: { now?: () => Date } = {}) {
    this.policy = policy;
    this.byId = new Map(policy.labels.map((l) => [l.id, l]));
    this.now = options.now ?? (() => new Date());
  }

  private local<T>(value: T): Promise<Decision<T>> {
    return Promise.resolve({ value, source: 'local' });
  }

  customTypes() {
    return this.policy.customTypes;
  }

  private ceiling: readonly ClassificationResult[] | null | undefined;

  ceilingResults(): readonly ClassificationResult[] | undefined {
    if (this.ceiling === undefined) {
      const ids = new Set<string>();
      let monotone = true;
      for (const label of this.policy.labels) {
        for (const cond of label.autoLabeling?.conditions ?? []) {
          if (cond.maxCount !== undefined) monotone = false;
          ids.add(cond.sensitiveTypeId);
        }
      }
      this.ceiling = monotone ? Object.freeze([...ids].map((id) => Object.freeze({ sensitiveTypeId: id, count: Number.MAX_SAFE_INTEGER, confidenceLevel: 100 }))) : null;
    }
    return this.ceiling ?? undefined;
  }

  async close(): Promise<void> {}

  /** Graph-shaped labels, parents expanded. */
  sensitivityLabels(): SensitivityLabel[] {
    const toGraph = (l: PolicyLabel): SensitivityLabel => ({
      id: l.id,
      name: l.name,
      description: l.description,
      color: l.color,
      sensitivity: l.sensitivity,
      tooltip: l.tooltip,
      isActive: l.isActive,
      isAppliable: l.isAppliable,
      contentFormats: [...l.contentFormats],
      hasProtection: l.hasProtection,
      parent: l.parent ? toGraph(this.byId.get(l.parent)!) : null,
    });
    return this.policy.labels.map(toGraph);
  }

  settings(): InformationProtectionPolicySetting {
    const s = this.policy.settings;
    return {
      id: s.siteId,
      isDowngradeJustificationRequired: s.isDowngradeJustificationRequired,
      isMandatory: s.isMandatory,
      moreInfoUrl: s.moreInfoUrl,
      defaultLabelId: s.defaultLabelId,
    };
  }

  listLabels(): Promise<Decision<SensitivityLabel[]>> {
    return this.local(this.sensitivityLabels());
  }

  policySettings(): Promise<Decision<InformationProtectionPolicySetting>> {
    return this.local(this.settings());
  }

  private existing(info: ContentInfo): Existing {
    const entries = parseMsipMetadata(info.metadata ?? []);
    const site = this.policy.settings.siteId;
    const mine = entries.filter((e) => e.siteId === site);
    const entry = mine.find((e) => e.enabled);
    return {
      entry,
      label: entry ? this.byId.get(entry.labelId) : undefined,
      tenantKeys: mine.flatMap((e) => e.keys),
    };
  }

  private isUsable(label: PolicyLabel, info: ContentInfo): boolean {
    return isLabelUsable(label, info);
  }

  private vars(label: PolicyLabel, info: ContentInfo, ctx: EvaluationContext | undefined): MarkingVariables {
    return { labelName: label.name, itemName: info.identifier, user: ctx?.user, now: this.now() };
  }

  private actionsFor(
    label: PolicyLabel,
    info: ContentInfo,
    existing: Existing,
    method: 'Standard' | 'Privileged',
    ctx: EvaluationContext | undefined,
    extended?: LabelingOptions['extendedProperties'],
  ): InformationProtectionAction[] {
    return labelActions({
      label,
      siteId: this.policy.settings.siteId,
      method,
      metadataToRemove: existing.tenantKeys,
      previousContentBits: existing.entry?.contentBits,
      extended,
      vars: this.vars(label, info, ctx),
    });
  }

  private wrap(
    type: 'applyLabelAction' | 'recommendLabelAction',
    label: PolicyLabel,
    actionSource: ActionSource,
    responsible: string[],
    actions: InformationProtectionAction[],
  ): ApplyLabelAction | RecommendLabelAction {
    return {
      '@odata.type': `#microsoft.graph.security.${type}`,
      sensitivityLabelId: label.id,
      actionSource,
      responsibleSensitiveTypeIds: responsible,
      actions,
    } as ApplyLabelAction | RecommendLabelAction;
  }

  /** Highest-sensitivity matching label per mode (ties: the earlier label in the policy). */
  private bestMatches(info: ContentInfo, results: readonly ClassificationResult[]): { auto?: Match; recommended?: Match } {
    let auto: Match | undefined;
    let recommended: Match | undefined;
    for (const label of this.policy.labels) {
      if (!label.autoLabeling || !this.isUsable(label, info)) continue;
      const responsible = matchRule(label.autoLabeling, results);
      if (!responsible) continue;
      const m: Match = { label, mode: label.autoLabeling.mode, responsible };
      if (m.mode === 'automatic') {
        if (!auto || label.sensitivity > auto.label.sensitivity) auto = m;
      } else if (!recommended || label.sensitivity > recommended.label.sensitivity) {
        recommended = m;
      }
    }
    return { ...(auto ? { auto } : {}), ...(recommended ? { recommended } : {}) };
  }

  evaluateClassificationResults(
    contentInfo: ContentInfo,
    classificationResults: readonly ClassificationResult[],
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>> {
    const results = validateClassificationResults(classificationResults);
    const existing = this.existing(contentInfo);
    const { auto, recommended } = this.bestMatches(contentInfo, results);
    // An unknown label of our tenant (deleted from the policy) ranks below every known label.
    const existingRank = existing.entry ? (existing.label?.sensitivity ?? -1) : undefined;
    const out: InformationProtectionAction[] = [];

    const recommend = (m: Match) =>
      out.push(this.wrap('recommendLabelAction', m.label, 'recommended', m.responsible, this.actionsFor(m.label, contentInfo, existing, 'Standard', ctx)));

    if (existing.entry && existing.entry.method === 'Privileged') {
      // A user chose this label: automatic decisions may only recommend something higher.
      const best = [auto, recommended].filter((m): m is Match => !!m).sort((a, b) => b.label.sensitivity - a.label.sensitivity)[0];
      if (best && best.label.id !== existing.entry.labelId && best.label.sensitivity > existingRank!) recommend(best);
      return this.local(out);
    }

    let appliedRank = existingRank ?? Number.NEGATIVE_INFINITY;
    if (auto && auto.label.id !== existing.entry?.labelId && auto.label.sensitivity > appliedRank) {
      out.push(this.wrap('applyLabelAction', auto.label, 'automatic', auto.responsible, this.actionsFor(auto.label, contentInfo, existing, 'Standard', ctx)));
      appliedRank = auto.label.sensitivity;
    }

    if (!existing.entry && out.length === 0) {
      const def = this.policy.settings.defaultLabelId ? this.byId.get(this.policy.settings.defaultLabelId) : undefined;
      if (def && this.isUsable(def, contentInfo)) {
        out.push(this.wrap('applyLabelAction', def, 'default', [], this.actionsFor(def, contentInfo, existing, 'Standard', ctx)));
        appliedRank = def.sensitivity;
      }
    }

    if (recommended && recommended.label.id !== existing.entry?.labelId && recommended.label.sensitivity > appliedRank) recommend(recommended);
    return this.local(out);
  }

  evaluateApplication(
    contentInfo: ContentInfo,
    labelingOptions: LabelingOptions,
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>> {
    const labelId = typeof labelingOptions?.labelId === 'string' ? normalizeGuid(labelingOptions.labelId) : undefined;
    if (!labelId) throw new LabelgateError('INPUT_INVALID', 'labelingOptions.labelId: expected a label GUID');
    const label = this.byId.get(labelId);
    if (!label) throw new LabelgateError('LABEL_NOT_FOUND', `no label with id ${labelId} in policy "${this.policy.name}"`);
    if (!this.isUsable(label, contentInfo)) throw notAppliableError(label, contentInfo);
    const method = labelingOptions.assignmentMethod ?? 'standard';
    const existing = this.existing(contentInfo);
    const verdict = applicationVerdict({
      existing: existing.entry && { labelId: existing.entry.labelId, method: existing.entry.method, sensitivity: existing.label?.sensitivity },
      label,
      method,
      isDowngradeJustificationRequired: this.policy.settings.isDowngradeJustificationRequired,
      isDowngradeJustified: labelingOptions.downgradeJustification?.isDowngradeJustified === true,
    });
    if (verdict === 'keep') return this.local([]);
    if (verdict === 'justify') return this.local([{ '@odata.type': '#microsoft.graph.security.justifyAction' }]);
    const msipMethod = method === 'privileged' ? 'Privileged' : 'Standard';
    return this.local(this.actionsFor(label, contentInfo, existing, msipMethod, ctx, labelingOptions.extendedProperties));
  }

  evaluateRemoval(
    contentInfo: ContentInfo,
    downgradeJustification: DowngradeJustification,
  ): Promise<Decision<InformationProtectionAction[]>> {
    const existing = this.existing(contentInfo);
    if (!existing.entry) {
      if (existing.tenantKeys.length === 0) return this.local([]);
      // Only disabled leftovers: clean them up.
      return this.local([{ '@odata.type': '#microsoft.graph.security.metadataAction', metadataToAdd: [], metadataToRemove: existing.tenantKeys }]);
    }
    if (this.policy.settings.isMandatory) {
      throw new LabelgateError('REMOVAL_NOT_ALLOWED', `the label policy "${this.policy.name}" makes a label mandatory; change the label instead of removing it`);
    }
    if (this.policy.settings.isDowngradeJustificationRequired && downgradeJustification?.isDowngradeJustified !== true) {
      return this.local([{ '@odata.type': '#microsoft.graph.security.justifyAction' }]);
    }
    return this.local([
      ...removalActions(existing.entry.contentBits),
      { '@odata.type': '#microsoft.graph.security.metadataAction', metadataToAdd: [], metadataToRemove: existing.tenantKeys },
    ]);
  }

  extractContentLabel(contentInfo: ContentInfo): Promise<Decision<ContentLabel | null>> {
    const { entry } = this.existing(contentInfo);
    if (!entry) return this.local(null);
    return this.local({
      assignmentMethod: entry.method === 'Privileged' ? 'privileged' : 'standard',
      createdDateTime: normalizeSetDate(entry.setDate),
      sensitivityLabelId: entry.labelId,
    });
  }
}

/** SetDate values come in many shapes (`2018-11-08T21:13:16-0800`, `1/1/0001 12:00:00 AM`). */
export function normalizeSetDate(setDate: string | undefined): string {
  if (setDate) {
    const iso = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(setDate.trim());
    if (iso) {
      const zone = iso[2] ? (iso[2] === 'Z' ? 'Z' : iso[2].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')) : 'Z';
      const d = new Date(`${iso[1]}${zone}`);
      if (!Number.isNaN(d.getTime())) return d.toISOString().replace(/\.000Z$/, 'Z');
    }
  }
  return '0001-01-01T00:00:00Z';
}
