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
  /** Organization-defined sensitive types the classifier should run besides the built-in ones. */
  customTypes(): readonly CustomSensitiveType[];
  /** Release timers and sockets. */
  close(): Promise<void>;
}
