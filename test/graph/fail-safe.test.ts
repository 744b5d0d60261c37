/**
 * The Graph engine's fail-safe label (`evaluateFailSafe`): with Graph up it is `evaluateApplication`;
 * with Graph down it is built from the cached label policy and the tenant id, by the local engine's
 * rules (compared with the local engine's own answers), without markings. Everything else still
 * fails: a cold cache, an unknown tenant id, a label that is unknown, not appliable or protected,
 * and errors that are not an outage.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../src/evaluate/local-engine.js';
import { GraphEngine } from '../../src/evaluate/graph-engine.js';
import { buildMsipMetadata } from '../../src/evaluate/msip.js';
import type { ContentInfo, KeyValuePair, LabelingOptions } from '../../src/graph-types.js';
import type { GraphOptions } from '../../src/graph/options.js';
import { GraphEmulator } from '../graph-emulator/server.js';
import { CONTOSO_POLICY, CONTOSO_SITE_ID, FABRIKAM_LABEL_ID, FABRIKAM_SITE_ID, LABEL } from '../graph-emulator/tenant.js';
import { engineFor, memoryLogger, staticCredential, WARN } from './helpers.js';
import { normalized } from './normalize.js';

/** A labelPolicySettings id that is not the tenant id: nothing may take one for the other. */
const POLICY_ID = '9d8c7b6a-5f4e-4d3c-8b2a-190817263544';

function labelMeta(labelId: string, method: 'Standard' | 'Privileged', options: { siteId?: string; contentBits?: number; enabled?: boolean } = {}): KeyValuePair[] {
  const name = CONTOSO_POLICY.labels.find((l) => l.id === labelId)?.name ?? 'Fabrikam Secret';
  return buildMsipMetadata({
    labelId,
    siteId: options.siteId ?? CONTOSO_SITE_ID,
    name,
    method,
    contentBits: options.contentBits ?? 0,
    enabled: options.enabled,
    setDate: '2026-01-05T10:00:00Z',
    actionId: '11111111-2222-4333-8444-555555555555',
  });
}

function file(metadata: KeyValuePair[] = []): ContentInfo {
  return { '@odata.type': '#microsoft.graph.security.contentInfo', contentFormat: 'file', identifier: 'payroll.csv', state: 'motion', metadata };
}

let emulator: GraphEmulator;
let log: ReturnType<typeof memoryLogger>;
beforeEach(async () => {
  emulator = await GraphEmulator.start({ settingsId: POLICY_ID });
  log = memoryLogger();
});
afterEach(async () => {
  // Metadata values and file names never reach the engine's log.
  expect(log.text()).not.toContain('payroll');
  expect(log.text()).not.toContain('11111111-2222-4333-8444-555555555555');
  await emulator.close();
});

function engine(options: Partial<GraphOptions> = {}): GraphEngine {
  return engineFor(emulator, { retry: { maxRetries: 0, maxWaitMs: 0 }, timeoutMs: 300, circuitBreaker: false, logger: log.logger, ...options });
}

/** Graph stops answering: every call's connection is dropped. */
function outage(): void {
  emulator.inject({ kind: 'drop' }, { times: 10_000 });
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected the call to fail');
}

const general: LabelingOptions = { labelId: LABEL.general, assignmentMethod: 'standard' };

describe('Graph up: the fail-safe label is an ordinary evaluateApplication', () => {
  it('same answer as evaluateApplication (markings included), from Graph', async () => {
    const graph = engine();
    const options: LabelingOptions = { labelId: LABEL.confidentialAll, assignmentMethod: 'standard' };
    const failSafe = await graph.evaluateFailSafe(file(), options);
    expect(failSafe.source).toBe('graph');
    expect(normalized(failSafe.value)).toEqual(normalized((await new LocalEngine(CONTOSO_POLICY).evaluateApplication(file(), options)).value));
    expect(JSON.stringify(failSafe.value)).toContain('addContentFooterAction');
    expect(emulator.calls('evaluateApplication')).toBe(1);
  });
});

describe('Graph down, policy cached: built offline by the local engine\'s rules', () => {
  const CASES: [string, KeyValuePair[]][] = [
    ['unlabeled content → applied', []],
    ['a lower standard label (Public) → replaced, its keys removed', labelMeta(LABEL.public, 'Standard')],
    ['a lower label with markings → replaced, its markings taken off', labelMeta(LABEL.public, 'Standard', { contentBits: 7 })],
    ['a higher label (Confidential - Finance) → kept', labelMeta(LABEL.confidentialFinance, 'Standard', { contentBits: 3 })],
    ['a lower label a user chose (Privileged) → kept', labelMeta(LABEL.public, 'Privileged')],
    ['the same label → nothing to do', labelMeta(LABEL.general, 'Standard')],
    ['a label this policy no longer has → replaced', labelMeta('77777777-7777-4777-8777-777777777777', 'Standard')],
    ['a disabled leftover of ours → cleaned up', labelMeta(LABEL.public, 'Standard', { enabled: false })],
    ["another tenant's label → ours added, theirs untouched", labelMeta(FABRIKAM_LABEL_ID, 'Privileged', { siteId: FABRIKAM_SITE_ID })],
  ];

  it.each(CASES)('%s', async (_name, metadata) => {
    const graph = engine({ tenantId: CONTOSO_SITE_ID });
    await graph.listLabels();
    outage();
    const offline = await graph.evaluateFailSafe(file(metadata), general);
    expect(offline.source).toBe('cache');
    // General has no markings and no protection: exactly what the local engine answers.
    const local = await new LocalEngine(CONTOSO_POLICY).evaluateApplication(file(metadata), general);
    expect(normalized(offline.value)).toEqual(normalized(local.value));
    // …and what normal labeling during the outage does not get: it still fails.
    expect((await failure(graph.evaluateApplication(file(metadata), general))).code).toBe('GRAPH_UNAVAILABLE');
  });

  it('a label with markings: the metadata only, ContentBits 0, and the log says so', async () => {
    const graph = engine({ tenantId: CONTOSO_SITE_ID });
    await graph.listLabels();
    outage();
    const options: LabelingOptions = { labelId: LABEL.confidentialAll, assignmentMethod: 'standard' };
    const offline = await graph.evaluateFailSafe(file(labelMeta(LABEL.public, 'Standard')), options);
    const local = (await new LocalEngine(CONTOSO_POLICY).evaluateApplication(file(labelMeta(LABEL.public, 'Standard')), options)).value;
    const withoutMarkings = local
      .filter((a) => a['@odata.type'] !== '#microsoft.graph.security.addContentFooterAction')
      .map((a) =>
        a['@odata.type'] === '#microsoft.graph.security.metadataAction'
          ? { ...a, metadataToAdd: a.metadataToAdd.map((p) => (p.name.endsWith('_ContentBits') ? { ...p, value: '0' } : p)) }
          : a,
      );
    expect(local).toHaveLength(2);
    expect(normalized(offline.value)).toEqual(normalized(withoutMarkings));
    expect(log.records.filter((r) => r.event === 'graph.fail_safe.offline')).toMatchObject([
      { level: WARN, labelId: LABEL.confidentialAll, code: 'GRAPH_UNAVAILABLE', actions: 1 },
    ]);
  });

  it('per-document values are fresh: SetDate is now, ActionId a new GUID each time', async () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const graph = engineFor(emulator, { retry: { maxRetries: 0, maxWaitMs: 0 }, circuitBreaker: false, tenantId: CONTOSO_SITE_ID }, () => now);
    await graph.listLabels();
    outage();
    const pairs = async () => {
      const [action] = (await graph.evaluateFailSafe(file(), general)).value as unknown as [{ metadataToAdd: KeyValuePair[] }];
      return Object.fromEntries(action.metadataToAdd.map((p) => [p.name.replace(/^MSIP_Label_[0-9a-f-]+_/, ''), p.value]));
    };
    const first = await pairs();
    const second = await pairs();
    expect(first).toMatchObject({ Enabled: 'true', SetDate: '2026-11-23T10:00:00Z', Method: 'Standard', Name: 'General', SiteId: CONTOSO_SITE_ID, ContentBits: '0' });
    expect(first.ActionId).not.toBe(second.ActionId);
  });

  it('a cached answer for the same document still wins over the offline one', async () => {
    const graph = engine({ tenantId: CONTOSO_SITE_ID });
    const options: LabelingOptions = { labelId: LABEL.confidentialAll, assignmentMethod: 'standard' };
    await graph.evaluateApplication(file(), options);
    outage();
    const cached = await graph.evaluateFailSafe(file(), options);
    expect(cached.source).toBe('cache');
    expect(JSON.stringify(cached.value)).toContain('addContentFooterAction');
    expect(log.records.filter((r) => r.event === 'graph.fail_safe.offline')).toHaveLength(0);
  });
});

describe('Graph down: what still fails', () => {
  it('cold cache → GRAPH_UNAVAILABLE saying no policy is cached', async () => {
    const graph = engine({ tenantId: CONTOSO_SITE_ID });
    outage();
    const f = await failure(graph.evaluateFailSafe(file(), general));
    expect(f.code).toBe('GRAPH_UNAVAILABLE');
    expect(f.message).toMatch(/^the fail-safe label cannot be applied: Microsoft Graph is unavailable and no label policy is cached/);
  });

  it('unknown tenant id → GRAPH_CONFIG asking for graph.tenantId', async () => {
    const graph = engine();
    await graph.listLabels();
    expect(graph.tenantId()).toBeUndefined();
    outage();
    const f = await failure(graph.evaluateFailSafe(file(), general));
    expect(f.code).toBe('GRAPH_CONFIG');
    expect(f.message).toContain('Set graph.tenantId to your directory (tenant) id GUID');
  });

  it.each([
    ['an unknown label', 'LABEL_NOT_FOUND', '99999999-9999-4999-8999-999999999999'],
    ['a parent label', 'LABEL_NOT_APPLIABLE', LABEL.confidential],
    ['an inactive label', 'LABEL_NOT_APPLIABLE', LABEL.legacy],
    ['a label with protection (its template is only known to Graph)', 'PROTECTION_UNAVAILABLE', LABEL.highlyConfidential],
  ])('%s → %s', async (_name, code, labelId) => {
    const graph = engine({ tenantId: CONTOSO_SITE_ID });
    await graph.listLabels();
    outage();
    expect((await failure(graph.evaluateFailSafe(file(), { labelId }))).code).toBe(code);
  });

  it('a protected label is still not needed when a higher label is kept', async () => {
    const graph = engine({ tenantId: CONTOSO_SITE_ID });
    await graph.listLabels();
    outage();
    expect((await graph.evaluateFailSafe(file(labelMeta(LABEL.legacy, 'Privileged')), { labelId: LABEL.highlyConfidential })).value).toEqual([]);
  });

  it('Graph answering with an error that is not an outage (403) is not degraded', async () => {
    const graph = engine({ tenantId: CONTOSO_SITE_ID });
    await graph.listLabels();
    emulator.inject({ kind: 'status', status: 403, code: 'Authorization_RequestDenied' }, { times: 100 });
    expect((await failure(graph.evaluateFailSafe(file(), general))).code).toBe('GRAPH_AUTH');
  });
});

describe('the tenant id', () => {
  it("is learnt from the SiteId in Graph's answers (not from labelPolicySettings.id)", async () => {
    const graph = engine();
    expect((await graph.policySettings()).value.id).toBe(POLICY_ID);
    expect(graph.tenantId()).toBeUndefined();
    await graph.evaluateApplication(file(), general);
    expect(graph.tenantId()).toBe(CONTOSO_SITE_ID);
  });

  it('is learnt from nested actions (applyLabelAction) too', async () => {
    const graph = engine();
    await graph.evaluateClassificationResults(file(), []);
    expect(graph.tenantId()).toBe(CONTOSO_SITE_ID);
  });

  it("comes from graph.tenantId or a credential description's tenant GUID, without a Graph call", () => {
    const spec = (tenantId: string) => ({ kind: 'clientSecret' as const, tenantId, clientId: '0f0e0d0c-0b0a-4909-8807-060504030201', clientSecret: 'not-used' });
    expect(new GraphEngine({ credential: spec(CONTOSO_SITE_ID.toUpperCase()) }).tenantId()).toBe(CONTOSO_SITE_ID);
    expect(new GraphEngine({ credential: spec('contoso.onmicrosoft.com') }).tenantId()).toBeUndefined();
    expect(new GraphEngine({ credential: spec('contoso.onmicrosoft.com'), tenantId: `{${CONTOSO_SITE_ID}}` }).tenantId()).toBe(CONTOSO_SITE_ID);
    expect(new GraphEngine({ credential: staticCredential() }).tenantId()).toBeUndefined();
    expect(emulator.calls()).toBe(0);
  });

  it("Graph's SiteId wins over a configured one that differs, with a warning", async () => {
    const configured = FABRIKAM_SITE_ID;
    const graph = engine({ tenantId: configured });
    expect(graph.tenantId()).toBe(configured);
    await graph.evaluateApplication(file(), general);
    expect(graph.tenantId()).toBe(CONTOSO_SITE_ID);
    expect(log.records.filter((r) => r.event === 'graph.tenant.mismatch')).toMatchObject([{ level: WARN, configured, graph: CONTOSO_SITE_ID }]);
  });
});
