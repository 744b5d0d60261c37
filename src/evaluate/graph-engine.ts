/**
 * The Microsoft Graph evaluation engine: the tenant's labels, label policy settings and
 * auto-labeling decisions, through Graph beta's `security/informationProtection` API — behind the
 * same interface as the local engine, so `createLabeler({ graph })` is the only change an app makes.
 *
 * - The label list (all pages) and the policy settings are cached per Graph user (TTL,
 *   stale-while-revalidate, stale-if-error, single flight); their hash is the policy version.
 * - Evaluations are cached under a canonical key (see evaluation-key.ts); replayed answers get
 *   fresh SetDate/ActionId values. Concurrent identical evaluations share one Graph call.
 * - Requests the local policy semantics reject anyway (unknown label, label not appliable,
 *   removing a mandatory label, malformed metadata) fail here with the local engine's error codes,
 *   without a Graph call.
 * - The fail-safe label (`evaluateFailSafe`) is evaluated like any label; only when Graph is
 *   unavailable is it built offline from the cached label list and the tenant id (fail-safe.ts).
 *   The tenant id is learnt from the `SiteId` Graph writes into its answers, else taken from
 *   `graph.tenantId` or the credential description.
 * Everything that talks to Graph lives in src/graph/.
 */
import { createHash } from 'node:crypto';
import { LabelgateError, isLabelgateError } from '../errors.js';
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
import { RefreshingCache } from '../graph/cache.js';
import { resolveGraphOptions, type GraphOptions, type ResolvedGraphOptions } from '../graph/options.js';
import { untilAborted } from '../graph/resilience.js';
import { parseActions, parseContentLabel, parseLabelPage, parsePolicySettings } from '../graph/shapes.js';
import { GraphTransport, type GraphEndpoint } from '../graph/transport.js';
import type { Decision, EvaluationContext, EvaluationEngine } from './engine.js';
import { evaluationKey, marksDocumentSpecificText, withFreshPerDocumentValues, type EvaluationKeyInput } from './evaluation-key.js';
import { offlineApplicationActions, siteIdsOf } from './fail-safe.js';
import { isLabelUsable, notAppliableError, validateClassificationResults } from './local-engine.js';
import { normalizeGuid, parseMsipMetadata } from './msip.js';

interface PolicySnapshot {
  labels: SensitivityLabel[];
  settings: InformationProtectionPolicySetting;
  byId: ReadonlyMap<string, SensitivityLabel>;
  /** Hash of labels + settings: part of every evaluation cache key. */
  version: string;
}

interface ActionsEntry {
  actions: InformationProtectionAction[];
  identifier: string | null;
  /** Marking text names this document or this moment: never shared. */
  documentSpecific: boolean;
}

interface LabelEntry {
  label: ContentLabel | null;
}

export interface GraphEngineOptions {
  /** Clock for regenerated SetDate values (tests). */
  now?: () => Date;
}

const NS = 'microsoft.graph.security';

function inputError(message: string): LabelgateError {
  return new LabelgateError('INPUT_INVALID', message);
}

/** contentInfo exactly as Graph documents it (the docs' legacy `format` property is not sent). */
function graphContentInfo(info: ContentInfo): ContentInfo {
  if (typeof info !== 'object' || info === null) throw inputError('contentInfo: expected an object');
  const metadata = info.metadata ?? [];
  if (!Array.isArray(metadata) || metadata.some((p) => typeof p?.name !== 'string' || typeof p?.value !== 'string')) {
    throw inputError('contentInfo.metadata: expected a list of {name, value} strings');
  }
  // Same strict reading as the local engine: malformed MSIP metadata is METADATA_INVALID either way.
  parseMsipMetadata(metadata);
  return {
    '@odata.type': '#microsoft.graph.security.contentInfo',
    contentFormat: info.contentFormat ?? 'file',
    identifier: info.identifier ?? null,
    metadata: metadata.map(({ name, value }) => ({ name, value })),
    state: info.state ?? 'rest',
  };
}

function justificationBody(j: DowngradeJustification | null | undefined): DowngradeJustification {
  if (j === undefined || j === null) return { isDowngradeJustified: false, justificationMessage: null };
  if (typeof j !== 'object' || typeof j.isDowngradeJustified !== 'boolean') {
    throw inputError('downgradeJustification: expected { isDowngradeJustified: boolean, justificationMessage?: string }');
  }
  return { isDowngradeJustified: j.isDowngradeJustified, justificationMessage: j.justificationMessage ?? null };
}

export class GraphEngine implements EvaluationEngine {
  readonly kind = 'graph' as const;
  private readonly options: ResolvedGraphOptions;
  private readonly transport: GraphTransport;
  private readonly policies: RefreshingCache<PolicySnapshot>;
  private readonly evaluations: RefreshingCache<ActionsEntry | LabelEntry>;
  private readonly now: () => Date;
  /** The tenant id (MSIP SiteId) seen in Graph's answers. */
  private learnedTenantId: string | undefined;

  constructor(graph: GraphOptions, engineOptions: GraphEngineOptions = {}) {
    this.options = resolveGraphOptions(graph);
    this.now = engineOptions.now ?? (() => new Date());
    const { cache, logger } = this.options;
    this.transport = new GraphTransport(this.options);
    this.policies = new RefreshingCache(
      'label policy',
      { ttlMs: cache.policyTtlMs, staleWhileRevalidateMs: cache.staleWhileRevalidateMs, staleIfErrorMs: cache.staleIfErrorMs },
      cache.maxPolicies,
      logger,
    );
    this.evaluations = new RefreshingCache(
      'evaluation',
      { ttlMs: cache.evaluationTtlMs, staleWhileRevalidateMs: 0, staleIfErrorMs: cache.staleIfErrorMs },
      cache.maxEvaluations,
      logger,
    );
  }

  /** Circuit breaker state (`closed`, `open`, `half-open`, `disabled`), for health checks. */
  get circuit(): 'closed' | 'open' | 'half-open' | 'disabled' {
    return this.transport.circuit;
  }

  /** The tenant id Graph writes as `SiteId` (once seen), else `graph.tenantId` or the credential's tenant GUID. */
  tenantId(): string | undefined {
    return this.learnedTenantId ?? this.options.tenantId;
  }

  private learnTenant(actions: readonly InformationProtectionAction[]): void {
    const [siteId] = siteIdsOf(actions);
    if (!siteId || siteId === this.learnedTenantId) return;
    this.learnedTenantId = siteId;
    if (this.options.tenantId && this.options.tenantId !== siteId) {
      this.options.logger.warn(
        { event: 'graph.tenant.mismatch', configured: this.options.tenantId, graph: siteId },
        "Graph labels content for another tenant id than graph.tenantId (or the credential's tenantId) says; using Graph's",
      );
    }
  }

  customTypes(): readonly CustomSensitiveType[] {
    // Tenant-defined sensitive information types are not readable through this API.
    return [];
  }

  async close(): Promise<void> {
    this.policies.clear();
    this.evaluations.clear();
  }

  /** The Graph user whose policy applies, or undefined for app-only calls. */
  private async graphUser(ctx: EvaluationContext | undefined): Promise<string | undefined> {
    const resolver = this.options.user;
    if (!resolver) return undefined;
    let id: string | undefined;
    try {
      id = await resolver(ctx?.user, ctx ?? {});
    } catch (err) {
      // Its message is not repeated: resolver errors tend to echo the user they were given, and this
      // message reaches the audit log. The original error stays available as `cause`.
      throw new LabelgateError('GRAPH_CONFIG', 'graph.user: the user resolver failed (its error is attached as the cause)', { cause: err });
    }
    if (id === undefined || id === null) return undefined;
    // Not echoed: a user principal name is personal data.
    if (typeof id !== 'string' || id.trim() === '' || id.length > 320 || /[\u0000-\u001f\u007f]/.test(id)) {
      throw inputError('the Graph user id must be a user principal name or object id (1-320 printable characters)');
    }
    return id.trim();
  }

  private root(user: string | undefined): string {
    return user === undefined ? '/security/informationProtection' : `/users/${encodeURIComponent(user)}/security/informationProtection`;
  }

  private policyKey(user: string | undefined): string {
    return user === undefined ? 'app' : `user:${user}`;
  }

  private async snapshot(user: string | undefined, signal: AbortSignal | undefined): Promise<{ policy: PolicySnapshot; source: 'graph' | 'cache' }> {
    const root = this.root(user);
    const result = await untilAborted(
      this.policies.get(this.policyKey(user), async () => {
        const [labels, settings] = await Promise.all([
          this.transport.collect({ endpoint: 'sensitivityLabels', path: `${root}/sensitivityLabels`, parse: parseLabelPage }),
          this.transport.call({ endpoint: 'labelPolicySettings', path: `${root}/labelPolicySettings`, parse: parsePolicySettings }),
        ]);
        const version = createHash('sha256').update(JSON.stringify({ labels, settings })).digest('hex').slice(0, 16);
        this.options.logger.debug(
          { event: 'graph.policy.refreshed', scope: user === undefined ? 'app' : 'user', labels: labels.length, version },
          'label policy loaded from Graph',
        );
        return { labels, settings, version, byId: new Map(labels.map((l) => [l.id, l])) };
      }),
      signal,
    );
    return { policy: result.value, source: result.source };
  }

  async listLabels(ctx?: EvaluationContext): Promise<Decision<SensitivityLabel[]>> {
    const { policy, source } = await this.snapshot(await this.graphUser(ctx), ctx?.signal);
    return { value: structuredClone(policy.labels), source };
  }

  async policySettings(ctx?: EvaluationContext): Promise<Decision<InformationProtectionPolicySetting>> {
    const { policy, source } = await this.snapshot(await this.graphUser(ctx), ctx?.signal);
    return { value: { ...policy.settings }, source };
  }

  evaluateClassificationResults(
    contentInfo: ContentInfo,
    classificationResults: readonly ClassificationResult[],
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>> {
    const results = validateClassificationResults(classificationResults);
    const info = graphContentInfo(contentInfo);
    return this.actions('evaluateClassificationResults', { contentInfo: info, classificationResults: results }, { contentInfo: info, classificationResults: results }, ctx);
  }

  async evaluateApplication(
    contentInfo: ContentInfo,
    labelingOptions: LabelingOptions,
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>> {
    const labelId = typeof labelingOptions?.labelId === 'string' ? normalizeGuid(labelingOptions.labelId) : undefined;
    if (!labelId) throw inputError('labelingOptions.labelId: expected a label GUID');
    const info = graphContentInfo(contentInfo);
    const options: LabelingOptions = {
      '@odata.type': '#microsoft.graph.security.labelingOptions',
      assignmentMethod: labelingOptions.assignmentMethod ?? 'standard',
      labelId,
      ...(labelingOptions.downgradeJustification ? { downgradeJustification: justificationBody(labelingOptions.downgradeJustification) } : {}),
      extendedProperties: (labelingOptions.extendedProperties ?? []).map(({ name, value }) => ({ name, value })),
    };
    return this.actions(
      'evaluateApplication',
      { contentInfo: info, labelingOptions: options },
      { contentInfo: info, labelingOptions: options },
      ctx,
      (policy) => {
        const label = policy.byId.get(labelId);
        if (!label) throw new LabelgateError('LABEL_NOT_FOUND', `no label with id ${labelId} in the tenant's label policy`);
        if (!isLabelUsable(label, info)) throw notAppliableError(label, info);
      },
    );
  }

  /**
   * `evaluateApplication` for a route's fail-safe label. When Graph is unavailable (and only then),
   * the answer is built from the cached label list and the tenant id: metadata without markings,
   * source `cache`. A cold cache or an unknown tenant id fails (the route then fails closed).
   */
  async evaluateFailSafe(
    contentInfo: ContentInfo,
    labelingOptions: LabelingOptions,
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>> {
    try {
      return await this.evaluateApplication(contentInfo, labelingOptions, ctx);
    } catch (err) {
      if (!isLabelgateError(err) || err.code !== 'GRAPH_UNAVAILABLE' || ctx?.signal?.aborted) throw err;
      const policy = this.policies.peek(this.policyKey(await this.graphUser(ctx)));
      if (!policy) {
        throw new LabelgateError(
          'GRAPH_UNAVAILABLE',
          `the fail-safe label cannot be applied: Microsoft Graph is unavailable and no label policy is cached (none loaded since start-up, or older than graph.cache.staleIfErrorMs) — ${err.message}`,
          { cause: err },
        );
      }
      const tenantId = this.tenantId();
      if (!tenantId) {
        throw new LabelgateError(
          'GRAPH_CONFIG',
          'the fail-safe label cannot be applied while Microsoft Graph is unavailable: the tenant id (the label metadata\'s SiteId) is not known yet. ' +
            'Set graph.tenantId to your directory (tenant) id GUID.',
          { cause: err },
        );
      }
      const actions = offlineApplicationActions({
        contentInfo: graphContentInfo(contentInfo),
        labelingOptions,
        labels: policy.byId,
        settings: policy.settings,
        tenantId,
        now: this.now(),
      });
      this.options.logger.warn(
        { event: 'graph.fail_safe.offline', labelId: normalizeGuid(labelingOptions.labelId), code: err.code, actions: actions.length },
        'Graph is unavailable: fail-safe label built from the cached label policy (metadata only, no markings)',
      );
      return { value: actions, source: 'cache' };
    }
  }

  evaluateRemoval(
    contentInfo: ContentInfo,
    downgradeJustification: DowngradeJustification,
    ctx?: EvaluationContext,
  ): Promise<Decision<InformationProtectionAction[]>> {
    const info = graphContentInfo(contentInfo);
    const justification = justificationBody(downgradeJustification);
    return this.actions('evaluateRemoval', { contentInfo: info, downgradeJustification: justification }, { contentInfo: info, downgradeJustification: justification }, ctx, (policy) => {
      if (!policy.settings.isMandatory) return;
      const ours = parseMsipMetadata(info.metadata).some((e) => e.enabled && policy.byId.has(e.labelId));
      if (ours) {
        throw new LabelgateError('REMOVAL_NOT_ALLOWED', "the tenant's label policy makes a label mandatory; change the label instead of removing it");
      }
    });
  }

  async extractContentLabel(contentInfo: ContentInfo, ctx?: EvaluationContext): Promise<Decision<ContentLabel | null>> {
    const info = graphContentInfo(contentInfo);
    const user = await this.graphUser(ctx);
    const { policy } = await this.snapshot(user, ctx?.signal);
    const key = evaluationKey({ operation: 'extractContentLabel', policyVersion: policy.version, user: user ?? '', contentInfo: info });
    const result = await untilAborted(
      this.evaluations.get(key, async () => ({
        label: await this.transport.call({
          endpoint: 'extractContentLabel',
          path: `${this.root(user)}/sensitivityLabels/${NS}.extractContentLabel`,
          body: { contentInfo: info },
          parse: parseContentLabel,
        }),
      })),
      ctx?.signal,
    );
    const { label } = result.value as LabelEntry;
    return { value: label && { ...label }, source: result.source };
  }

  /** An action-returning evaluation: policy checks, then the cache, then Graph. */
  private async actions(
    operation: Exclude<GraphEndpoint, 'sensitivityLabels' | 'labelPolicySettings' | 'extractContentLabel'>,
    keyInput: Omit<EvaluationKeyInput, 'operation' | 'policyVersion' | 'user'>,
    body: Record<string, unknown>,
    ctx: EvaluationContext | undefined,
    check?: (policy: PolicySnapshot) => void,
  ): Promise<Decision<InformationProtectionAction[]>> {
    const user = await this.graphUser(ctx);
    const { policy } = await this.snapshot(user, ctx?.signal);
    check?.(policy);
    const identifier = keyInput.contentInfo.identifier ?? null;
    const live = async (): Promise<ActionsEntry> => {
      const actions = await this.transport.call({
        endpoint: operation,
        path: `${this.root(user)}/sensitivityLabels/${NS}.${operation}`,
        body,
        parse: parseActions,
      });
      this.learnTenant(actions);
      return { actions, identifier, documentSpecific: marksDocumentSpecificText(actions, identifier) };
    };
    const key = evaluationKey({ ...keyInput, operation, policyVersion: policy.version, user: user ?? '' });
    const result = await untilAborted(
      this.evaluations.get(key, live, (entry) => !(entry as ActionsEntry).documentSpecific),
      ctx?.signal,
    );
    const entry = result.value as ActionsEntry;
    if (result.source === 'graph') return { value: entry.actions, source: 'graph' };
    if (entry.documentSpecific && entry.identifier !== identifier) {
      // Joined another document's call, whose markings name that document: ask for this one.
      return { value: (await untilAborted(live(), ctx?.signal)).actions, source: 'graph' };
    }
    return { value: withFreshPerDocumentValues(entry.actions, this.now()), source: 'cache' };
  }
}
