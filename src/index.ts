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
export { GraphEngine, type GraphEngineOptions } from './evaluate/graph-engine.js';
export type { GraphOptions, GraphCacheOptions, GraphRetryOptions, GraphUserResolver } from './graph/options.js';
export type { CircuitBreakerOptions } from './graph/resilience.js';
export type { TokenCredential, AccessToken, GraphCredentialSpec, GraphCredentialOption } from './graph/credential.js';
export type { GraphLogger } from './graph/logger.js';
export { GRAPH_CLOUDS, type GraphCloud, type GraphCloudName } from './graph/clouds.js';
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
export { labelHeaders, type StampOptions, type StampResult } from './pipeline/stamp.js';
export { labelDocument, type LabelDocumentOptions, type LabelOutcome, type LabelChange, type ProtectHook } from './pipeline/label-document.js';
export { sensitivityLabelHeader, msipLabelsHeader, sfText, LABEL_HEADERS } from './pipeline/headers.js';
export { FORMAT_HANDLERS, detectFormat, handlerById, mediaTypeOf, type DetectInput } from './formats/registry.js';
export { bufferBody, fileBody } from './formats/body.js';
export {
  DEFAULT_FORMAT_LIMITS,
  type FormatHandler,
  type FormatLimits,
  type FormatContext,
  type SourceBody,
  type StampedBody,
  type ApplyResult,
  type ApplyOptions,
  type LabelLocation,
} from './formats/types.js';
