/**
 * Caching of the Graph engine, measured at the emulator: one label-list call and one evaluation
 * call per distinct classification signature for a cold burst, none when warm; TTL,
 * stale-while-revalidate, stale-if-error; per-document values never replayed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIT } from '../../src/classify/type-ids.js';
import type { ClassificationResult, ContentInfo, InformationProtectionAction } from '../../src/graph-types.js';
import { GraphEmulator } from '../graph-emulator/server.js';
import { CONTOSO_POLICY, contosoPolicyWith, LABEL, USERS } from '../graph-emulator/tenant.js';
import { engineFor, memoryLogger, WARN } from './helpers.js';
import { normalized, perDocumentValues } from './normalize.js';

const file = (identifier: string, metadata: ContentInfo['metadata'] = []): ContentInfo => ({ contentFormat: 'file', identifier, metadata, state: 'rest' });
const cards = (count: number): ClassificationResult[] => [{ sensitiveTypeId: SIT.creditCard, count, confidenceLevel: 85 }];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let emulator: GraphEmulator;
beforeEach(async () => {
  emulator = await GraphEmulator.start({ pageSize: 3 });
});
afterEach(() => emulator.close());

describe('a burst of concurrent downloads', () => {
  it('cold: one label list, one settings call, one evaluation per distinct signature; warm: no calls', async () => {
    const engine = engineFor(emulator);
    const signatures = 4;
    const burst = () =>
      Promise.all(Array.from({ length: 100 }, (_, i) => engine.evaluateClassificationResults(file(`report-${i}.csv`), cards(1 + (i % signatures)))));

    const coldStart = performance.now();
    const cold = await burst();
    const coldMs = performance.now() - coldStart;
    // The label list has 7 labels in 3-label pages: one list = 3 page requests, made once.
    expect(emulator.requests.filter((r) => r.endpoint === 'sensitivityLabels' && !r.path.includes('$skiptoken'))).toHaveLength(1);
    expect(emulator.calls('sensitivityLabels')).toBe(3);
    expect(emulator.calls('labelPolicySettings')).toBe(1);
    expect(emulator.calls('evaluateClassificationResults')).toBe(signatures);
    expect(cold.filter((d) => d.source === 'graph')).toHaveLength(signatures);
    expect(cold.filter((d) => d.source === 'cache')).toHaveLength(100 - signatures);

    emulator.resetCounts();
    const warmStart = performance.now();
    const warm = await burst();
    const warmMs = performance.now() - warmStart;
    expect(emulator.calls()).toBe(0);
    expect(warm.every((d) => d.source === 'cache')).toBe(true);

    // Same decisions, but no two documents share an ActionId.
    expect(warm.map((d) => normalized(d.value))).toEqual(cold.map((d) => normalized(d.value)));
    const actionIds = [...cold, ...warm].flatMap((d) => perDocumentValues(d.value).actionIds);
    expect(actionIds).toHaveLength(200);
    expect(new Set(actionIds).size).toBe(200);
    console.info(`cold burst of 100: ${coldMs.toFixed(0)} ms; warm burst of 100: ${warmMs.toFixed(1)} ms`);
  });

  it('each downloader\'s own label policy is fetched once per user', async () => {
    const engine = engineFor(emulator, { user: true });
    const users = [USERS.finance, USERS.restricted];
    await Promise.all(Array.from({ length: 40 }, (_, i) => engine.evaluateClassificationResults(file(`r${i}.csv`), cards(3), { user: users[i % 2] })));
    const listsByUser = emulator.requests.filter((r) => r.endpoint === 'labelPolicySettings').map((r) => r.user);
    expect(listsByUser.sort()).toEqual([...users].sort());
    // Different label policies, so different evaluations: one per user.
    expect(emulator.calls('evaluateClassificationResults')).toBe(2);
  });
});

describe('label policy cache', () => {
  it('refreshes after the TTL; a changed label list is a new policy version, so evaluations are asked again', async () => {
    const engine = engineFor(emulator, { cache: { policyTtlMs: 100, staleWhileRevalidateMs: 0 } });
    const before = await engine.evaluateClassificationResults(file('a.csv'), cards(3));
    await engine.evaluateClassificationResults(file('b.csv'), cards(3));
    expect(emulator.calls('evaluateClassificationResults')).toBe(1);

    // The admin renames the label the rule applies.
    emulator.setPolicy(contosoPolicyWith((input) => void (input.labels.find((l) => l.id === LABEL.confidentialFinance)!.name = 'Finance Restricted')));
    const cached = await engine.evaluateClassificationResults(file('c.csv'), cards(3));
    expect(normalized(cached.value)).toEqual(normalized(before.value)); // still within the TTL
    await sleep(150);
    const after = await engine.evaluateClassificationResults(file('d.csv'), cards(3));
    expect(after.source).toBe('graph');
    expect(JSON.stringify(after.value)).toContain('"Finance Restricted"');
    expect(emulator.calls('labelPolicySettings')).toBe(2);
    expect(emulator.calls('evaluateClassificationResults')).toBe(2);
  });

  it('a change to auto-labeling rules alone (invisible in the label list) is picked up when the evaluation TTL ends', async () => {
    const engine = engineFor(emulator, { cache: { policyTtlMs: 60_000, evaluationTtlMs: 100 } });
    const before = await engine.evaluateClassificationResults(file('a.csv'), cards(3));
    expect((before.value[0] as { sensitivityLabelId: string }).sensitivityLabelId).toBe(LABEL.confidentialFinance);
    emulator.setPolicy(
      contosoPolicyWith((input) => {
        input.labels.find((l) => l.id === LABEL.highlyConfidential)!.autoLabeling!.conditions = [
          { sensitiveTypeId: SIT.creditCard, minCount: 1, minConfidence: 65 },
        ];
      }),
    );
    expect((await engine.evaluateClassificationResults(file('b.csv'), cards(3))).source).toBe('cache');
    await sleep(150);
    const after = await engine.evaluateClassificationResults(file('c.csv'), cards(3));
    expect(after.source).toBe('graph');
    expect((after.value[0] as { sensitivityLabelId: string }).sensitivityLabelId).toBe(LABEL.highlyConfidential);
    expect(emulator.calls('labelPolicySettings')).toBe(1);
  });

  it('stale-while-revalidate: an expired policy is served at once and refreshed by one background call', async () => {
    const log = memoryLogger();
    const engine = engineFor(emulator, { cache: { policyTtlMs: 80, staleWhileRevalidateMs: 5_000 }, logger: log.logger });
    await engine.listLabels();
    await sleep(120);
    emulator.resetCounts();
    emulator.inject({ kind: 'latency', ms: 400 }, { endpoint: 'labelPolicySettings' });
    const start = performance.now();
    const results = await Promise.all([engine.listLabels(), engine.listLabels(), engine.policySettings()]);
    expect(performance.now() - start).toBeLessThan(250); // did not wait for the slow refresh
    expect(results.map((r) => r.source)).toEqual(['cache', 'cache', 'cache']);
    await sleep(500);
    expect(emulator.calls('labelPolicySettings')).toBe(1);
    expect(emulator.calls('sensitivityLabels')).toBe(3);
    expect(log.records.filter((r) => r.event === 'graph.policy.refreshed')).toHaveLength(2);
    expect((await engine.listLabels()).source).toBe('cache');
    expect(emulator.calls('labelPolicySettings')).toBe(1);
  });

  it('stale-if-error: Graph down after the TTL → the last policy and cached evaluations are still used, and the log says so', async () => {
    const log = memoryLogger();
    const engine = engineFor(emulator, {
      cache: { policyTtlMs: 50, staleWhileRevalidateMs: 0, staleIfErrorMs: 60_000 },
      retry: { maxRetries: 0 },
      logger: log.logger,
    });
    const first = await engine.evaluateClassificationResults(file('a.csv'), cards(3));
    await sleep(80);
    emulator.inject({ kind: 'status', status: 500 }, { times: 100 });
    const labels = await engine.listLabels();
    expect(labels.source).toBe('cache');
    expect(labels.value.map((l) => l.id)).toContain(LABEL.confidentialFinance);
    const during = await engine.evaluateClassificationResults(file('b.csv'), cards(3));
    expect(during.source).toBe('cache');
    expect(normalized(during.value)).toEqual(normalized(first.value));
    // A new signature needs Graph: that fails, and says why.
    await expect(engine.evaluateClassificationResults(file('c.csv'), cards(30))).rejects.toMatchObject({ code: 'GRAPH_UNAVAILABLE' });
    const stale = log.records.filter((r) => r.event === 'graph.cache.stale_if_error');
    expect(stale.length).toBeGreaterThanOrEqual(1);
    expect(stale[0]).toMatchObject({ level: WARN, cache: 'label policy', code: 'GRAPH_UNAVAILABLE' });
  });

  it('stale-if-error has a limit, and never hides an authorization failure', async () => {
    const engine = engineFor(emulator, { cache: { policyTtlMs: 30, staleWhileRevalidateMs: 0, staleIfErrorMs: 60 }, retry: { maxRetries: 0 } });
    await engine.listLabels();
    await sleep(50);
    emulator.inject({ kind: 'status', status: 403, code: 'Authorization_RequestDenied' }, { endpoint: 'sensitivityLabels' });
    await expect(engine.listLabels()).rejects.toMatchObject({ code: 'GRAPH_AUTH' });
    await sleep(60);
    emulator.inject({ kind: 'status', status: 503 }, { endpoint: 'sensitivityLabels' });
    await expect(engine.listLabels()).rejects.toMatchObject({ code: 'GRAPH_UNAVAILABLE' });
  });
});

describe('evaluation cache', () => {
  it('a replayed answer gets a fresh SetDate and ActionId everywhere, nothing else changes', async () => {
    const now = new Date('2030-01-02T03:04:05.678Z');
    const engine = engineFor(emulator, {}, () => now);
    // A lower existing label: the answer has both an applyLabelAction and a recommendation, each with nested metadata.
    const existing = [
      { name: `MSIP_Label_${LABEL.public}_Enabled`, value: 'true' },
      { name: `MSIP_Label_${LABEL.public}_SiteId`, value: CONTOSO_POLICY.settings.siteId },
      { name: `MSIP_Label_${LABEL.public}_Method`, value: 'Standard' },
    ];
    const results = [...cards(3), { sensitiveTypeId: SIT.email, count: 20, confidenceLevel: 85 }];
    const live = await engine.evaluateClassificationResults(file('a.csv', existing), results);
    const replay = await engine.evaluateClassificationResults(file('b.csv', existing), results);
    expect([live.source, replay.source]).toEqual(['graph', 'cache']);
    expect(live.value.map((a) => a['@odata.type'])).toEqual(['#microsoft.graph.security.applyLabelAction']);
    const liveValues = perDocumentValues(live.value);
    const replayValues = perDocumentValues(replay.value);
    expect(replayValues.setDates).toEqual(liveValues.setDates.map(() => '2030-01-02T03:04:05Z'));
    expect(replayValues.setDates.length).toBeGreaterThan(0);
    for (const [i, id] of replayValues.actionIds.entries()) expect(id).not.toBe(liveValues.actionIds[i]);
    expect(normalized(replay.value)).toEqual(normalized(live.value));
    // The cached copy itself was not changed by the replay.
    const again = await engine.evaluateClassificationResults(file('c.csv', existing), results);
    expect(perDocumentValues(again.value).actionIds).not.toEqual(replayValues.actionIds);
  });

  it('an answer whose markings name the document is never shared between documents', async () => {
    emulator.setPolicy(
      contosoPolicyWith((input) => {
        input.labels.find((l) => l.id === LABEL.confidentialFinance)!.markings = { footer: { text: 'Finance – ${Item.Name}' } };
      }),
    );
    const engine = engineFor(emulator);
    const footers = async (name: string) => {
      const d = await engine.evaluateClassificationResults(file(name), cards(3));
      const apply = d.value[0] as { actions: InformationProtectionAction[] };
      return apply.actions.filter((a) => a['@odata.type'] === '#microsoft.graph.security.addContentFooterAction').map((a) => (a as { text: string }).text);
    };
    const [a, b] = await Promise.all([footers('north.csv'), footers('south.csv')]);
    expect(a).toEqual(['Finance – north.csv']);
    expect(b).toEqual(['Finance – south.csv']);
    expect(await footers('north.csv')).toEqual(['Finance – north.csv']);
    expect(emulator.calls('evaluateClassificationResults')).toBe(3);
  });

  it('evaluationTtlMs: 0 asks Graph every time', async () => {
    const engine = engineFor(emulator, { cache: { evaluationTtlMs: 0 } });
    for (let i = 0; i < 3; i++) expect((await engine.evaluateClassificationResults(file('a.csv'), cards(3))).source).toBe('graph');
    expect(emulator.calls('evaluateClassificationResults')).toBe(3);
    expect(emulator.calls('labelPolicySettings')).toBe(1);
  });
});
