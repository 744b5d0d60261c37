/**
 * One document, end to end, independent of HTTP: read the existing label, classify (unless the
 * caller fixed the label or already classified while capturing), evaluate, raise to the route's
 * minimum label, carry out the plan through the format handler, then protection.
 * Express, Koa, `labeler.stamp` and the CLI all run this.
 */
import type {
  ActionSource,
  ClassificationResult,
  ContentInfo,
  ContentState,
  InformationProtectionAction,
  KeyValuePair,
  SensitivityLabel,
} from '../graph-types.js';
import { LabelgateError, isLabelgateError } from '../errors.js';
import type { Decision, DecisionSource, EvaluationContext, EvaluationEngine } from '../evaluate/engine.js';
import { findTenantLabel, normalizeGuid, parseMsipMetadata, type MsipLabelEntry } from '../evaluate/msip.js';
import { planActions, type AppliedMarkings, type ProtectionAction, type StampPlan } from '../evaluate/plan.js';
import { createScanner } from '../classify/index.js';
import type { CustomSensitiveType } from '../policy/schema.js';
import { mergeCustomTypes } from '../policy/custom-types.js';
import { findLabel } from '../evaluate/find-label.js';
import { DEFAULT_FORMAT_LIMITS, type FormatHandler, type FormatLimits, type SourceBody, type StampedBody } from '../formats/types.js';

/** Carries out protection actions (Azure RMS lives outside labelgate): bytes in, bytes out. */
export type ProtectHook = (input: {
  bytes: Buffer;
  action: ProtectionAction;
  format: string;
  label: SensitivityLabel;
  filename: string | undefined;
}) => Promise<Buffer | Uint8Array>;

export interface LabelDocumentOptions {
  handler: FormatHandler;
  contentType?: string | undefined;
  filename?: string | undefined;
  /** The downloading user: audit, Graph per-user policy, marking variables. */
  user?: string | undefined;
  /** Graph contentInfo.state; HTTP downloads are `motion`. */
  state?: ContentState | undefined;
  /** Apply this label (id or name) without classification (`evaluateApplication`). */
  label?: string | undefined;
  /**
   * `label` is a fail-safe label applied because labeling failed: the engine may apply it from its
   * cache when its service is unreachable (`evaluateFailSafe`). Never set for normal labeling.
   */
  failSafe?: boolean | undefined;
  /** The output carries at least this label (id or name). */
  minimumLabel?: string | undefined;
  /** Extra custom sensitive types for this document (besides the engine's). */
  customTypes?: readonly CustomSensitiveType[] | undefined;
  /** Results computed while the body was captured; skips extraction and scanning. */
  classificationResults?: readonly ClassificationResult[] | undefined;
  /** CSV/TSV banner line. */
  banner?: boolean | undefined;
  limits?: Partial<FormatLimits> | undefined;
  protect?: ProtectHook | undefined;
  signal?: AbortSignal | undefined;
}

/** What happened to the label of the document. */
export type LabelChange = 'applied' | 'kept' | 'none';

export interface LabelOutcome {
  format: string;
  classificationResults: ClassificationResult[];
  actions: InformationProtectionAction[];
  plan: StampPlan;
  /** The label the output carries (newly applied or kept), if any. */
  label: SensitivityLabel | undefined;
  change: LabelChange;
  /** `existing` when a label already on the document was kept. */
  actionSource: ActionSource | 'existing' | null;
  /** `Standard` or `Privileged` for the label the output carries. */
  method: 'standard' | 'privileged';
  decisionSource: DecisionSource;
  body: StampedBody;
  /** Label metadata the output carries (all tenants). */
  metadata: KeyValuePair[];
  applied: AppliedMarkings;
}

const NO_MARKINGS: AppliedMarkings = { header: false, footer: false, watermark: false, encryption: false };

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LabelgateError('ABORTED', 'labeling was aborted (client went away)');
}

async function scan(handler: FormatHandler, body: SourceBody, options: LabelDocumentOptions, engine: EvaluationEngine, limits: FormatLimits) {
  const scanner = createScanner({
    // The caller's (route's) types replace the policy's types with the same id.
    customTypes: mergeCustomTypes(engine.customTypes(), options.customTypes),
    delimiter: handler.scanHints?.delimiter,
  });
  for await (const chunk of handler.extractText(body, { contentType: options.contentType, filename: options.filename, limits, signal: options.signal })) {
    throwIfAborted(options.signal);
    scanner.write(chunk);
  }
  return scanner.end();
}

async function resolveLabelId(engine: EvaluationEngine, idOrName: string, ctx: EvaluationContext, what: string): Promise<SensitivityLabel> {
  const labels = (await engine.listLabels(ctx)).value;
  const label = findLabel(labels, idOrName);
  if (!label) throw new LabelgateError('LABEL_NOT_FOUND', `${what} "${idOrName}" is not a label of the policy`);
  return label;
}

/** A fail-safe label needs the label list: say so when it is neither reachable nor cached. */
function failSafePolicyError(err: unknown): unknown {
  if (!isLabelgateError(err) || err.code !== 'GRAPH_UNAVAILABLE') return err;
  return new LabelgateError('GRAPH_UNAVAILABLE', `the fail-safe label cannot be applied without the label policy, which is neither reachable nor cached: ${err.message}`, {
    cause: err,
  });
}

/** The Graph `contentInfo` the engine evaluates for a document (its existing label metadata included). */
export function contentInfoOf(options: Pick<LabelDocumentOptions, 'filename' | 'state'>, existingMetadata: KeyValuePair[]): ContentInfo {
  return {
    '@odata.type': '#microsoft.graph.security.contentInfo',
    contentFormat: 'file',
    identifier: options.filename ?? null,
    state: options.state ?? 'rest',
    metadata: existingMetadata,
  };
}

export async function labelDocument(engine: EvaluationEngine, body: SourceBody, options: LabelDocumentOptions): Promise<LabelOutcome> {
  const { handler } = options;
  const limits: FormatLimits = { ...DEFAULT_FORMAT_LIMITS, ...options.limits };
  const ctx: EvaluationContext = { user: options.user, signal: options.signal };
  const formatCtx = { contentType: options.contentType, filename: options.filename, limits, signal: options.signal };

  const existingMetadata = await handler.readLabel(body, formatCtx);
  throwIfAborted(options.signal);
  const contentInfo = contentInfoOf(options, existingMetadata);

  let results: ClassificationResult[] = [];
  let decision: Decision<InformationProtectionAction[]>;
  /** The label the caller fixed, or else its minimum: the output must not carry less. */
  let required: { label: SensitivityLabel; what: string } | undefined;
  if (options.label) {
    const label = await resolveLabelId(engine, options.label, ctx, 'label').catch((err: unknown) => {
      throw options.failSafe ? failSafePolicyError(err) : err;
    });
    required = { label, what: options.failSafe ? 'fail-safe label' : 'label' };
    const labeling = { labelId: label.id, assignmentMethod: 'standard' } as const;
    decision =
      options.failSafe && engine.evaluateFailSafe
        ? await engine.evaluateFailSafe(contentInfo, labeling, ctx)
        : await engine.evaluateApplication(contentInfo, labeling, ctx);
  } else {
    results = options.classificationResults ? [...options.classificationResults] : await scan(handler, body, options, engine, limits);
    throwIfAborted(options.signal);
    decision = await engine.evaluateClassificationResults(contentInfo, results, ctx);
  }
  let plan = planActions(decision.value);
  let actions = decision.value;

  const labels = (await engine.listLabels(ctx)).value;
  const settings = (await engine.policySettings(ctx)).value;
  const existing = findTenantLabel(parseMsipMetadata(existingMetadata), engine.tenantId?.() ?? settings.id);

  if (options.minimumLabel) {
    const minimum = await resolveLabelId(engine, options.minimumLabel, ctx, 'minimumLabel');
    if (!required || required.label.sensitivity < minimum.sensitivity) required = { label: minimum, what: 'minimum label' };
    const effectiveId = plan.labelId ?? existing?.labelId;
    const effective = effectiveId ? findLabel(labels, effectiveId) : undefined;
    if (!effective || effective.sensitivity < minimum.sensitivity) {
      const raised = await engine.evaluateApplication(contentInfo, { labelId: minimum.id, assignmentMethod: 'standard' }, ctx);
      if (raised.value.length > 0) {
        decision = raised;
        actions = raised.value;
        plan = { ...planActions(raised.value), actionSource: 'automatic', responsibleSensitiveTypeIds: plan.responsibleSensitiveTypeIds };
      }
    }
  }

  if (plan.justificationRequired) {
    throw new LabelgateError('LABEL_NOT_APPLIABLE', 'the policy requires a downgrade justification, which an automatic export cannot give');
  }

  const appliedId = plan.labelId;
  const carriedId = appliedId ?? existing?.labelId;
  const label = carriedId ? findLabel(labels, normalizeGuid(carriedId) ?? carriedId) : undefined;
  if (required) checkRequiredLabel(required, label, !!appliedId, existing, labels);

  // Protection is decided before stamping: without a hook nothing is written, and with one the
  // metadata stamped into the file already says "encrypted" (ContentBits), as MIP clients write it.
  if (plan.protection && !options.protect) {
    throw new LabelgateError(
      'PROTECTION_UNAVAILABLE',
      `label "${label?.name ?? appliedId}" requires protection (${plan.protection['@odata.type'].split('.').pop()}), but no protect hook is configured`,
    );
  }

  const applyResult = await handler.apply(body, plan, { ...formatCtx, banner: options.banner, protectionPending: !!plan.protection });
  throwIfAborted(options.signal);
  let out = applyResult.body;
  let applied = applyResult.applied;

  if (plan.protection && options.protect) {
    const bytes = await materialize(body, out);
    let protectedBytes: Buffer | Uint8Array;
    try {
      protectedBytes = await options.protect({ bytes, action: plan.protection, format: handler.id, label: label!, filename: options.filename });
    } catch (err) {
      throw new LabelgateError('PROTECTION_UNAVAILABLE', `the protect hook failed for label "${label?.name ?? appliedId}"`, { cause: err });
    }
    if (!(protectedBytes instanceof Uint8Array)) {
      throw new LabelgateError('PROTECTION_UNAVAILABLE', 'the protect hook must resolve to a Buffer or Uint8Array');
    }
    out = { kind: 'replaced', bytes: Buffer.isBuffer(protectedBytes) ? protectedBytes : Buffer.from(protectedBytes.buffer, protectedBytes.byteOffset, protectedBytes.byteLength) };
    applied = { ...applied, encryption: true };
  }

  const method = appliedId
    ? plan.metadataToAdd.some((p) => /_Method$/i.test(p.name) && p.value.toLowerCase() === 'privileged')
      ? 'privileged'
      : 'standard'
    : existing?.method === 'Privileged'
      ? 'privileged'
      : 'standard';

  return {
    format: handler.id,
    classificationResults: results,
    actions,
    plan,
    label,
    change: appliedId ? 'applied' : label ? 'kept' : 'none',
    actionSource: appliedId ? plan.actionSource : label ? 'existing' : null,
    method,
    decisionSource: decision.source,
    body: out,
    metadata: appliedId || plan.metadataToRemove.length > 0 ? applyResult.metadata : existingMetadata,
    applied: appliedId ? applied : NO_MARKINGS,
  };
}

/**
 * A caller that fixes a label (or a minimum) gets exactly that, or an error; never silently less,
 * and never a silent downgrade of a label the file already carries:
 * - a label a user applied (`Privileged`) is never replaced by an automatic export (Graph's
 *   `evaluateApplication` keeps it); if it is lower than the required label, keeping it would send
 *   the file below that label, so this is an error (`LABEL_NOT_APPLIABLE`), not a quiet "kept";
 * - an engine decision that puts a lower label over the file's existing one (a downgrade, which
 *   needs a user and possibly a justification) is refused the same way.
 * A higher label the file already carries is kept: that is not less than required.
 */
function checkRequiredLabel(
  required: { label: SensitivityLabel; what: string },
  carried: SensitivityLabel | undefined,
  applied: boolean,
  existing: MsipLabelEntry | undefined,
  labels: readonly SensitivityLabel[],
): void {
  const wanted = required.label;
  const existingLabel = existing ? findLabel(labels, existing.labelId) : undefined;
  const existingName = existingLabel ? `"${existingLabel.name}"` : `${existing?.labelId ?? 'none'} (not in the policy)`;
  if (applied && existing && carried && existing.labelId !== carried.id && carried.sensitivity < (existingLabel?.sensitivity ?? -1)) {
    throw new LabelgateError(
      'LABEL_NOT_APPLIABLE',
      `the ${required.what} "${wanted.name}" would downgrade the file's existing label ${existingName}; an automatic export cannot downgrade a label (a user must, with a justification if the policy requires one)`,
    );
  }
  if (carried && carried.sensitivity >= wanted.sensitivity) return;
  if (existing && !applied) {
    const byUser = existing.method === 'Privileged';
    throw new LabelgateError(
      'LABEL_NOT_APPLIABLE',
      byUser
        ? `the file already carries the label ${existingName}, applied by a user (Method=Privileged), which an automatic export never replaces; keeping it would send the file below the ${required.what} "${wanted.name}". A user can relabel the file at its source; otherwise lower the required label`
        : `the file keeps its existing label ${existingName}, which is below the ${required.what} "${wanted.name}"; the label policy did not allow replacing it`,
    );
  }
  throw new LabelgateError('LABEL_NOT_APPLIABLE', `the ${required.what} "${wanted.name}" was not applied by the label policy (no label actions returned)`);
}

/** The output bytes of a stamped body. */
export async function materialize(source: SourceBody, body: StampedBody): Promise<Buffer> {
  switch (body.kind) {
    case 'unchanged':
      return source.bytes();
    case 'replaced':
      return body.bytes;
    case 'prefixed': {
      const original = await source.bytes();
      return Buffer.concat([body.prefix, original.subarray(body.skip)]);
    }
  }
}
