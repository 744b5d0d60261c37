/**
 * `createLabeler`: the object apps, adapters and the CLI share. It owns the label policy (through an
 * evaluation engine) and exposes the Graph-shaped operations.
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
} from './graph-types.js';
import type { EvaluationContext, EvaluationEngine } from './evaluate/engine.js';
import type { ClassifyInput, ClassifyOptions } from './classify/api.js';
import { classify } from './classify/classify.js';
import { LocalEngine } from './evaluate/local-engine.js';
import { findLabel } from './evaluate/find-label.js';
import { GraphEngine } from './evaluate/graph-engine.js';
import type { GraphOptions } from './graph/options.js';
import { LabelgateError } from './errors.js';
import { loadPolicySync, type PolicySource } from './policy/load.js';
import type { LabelPolicy } from './policy/schema.js';
import { mergeCustomTypes } from './policy/custom-types.js';
import { stamp, type StampOptions, type StampResult } from './pipeline/stamp.js';
import { labelDocument, type LabelDocumentOptions, type LabelOutcome, type ProtectHook } from './pipeline/label-document.js';
import type { FormatLimits, SourceBody } from './formats/types.js';

export { findLabel };

export interface LabelerOptions {
  /**
   * The label policy for the local engine: omitted for the embedded default, a path to a JSON or
   * YAML file, a policy object, or a policy returned by `loadPolicy`.
   */
  policy?: PolicySource;
  /**
   * Use the labels and auto-labeling rules of a Microsoft 365 tenant through Microsoft Graph
   * instead of a policy file. Cannot be combined with `policy`.
   */
  graph?: GraphOptions;
  /** Clock for SetDate and marking variables (tests). */
  now?: () => Date;
  /** A ready engine (advanced: tests, or a custom engine). Takes precedence over `policy` and `graph`. */
  engine?: EvaluationEngine;
  /** Carries out protection actions (encryption); without it, labels with protection fail. */
  protect?: ProtectHook;
  /** Limits against hostile files (zip bombs, huge PDFs). */
  limits?: Partial<FormatLimits>;
}

export interface Labeler {
  /** Which engine decides: `local` (policy file) or `graph` (Microsoft 365 tenant). */
  readonly kind: 'local' | 'graph';
  /** The underlying engine (decisions with their source, for adapters and audit). */
  readonly engine: EvaluationEngine;
  /** The local policy, when the engine is local. */
  readonly policy: LabelPolicy | undefined;
  evaluateClassificationResults(
    contentInfo: ContentInfo,
    classificationResults: readonly ClassificationResult[],
    ctx?: EvaluationContext,
  ): Promise<InformationProtectionAction[]>;
  evaluateApplication(contentInfo: ContentInfo, labelingOptions: LabelingOptions, ctx?: EvaluationContext): Promise<InformationProtectionAction[]>;
  evaluateRemoval(
    contentInfo: ContentInfo,
    downgradeJustification: DowngradeJustification,
    ctx?: EvaluationContext,
  ): Promise<InformationProtectionAction[]>;
  extractContentLabel(contentInfo: ContentInfo, ctx?: EvaluationContext): Promise<ContentLabel | null>;
  listLabels(ctx?: EvaluationContext): Promise<SensitivityLabel[]>;
  /** A label by id or (case-insensitive) name. */
  getLabel(idOrName: string, ctx?: EvaluationContext): Promise<SensitivityLabel | undefined>;
  policySettings(ctx?: EvaluationContext): Promise<InformationProtectionPolicySetting>;
  /**
   * Classify content with the built-in catalog plus the policy's custom sensitive types
   * (`engine.customTypes()`) and any `options.customTypes`.
   */
  classify(input: ClassifyInput, options?: ClassifyOptions): Promise<ClassificationResult[]>;
  /**
   * Label a whole file: detect the format, classify, evaluate, write the label into the file
   * (metadata, markings) and return the labeled bytes with the label's HTTP headers.
   */
  stamp(input: Buffer | Uint8Array | string, options?: StampOptions): Promise<StampResult>;
  /**
   * Run the labeling pipeline on a captured body with this labeler's engine, protect hook and
   * limits (the HTTP adapters use this). `options.limits` add to the labeler's limits.
   */
  labelDocument(body: SourceBody, options: Omit<LabelDocumentOptions, 'protect'>): Promise<LabelOutcome>;
  /** Release engine resources (Graph timers and sockets). */
  close(): Promise<void>;
}

/**
 * Create a labeler. A policy given as a path is read synchronously, so a broken policy file stops
 * the app at start-up with a precise message instead of failing the first download.
 */
export function createLabeler(options: LabelerOptions = {}): Labeler {
  let policy: LabelPolicy | undefined;
  let engine: EvaluationEngine;
  if (options.engine) {
    engine = options.engine;
    policy = engine instanceof LocalEngine ? engine.policy : undefined;
  } else if (options.graph !== undefined) {
    if (options.policy !== undefined && options.policy !== null) {
      throw new LabelgateError(
        'GRAPH_CONFIG',
        'give either "policy" (a local label policy) or "graph" (your Microsoft 365 tenant\'s policy), not both: the tenant decides the labels when "graph" is set',
      );
    }
    engine = new GraphEngine(options.graph, options.now ? { now: options.now } : {});
  } else {
    policy = loadPolicySync(options.policy);
    engine = new LocalEngine(policy, options.now ? { now: options.now } : {});
  }
  return {
    kind: engine.kind,
    engine,
    policy,
    async evaluateClassificationResults(contentInfo, results, ctx) {
      return (await engine.evaluateClassificationResults(contentInfo, results, ctx)).value;
    },
    async evaluateApplication(contentInfo, labelingOptions, ctx) {
      return (await engine.evaluateApplication(contentInfo, labelingOptions, ctx)).value;
    },
    async evaluateRemoval(contentInfo, justification, ctx) {
      return (await engine.evaluateRemoval(contentInfo, justification, ctx)).value;
    },
    async extractContentLabel(contentInfo, ctx) {
      return (await engine.extractContentLabel(contentInfo, ctx)).value;
    },
    async listLabels(ctx) {
      return (await engine.listLabels(ctx)).value;
    },
    async getLabel(idOrName, ctx) {
      return findLabel((await engine.listLabels(ctx)).value, idOrName);
    },
    async policySettings(ctx) {
      return (await engine.policySettings(ctx)).value;
    },
    classify(input, options = {}) {
      // The caller's types win over the policy's types with the same id.
      return classify(input, { ...options, customTypes: mergeCustomTypes(engine.customTypes(), options.customTypes) });
    },
    stamp(input, stampOptions) {
      return stamp(engine, input, {
        protect: options.protect,
        ...stampOptions,
        limits: { ...options.limits, ...stampOptions?.limits },
      });
    },
    labelDocument(body, documentOptions) {
      return labelDocument(engine, body, {
        ...documentOptions,
        protect: options.protect,
        limits: { ...options.limits, ...documentOptions.limits },
      });
    },
    close() {
      return engine.close();
    },
  };
}
