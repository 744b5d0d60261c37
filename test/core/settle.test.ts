/**
 * Early decisions rest on one claim: when the results so far get the label the engine's ceiling
 * results get, no continuation of the document gets another. Checked here as a property over the
 * embedded default policy and a test policy, for result sets and any growth of them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalEngine, SIT, loadPolicySync, type ClassificationResult, type ContentInfo } from '../../src/index.js';
import { DEFAULT_POLICY } from '../../src/policy/default-policy.js';
import { settledLabel } from '../../src/pipeline/settle.js';

const isLabelSettled = async (...args: Parameters<typeof settledLabel>) => (await settledLabel(...args)) !== undefined;
import { planActions } from '../../src/evaluate/plan.js';
import { testPolicy } from '../helpers/policies.js';

const INFO: ContentInfo = { '@odata.type': '#microsoft.graph.security.contentInfo', contentFormat: 'file', identifier: 'x.csv', state: 'motion', metadata: [] };
const TYPES = [SIT.creditCard, SIT.usSsn, SIT.iban, SIT.email, SIT.phone, SIT.abaRouting, SIT.ukNino, SIT.ipAddress];

const resultArb = fc.array(
  fc.record({ sensitiveTypeId: fc.constantFrom(...TYPES), count: fc.integer({ min: 1, max: 14 }), confidenceLevel: fc.constantFrom(65, 75, 85) }),
  { maxLength: 8 },
);

async function labelOf(engine: LocalEngine, results: ClassificationResult[]): Promise<string | null> {
  return planActions((await engine.evaluateClassificationResults(INFO, results)).value).labelId;
}

describe.each([
  ['the embedded default policy', DEFAULT_POLICY],
  ['a test policy', testPolicy()],
])('settledLabel with %s', (_name, input) => {
  const engine = new LocalEngine(loadPolicySync(input));

  it('a settled label is the label of every continuation', async () => {
    let settled = 0;
    await fc.assert(
      fc.asyncProperty(resultArb, resultArb, async (soFar, more) => {
        if (!(await isLabelSettled(engine, INFO, soFar))) return;
        settled++;
        // Growth: more values, of the same or other types, at any confidence (never fewer at a level).
        expect(await labelOf(engine, [...soFar, ...more])).toBe(await labelOf(engine, soFar));
      }),
      { numRuns: 400 },
    );
    // Not vacuous: many generated result sets do settle.
    expect(settled).toBeGreaterThan(20);
  });

  it('the ceiling itself is settled, and nothing is settled before the highest auto label is reached', async () => {
    const ceiling = engine.ceilingResults()!;
    expect(ceiling.length).toBeGreaterThan(0);
    expect(await isLabelSettled(engine, INFO, [...ceiling])).toBe(true);
    expect(await isLabelSettled(engine, INFO, [])).toBe(false);
  });
});

describe('ceilingResults', () => {
  it('is undefined when a condition has a maxCount (more matches could then lower the label)', () => {
    const input = testPolicy();
    const labels = input.labels.map((l) =>
      l.autoLabeling ? { ...l, autoLabeling: { ...l.autoLabeling, conditions: l.autoLabeling.conditions.map((c) => ({ ...c, maxCount: 100 })) } } : l,
    );
    const engine = new LocalEngine(loadPolicySync({ ...input, labels }));
    expect(engine.ceilingResults()).toBeUndefined();
  });

  it('satisfies every condition of every auto-labeling rule', () => {
    const policy = loadPolicySync(DEFAULT_POLICY);
    const ceiling = new LocalEngine(policy).ceilingResults()!;
    for (const label of policy.labels) {
      for (const cond of label.autoLabeling?.conditions ?? []) {
        expect(ceiling).toContainEqual({ sensitiveTypeId: cond.sensitiveTypeId, count: Number.MAX_SAFE_INTEGER, confidenceLevel: 100 });
      }
    }
  });
});
