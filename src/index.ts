/**
 * labelgate — public API. Everything exported here is documented in the README.
 */
export { createLabeler, findLabel, type Labeler, type LabelerOptions } from './labeler.js';
export { loadPolicy, loadPolicySync, defaultPolicy, parsePolicyText, type PolicySource, type LoadPolicyOptions } from './policy/load.js';
export { validatePolicy, type PolicyIssue, type ValidatePolicyOptions } from './policy/validate.js';
export { DEFAULT_POLICY, DEFAULT_LABEL_IDS, DEFAULT_SITE_ID } from './policy/default-policy.js';
export type {
  LabelPolicy,
  PolicyInput,
  PolicyLabel,
  PolicyLabelInput,
  PolicySettings,
  AutoLabelingRule,
  AutoLabelingCondition,
  LabelMarkings,
  LabelProtection,
  CustomSensitiveType,
} from './policy/schema.js';
export { LocalEngine } from './evaluate/local-engine.js';
export type { EvaluationEngine, EvaluationContext, Decision, DecisionSource } from './evaluate/engine.js';
export {
  buildMsipMetadata,
  parseMsipMetadata,
  formatMsipHeader,
  parseMsipHeader,
  applyMetadataChange,
  findTenantLabel,
  msipKey,
  isMsipKey,
  CONTENT_BITS,
  type MsipLabelEntry,
  type BuildMsipInput,
  type MsipMethod,
} from './evaluate/msip.js';
export { planActions, planChangesContent, metadataWithAppliedBits, type StampPlan, type AppliedMarkings } from './evaluate/plan.js';
export { UI_ELEMENT } from './evaluate/actions.js';
export { SIT, SIT_NAMES, BUILTIN_TYPE_IDS } from './classify/type-ids.js';
export { classify, createScanner, CATALOG, checkCustomPattern, type CatalogEntry } from './classify/index.js';
export type { ClassifyInput, ClassifyOptions, MatchExplanation, Scanner, ScannerOptions } from './classify/index.js';
export { LabelgateError, isLabelgateError, type LabelgateErrorCode } from './errors.js';
export { VERSION } from './version.js';
export * from './graph-types.js';
