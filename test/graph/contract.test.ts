/**
 * Contract: for the same label policy, the local engine and the Graph engine (the real Graph SDK
 * talking to the emulator, which serves that policy) give the same JSON — answers, labels,
 * settings and error codes. SetDate/ActionId are compared by form only (see normalize.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIT } from '../../src/classify/type-ids.js';
import { VERSION } from '../../src/version.js';
import { LocalEngine } from '../../src/evaluate/local-engine.js';
import { buildMsipMetadata } from '../../src/evaluate/msip.js';
import type { GraphEngine } from '../../src/evaluate/graph-engine.js';
import type { EvaluationEngine } from '../../src/evaluate/engine.js';
import type { ClassificationResult, ContentInfo, KeyValuePair } from '../../src/graph-types.js';
import type { LabelPolicy } from '../../src/policy/schema.js';
import { GraphEmulator } from '../graph-emulator/server.js';
import {
  CONTOSO_MANDATORY_POLICY,
  CONTOSO_POLICY,
  CONTOSO_RESTRICTED_POLICY,
  CONTOSO_SITE_ID,
  FABRIKAM_LABEL_ID,
  FABRIKAM_SITE_ID,
  LABEL,
  USERS,
} from '../graph-emulator/tenant.js';
import { engineFor } from './helpers.js';
import { normalized } from './normalize.js';

function labelMeta(labelId: string, method: 'Standard' | 'Privileged', siteId = CONTOSO_SITE_ID, contentBits = 0): KeyValuePair[] {
  const name = CONTOSO_POLICY.labels.find((l) => l.id === labelId)?.name ?? 'Fabrikam Secret';
  return buildMsipMetadata({ labelId, siteId, name, method, contentBits, setDate: '2026-01-05T10:00:00Z', actionId: '11111111-2222-4333-8444-555555555555' });
}

function file(metadata: KeyValuePair[] = [], identifier = 'report.csv', contentFormat = 'file'): ContentInfo {
  return { '@odata.type': '#microsoft.graph.security.contentInfo', contentFormat, identifier, state: 'rest', metadata };
}

const cards = (count: number, confidenceLevel = 85): ClassificationResult[] => [{ sensitiveTypeId: SIT.creditCard, count, confidenceLevel }];
const emails: ClassificationResult[] = [{ sensitiveTypeId: SIT.email, count: 12, confidenceLevel: 85 }];

type Case = [name: string, run: (engine: EvaluationEngine) => Promise<unknown>];

const CASES: Case[] = [
  ['no label, card numbers → automatic Finance label', (e) => e.evaluateClassificationResults(file(), cards(3))],
  ['no label, nothing found → default label', (e) => e.evaluateClassificationResults(file(), [])],
  ['no label, many email addresses → default label + recommendation', (e) => e.evaluateClassificationResults(file(), emails)],
  ['many cards and an SSN → Highly Confidential with protection and watermark', (e) =>
    e.evaluateClassificationResults(file(), [...cards(25), { sensitiveTypeId: SIT.usSsn, count: 2, confidenceLevel: 85 }])],
  ['existing lower label (General) + cards → replaced, old keys removed', (e) =>
    e.evaluateClassificationResults(file(labelMeta(LABEL.general, 'Standard')), cards(3))],
  ['existing higher label (Highly Confidential) + cards → kept', (e) =>
    e.evaluateClassificationResults(file(labelMeta(LABEL.highlyConfidential, 'Standard', CONTOSO_SITE_ID, 13)), cards(3))],
  ['privileged (user-chosen) General + cards → only a recommendation', (e) =>
    e.evaluateClassificationResults(file(labelMeta(LABEL.general, 'Privileged')), cards(3))],
  ['another tenant\'s label + cards → ours added, theirs untouched', (e) =>
    e.evaluateClassificationResults(file(labelMeta(FABRIKAM_LABEL_ID, 'Privileged', FABRIKAM_SITE_ID)), cards(3))],
  ['both tenants\' labels, ours lower → ours replaced only', (e) =>
    e.evaluateClassificationResults(
      file([...labelMeta(FABRIKAM_LABEL_ID, 'Standard', FABRIKAM_SITE_ID), ...labelMeta(LABEL.public, 'Standard')]),
      cards(3),
    )],
  ['email content format', (e) => e.evaluateClassificationResults(file([], 'message.eml', 'email'), cards(3))],
  ['explicit label on unlabeled content', (e) =>
    e.evaluateApplication(file(), { labelId: LABEL.confidentialAll, assignmentMethod: 'standard' })],
  ['explicit label with extended properties', (e) =>
    e.evaluateApplication(file(), {
      labelId: LABEL.general,
      assignmentMethod: 'privileged',
      extendedProperties: [{ name: 'GeneratedBy', value: 'HRReportingSystem' }],
    })],
  ['same label again → nothing to do', (e) => e.evaluateApplication(file(labelMeta(LABEL.general, 'Standard')), { labelId: LABEL.general })],
  ['downgrade by a user without justification → justifyAction', (e) =>
    e.evaluateApplication(file(labelMeta(LABEL.highlyConfidential, 'Standard', CONTOSO_SITE_ID, 13)), {
      labelId: LABEL.general,
      assignmentMethod: 'privileged',
    })],
  ['downgrade by a user with justification → new label, markings removed', (e) =>
    e.evaluateApplication(file(labelMeta(LABEL.highlyConfidential, 'Standard', CONTOSO_SITE_ID, 13)), {
      labelId: LABEL.general,
      assignmentMethod: 'privileged',
      downgradeJustification: { isDowngradeJustified: true, justificationMessage: 'Report contains test data only' },
    })],
  ['downgrade by an automatic process → refused (no actions)', (e) =>
    e.evaluateApplication(file(labelMeta(LABEL.highlyConfidential, 'Standard')), { labelId: LABEL.general, assignmentMethod: 'auto' })],
  ['removal without justification → justifyAction', (e) =>
    e.evaluateRemoval(file(labelMeta(LABEL.confidentialFinance, 'Standard', CONTOSO_SITE_ID, 3)), { isDowngradeJustified: false })],
  ['removal with justification → markings and keys removed', (e) =>
    e.evaluateRemoval(file(labelMeta(LABEL.confidentialFinance, 'Standard', CONTOSO_SITE_ID, 3)), {
      isDowngradeJustified: true,
      justificationMessage: 'Wrongly classified',
    })],
  ['removal when only another tenant labeled the content → nothing', (e) =>
    e.evaluateRemoval(file(labelMeta(FABRIKAM_LABEL_ID, 'Standard', FABRIKAM_SITE_ID)), { isDowngradeJustified: true })],
  ['extractContentLabel of a privileged label', (e) => e.extractContentLabel(file(labelMeta(LABEL.confidentialAll, 'Privileged')))],
  ['extractContentLabel of unlabeled content → null', (e) => e.extractContentLabel(file())],
  ['extractContentLabel with only another tenant\'s label → null', (e) =>
    e.extractContentLabel(file(labelMeta(FABRIKAM_LABEL_ID, 'Standard', FABRIKAM_SITE_ID)))],
  ['label list', (e) => e.listLabels()],
  ['label policy settings', (e) => e.policySettings()],
];

/** Same code (or same value) from both engines. */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    const decision = (await run()) as { value: unknown };
    return { value: normalized(decision.value) };
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
}

const ERROR_CASES: Case[] = [
  ['unknown label id', (e) => e.evaluateApplication(file(), { labelId: '99999999-9999-4999-8999-999999999999' })],
  ['parent label (not appliable)', (e) => e.evaluateApplication(file(), { labelId: LABEL.confidential })],
  ['inactive label', (e) => e.evaluateApplication(file(), { labelId: LABEL.legacy })],
  ['label id that is not a GUID', (e) => e.evaluateApplication(file(), { labelId: 'Confidential' })],
  ['malformed MSIP metadata', (e) =>
    e.evaluateClassificationResults(file([{ name: `MSIP_Label_${LABEL.general}_Enabled`, value: 'maybe' }]), cards(1))],
  ['classification result with a bad confidence', (e) =>
    e.evaluateClassificationResults(file(), [{ sensitiveTypeId: SIT.creditCard, count: 1, confidenceLevel: 101 }])],
];

describe('local engine and Graph engine agree (same policy)', () => {
  let emulator: GraphEmulator;
  let graph: GraphEngine;
  const local = new LocalEngine(CONTOSO_POLICY);

  beforeAll(async () => {
    emulator = await GraphEmulator.start({ pageSize: 3 });
    graph = engineFor(emulator);
  });
  afterAll(() => emulator.close());

  it.each(CASES)('%s', async (_name, run) => {
    const expected = await outcome(() => run(local));
    expect(expected).toHaveProperty('value');
    expect(await outcome(() => run(graph))).toEqual(expected);
    // Asked again: served from the cache, still the same JSON.
    const calls = emulator.calls();
    expect(await outcome(() => run(graph))).toEqual(expected);
    expect(((await run(graph)) as { source: string }).source).toBe('cache');
    expect(emulator.calls()).toBe(calls);
  });

  it.each(ERROR_CASES)('error: %s', async (_name, run) => {
    const expected = await outcome(() => run(local));
    expect(expected).toHaveProperty('error');
    expect(await outcome(() => run(graph))).toEqual(expected);
  });

  it('every evaluation reached Graph through the SDK with our User-Agent', () => {
    const evaluations = emulator.requests.filter((r) => r.method === 'POST');
    expect(evaluations.length).toBeGreaterThan(10);
    for (const r of emulator.requests) {
      expect([200, 204]).toContain(r.status);
      expect(r.userAgent).toBe(`labelgate/${VERSION}`);
      expect(r.sdkVersion).toMatch(/^graph-js\/3\./);
    }
    // The whole label list came in 3-label pages.
    expect(emulator.requests.filter((r) => r.endpoint === 'sensitivityLabels').map((r) => r.path)).toEqual([
      '/beta/security/informationProtection/sensitivityLabels',
      '/beta/security/informationProtection/sensitivityLabels?$skiptoken=3',
      '/beta/security/informationProtection/sensitivityLabels?$skiptoken=6',
    ]);
  });
});

describe('per-user label policies agree', () => {
  const cases: [string, string, LabelPolicy][] = [
    ['finance user', USERS.finance, CONTOSO_POLICY],
    ['restricted user (no Finance sub-label)', USERS.restricted, CONTOSO_RESTRICTED_POLICY],
  ];
  let emulator: GraphEmulator;
  beforeAll(async () => {
    emulator = await GraphEmulator.start();
  });
  afterAll(() => emulator.close());

  it.each(cases)('%s', async (_name, user, policy) => {
    const local = new LocalEngine(policy);
    const graph = engineFor(emulator, { user: true });
    const ctx = { user };
    for (const run of [
      (e: EvaluationEngine) => e.listLabels(ctx),
      (e: EvaluationEngine) => e.evaluateClassificationResults(file(), cards(3), ctx),
      (e: EvaluationEngine) => e.evaluateApplication(file(), { labelId: LABEL.confidentialFinance }, ctx),
    ]) {
      expect(await outcome(() => run(graph))).toEqual(await outcome(() => run(local)));
    }
    const paths = emulator.requests.filter((r) => r.user !== undefined).map((r) => r.user);
    expect(new Set(paths)).toContain(user);
  });
});

describe('mandatory labeling agrees', () => {
  it('removing a label the tenant makes mandatory is refused by both, without a Graph call', async () => {
    const emulator = await GraphEmulator.start({ policy: CONTOSO_MANDATORY_POLICY });
    try {
      const run = (e: EvaluationEngine) =>
        e.evaluateRemoval(file(labelMeta(LABEL.general, 'Standard')), { isDowngradeJustified: true, justificationMessage: 'x' });
      const graph = engineFor(emulator);
      expect(await outcome(() => run(graph))).toEqual(await outcome(() => run(new LocalEngine(CONTOSO_MANDATORY_POLICY))));
      expect(await outcome(() => run(graph))).toEqual({ error: 'REMOVAL_NOT_ALLOWED' });
      expect(emulator.calls('evaluateRemoval')).toBe(0);
    } finally {
      await emulator.close();
    }
  });
});
