/**
 * The evaluation interface both engines implement: the local engine (a policy file) and the Graph
 * engine (a Microsoft 365 tenant). Every result says where the decision came from, for the audit log.
 */
import type {
  ClassificationResult,
  ContentInfo,
  ContentLabel,
  DowngradeJustification,
  InformationProtectionAction,
  InformationProtectionPolicySetting,
  LabelingOptions,
  SensitivityLabel,
} from '../graph-types.js';
import type { CustomSensitiveType } from '../policy/schema.js';

/** `local`: computed from a policy file; `graph`: a Graph call; `cache`: a cached Graph answer. */
export type DecisionSource = 'local' | 'cache' | 'graph';

export interface Decision<T> {
  value: T;
  source: DecisionSource;
}

export interface EvaluationContext {
  /** The downloading user (UPN or object id): Graph evaluates with that user's label policy. */
  user?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface EvaluationEngine {
  readonly kind: 'local' | 'graph';
  listLabels(ctx?: EvaluationContext): Promise<Decision<SensitivityLabel[]>>;
  policySettings(ctx?: EvaluationContext): Promise<Decision<InformationProtectionPolicySetting>>;
  evaluateClassificationResults(
    contentInfo: ContentInfo,
    classificationResults: readonly ClassificationResult[],
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>>;
  evaluateApplication(
    contentInfo: ContentInfo,
    labelingOptions: LabelingOptions,
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>>;
  evaluateRemoval(
    contentInfo: ContentInfo,
    downgradeJustification: DowngradeJustification,
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>>;
  extractContentLabel(contentInfo: ContentInfo, ctx?: EvaluationContext): Promise<Decision<ContentLabel | null>>;
  /**
   * Apply a fail-safe label (labeling already failed; the route's fail mode calls for it). Same
   * contract as `evaluateApplication`, except that an engine whose service cannot be reached may
   * answer from what it has cached (source `cache`) instead of failing. Optional: without it the
   * pipeline calls `evaluateApplication`. Never used for normal labeling.
   */
  evaluateFailSafe?(
    contentInfo: ContentInfo,
    labelingOptions: LabelingOptions,
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>>;
  /**
   * The tenant id (MSIP `SiteId`) this engine's labels carry, when the engine knows it. Optional:
   * without it (or when it returns undefined) the pipeline uses `policySettings().id`.
   */
  tenantId?(): string | undefined;
  /**
   * Classification results that satisfy every auto-labeling condition of the policy, when the
   * policy's rules are monotone (no condition has a `maxCount`: more matches can only satisfy more
   * rules). The label these results get is the highest the content could ever get, so content
   * whose results so far already get the same label needs no further reading to be labeled
   * (`settledLabel`, pipeline/settle.ts). Optional: an engine that cannot see its rules (Graph evaluates them in the
   * service) leaves it out, and its downloads are always read to the end.
   */
  ceilingResults?(): readonly ClassificationResult[] | undefined;
  /** Organization-defined sensitive types the classifier should run besides the built-in ones. */
  customTypes(): readonly CustomSensitiveType[];
  /** Release timers and sockets. */
  close(): Promise<void>;
}
