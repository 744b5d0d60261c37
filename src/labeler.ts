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
import { normalizeGuid } from './evaluate/msip.js';
import { loadPolicySync, type PolicySource } from './policy/load.js';
import type { LabelPolicy } from './policy/schema.js';

export interface LabelerOptions {
  /**
   * The label policy for the local engine: omitted for the embedded default, a path to a JSON or
   * YAML file, a policy object, or a policy returned by `loadPolicy`.
   */
  policy?: PolicySource;
  /** Clock for SetDate and marking variables (tests). */
  now?: () => Date;
  /** A ready engine (advanced: tests, or a custom engine). Takes precedence over `policy`. */
  engine?: EvaluationEngine;
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
  /** Release engine resources (Graph timers and sockets). */
  close(): Promise<void>;
}

export function findLabel(labels: readonly SensitivityLabel[], idOrName: string): SensitivityLabel | undefined {
  const id = normalizeGuid(idOrName);
  if (id) {
    const byId = labels.find((l) => l.id.toLowerCase() === id);
    if (byId) return byId;
  }
  const name = idOrName.trim().toLowerCase();
  return labels.find((l) => l.name.toLowerCase() === name);
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
      const extra = options.customTypes ?? [];
      const ids = new Set(extra.map((t) => String(t.id).replace(/[{}]/g, '').toLowerCase()));
      const customTypes = [...engine.customTypes().filter((t) => !ids.has(t.id)), ...extra];
      return classify(input, { ...options, customTypes });
    },
    close() {
      return engine.close();
    },
  };
}
