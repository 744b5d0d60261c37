/**
 * Properties of the pure pieces: the evaluation cache key, the per-document value refresh, and the
 * readers of Graph's answers.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluationKey, marksDocumentSpecificText, withFreshPerDocumentValues, type EvaluationKeyInput } from '../../src/evaluate/evaluation-key.js';
import { parseActions, parseContentLabel, parseLabelPage, parsePolicySettings, ShapeError } from '../../src/graph/shapes.js';
import { parseRetryAfter } from '../../src/graph/resilience.js';
import type { InformationProtectionAction } from '../../src/graph-types.js';
import { perDocumentValues } from './normalize.js';

const guid = fc.uuid({ version: 4 });
const result = fc.record({ sensitiveTypeId: guid, count: fc.integer({ min: 0, max: 1000 }), confidenceLevel: fc.integer({ min: 0, max: 100 }) });
const pair = fc.record({ name: fc.string({ maxLength: 40 }), value: fc.string({ maxLength: 40 }) });

const keyInput = fc.record({
  operation: fc.constantFrom('evaluateClassificationResults' as const, 'evaluateApplication' as const, 'evaluateRemoval' as const),
  policyVersion: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 }),
  user: fc.oneof(fc.constant(''), fc.emailAddress()),
  contentInfo: fc.record({
    contentFormat: fc.constantFrom('file', 'email'),
    identifier: fc.string(),
    state: fc.constantFrom('rest' as const, 'motion' as const),
    metadata: fc.array(pair, { maxLength: 5 }),
  }),
  classificationResults: fc.array(result, { maxLength: 6 }),
});

describe('evaluation cache key', () => {
  it('does not depend on the order of classification results or on the identifier', () => {
    fc.assert(
      fc.property(keyInput, fc.string(), (input, otherName) => {
        const shuffled: EvaluationKeyInput = {
          ...input,
          contentInfo: { ...input.contentInfo, identifier: otherName },
          classificationResults: [...input.classificationResults].reverse(),
        };
        expect(evaluationKey(shuffled)).toBe(evaluationKey(input));
      }),
    );
  });

  it('changes with every part that can change the answer', () => {
    fc.assert(
      fc.property(keyInput, result, pair, (input, extra, meta) => {
        const key = evaluationKey(input);
        const variants: EvaluationKeyInput[] = [
          { ...input, policyVersion: `${input.policyVersion}x` },
          { ...input, user: `${input.user}x` },
          { ...input, operation: input.operation === 'evaluateRemoval' ? 'evaluateApplication' : 'evaluateRemoval' },
          { ...input, contentInfo: { ...input.contentInfo, contentFormat: input.contentInfo.contentFormat === 'file' ? 'email' : 'file' } },
          { ...input, contentInfo: { ...input.contentInfo, metadata: [...input.contentInfo.metadata, meta] } },
          { ...input, classificationResults: [...input.classificationResults, extra] },
        ];
        for (const v of variants) expect(evaluationKey(v)).not.toBe(key);
      }),
    );
  });
});

// Action trees: metadata actions (with MSIP keys and others) nested inside apply/recommend actions.
const msipPair = fc.tuple(guid, fc.constantFrom('Enabled', 'SetDate', 'Method', 'ActionId', 'ContentBits', 'Custom_1'), fc.string({ maxLength: 20 })).map(
  ([id, attr, value]) => ({ name: `MSIP_Label_${id}_${attr}`, value }),
);
const metadataAction = fc.record({
  '@odata.type': fc.constant('#microsoft.graph.security.metadataAction'),
  metadataToAdd: fc.array(fc.oneof(msipPair, pair), { maxLength: 8 }),
  metadataToRemove: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
});
const leaf = fc.oneof(
  metadataAction,
  fc.record({ '@odata.type': fc.constant('#microsoft.graph.security.justifyAction') }),
  fc.record({ '@odata.type': fc.constant('#microsoft.graph.security.removeWatermarkAction'), uiElementNames: fc.array(fc.string(), { maxLength: 2 }) }),
  fc.record({ '@odata.type': fc.constant('#microsoft.graph.security.futureAction'), anything: fc.jsonValue() }),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.record({
      '@odata.type': fc.constantFrom('#microsoft.graph.security.applyLabelAction', '#microsoft.graph.security.recommendLabelAction'),
      sensitivityLabelId: guid,
      actionSource: fc.constant('automatic'),
      responsibleSensitiveTypeIds: fc.array(guid, { maxLength: 2 }),
      actions: fc.array(tie('tree'), { maxLength: 3 }),
    }),
  ),
}));
const actionList = fc.array(tree, { maxLength: 4 }) as fc.Arbitrary<InformationProtectionAction[]>;

describe('per-document values of a replayed answer', () => {
  it('only SetDate and ActionId values change, at any depth; the cached answer is not touched', () => {
    const now = new Date('2031-05-06T07:08:09.123Z');
    fc.assert(
      fc.property(actionList, (actions) => {
        const before = structuredClone(actions);
        const fresh = withFreshPerDocumentValues(actions, now);
        expect(actions).toEqual(before);
        const strip = (v: unknown) =>
          JSON.parse(JSON.stringify(v), function (this: { name?: string }, k, val: unknown) {
            return k === 'value' && /_(SetDate|ActionId)$/i.test(this.name ?? '') ? '*' : val;
          });
        expect(strip(fresh)).toEqual(strip(actions));
        const { setDates, actionIds: ids } = perDocumentValues(fresh);
        for (const d of setDates) expect(d).toBe('2031-05-06T07:08:09Z');
        for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('marking text naming the document or a time is recognised as document-specific', () => {
    const footer = (text: string) => [
      {
        '@odata.type': '#microsoft.graph.security.applyLabelAction',
        sensitivityLabelId: '6d1e2d8b-0c1f-4b57-9a3c-2f1d3c4b5a60',
        actionSource: 'automatic',
        responsibleSensitiveTypeIds: [],
        actions: [{ '@odata.type': '#microsoft.graph.security.addContentFooterAction', text, uiElementName: 'MSIPCM_v1_footer' }],
      },
    ] as unknown as InformationProtectionAction[];
    expect(marksDocumentSpecificText(footer('Confidential'), 'q3.csv')).toBe(false);
    expect(marksDocumentSpecificText(footer('Confidential – q3.csv'), 'q3.csv')).toBe(true);
    expect(marksDocumentSpecificText(footer('Printed 2026-11-23T10:00:00Z'), 'q3.csv')).toBe(true);
    expect(marksDocumentSpecificText(footer('Confidential'), null)).toBe(false);
  });
});

describe('readers of Graph answers', () => {
  it('known actions keep their properties minus OData annotations; unknown types pass untouched', () => {
    fc.assert(
      fc.property(actionList, (actions) => {
        // Graph may annotate properties; every known action gets one, the future type is left alone.
        const annotated = JSON.parse(JSON.stringify(actions), (_k, v: unknown) => {
          const type = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)['@odata.type'] : undefined;
          return typeof type === 'string' && !type.endsWith('futureAction') ? { ...(v as object), 'text@odata.type': '#Edm.String' } : v;
        });
        expect(parseActions({ '@odata.context': 'x', value: annotated })).toEqual(actions);
      }),
    );
  });

  it.each([
    [{ value: {} }, 'value: expected a list'],
    [{ value: [{}] }, 'value[0].@odata.type: expected an action type'],
    [{ value: [{ '@odata.type': '#microsoft.graph.security.addWatermarkAction' }] }, 'value[0].text: expected a string'],
    [{ value: [{ '@odata.type': '#microsoft.graph.security.protectByTemplateAction', templateId: 7 }] }, 'value[0].templateId: expected a string'],
    [
      { value: [{ '@odata.type': '#microsoft.graph.security.applyLabelAction', actions: [{ '@odata.type': '#microsoft.graph.security.metadataAction', metadataToAdd: [{ name: 'a' }], metadataToRemove: [] }], sensitivityLabelId: 'x' }] },
      'value[0].actions[0].metadataToAdd[0].value: expected a string',
    ],
    [{ value: [{ '@odata.type': '#microsoft.graph.security.applyLabelAction', actions: [] }] }, 'value[0].sensitivityLabelId: expected a label id'],
  ])('rejects %j', (json, message) => {
    expect(() => parseActions(json)).toThrow(new ShapeError(message));
  });

  it('a legacy applyLabelAction that embeds the label gets its sensitivityLabelId from it', () => {
    const [a] = parseActions({ value: [{ '@odata.type': '#microsoft.graph.security.applyLabelAction', actions: [], label: { id: 'abc' } }] });
    expect(a).toMatchObject({ sensitivityLabelId: 'abc', label: { id: 'abc' } });
  });

  it('labels: documented fields checked, ids lower-cased, annotations dropped, parent kept', () => {
    const page = parseLabelPage({
      '@odata.nextLink': 'https://graph.microsoft.com/beta/next',
      value: [
        {
          id: 'A1D9C36E-1B2F-4F4A-9D6E-2A0B3C4D5E01',
          name: 'Child',
          description: null,
          color: '',
          sensitivity: 3,
          tooltip: 't',
          isActive: true,
          isAppliable: true,
          contentFormats: ['file'],
          hasProtection: false,
          'parent@odata.context': 'x',
          parent: { id: 'b2e0d47f-2c30-4a5b-8e7f-3b1c4d5e6f02', name: 'Parent', sensitivity: 2, isActive: true, isAppliable: false, contentFormats: [], hasProtection: false },
        },
      ],
    });
    expect(page.nextLink).toBe('https://graph.microsoft.com/beta/next');
    expect(page.items[0]).toEqual({
      id: 'a1d9c36e-1b2f-4f4a-9d6e-2a0b3c4d5e01',
      name: 'Child',
      description: null,
      color: '',
      sensitivity: 3,
      tooltip: 't',
      isActive: true,
      isAppliable: true,
      contentFormats: ['file'],
      hasProtection: false,
      parent: { id: 'b2e0d47f-2c30-4a5b-8e7f-3b1c4d5e6f02', name: 'Parent', sensitivity: 2, isActive: true, isAppliable: false, contentFormats: [], hasProtection: false },
    });
    expect(() => parseLabelPage({ value: [{ id: 'a1d9c36e-1b2f-4f4a-9d6e-2a0b3c4d5e01', name: 'x', sensitivity: '1', contentFormats: [] }] })).toThrow(
      'value[0].sensitivity: expected an integer',
    );
    expect(() => parseLabelPage({ value: [{ id: 'Confidential', name: 'x', contentFormats: [] }] })).toThrow('value[0].id: expected a GUID');
  });

  it('settings and contentLabel', () => {
    expect(parsePolicySettings({ id: 'p', isDowngradeJustificationRequired: true, isMandatory: false })).toEqual({
      id: 'p',
      isDowngradeJustificationRequired: true,
      isMandatory: false,
      moreInfoUrl: null,
      defaultLabelId: null,
    });
    expect(() => parsePolicySettings({ id: 'p', isMandatory: false })).toThrow('isDowngradeJustificationRequired: expected true or false');
    expect(parseContentLabel(undefined)).toBeNull();
    expect(parseContentLabel({ sensitivityLabelId: null })).toBeNull();
    expect(() => parseContentLabel({ assignmentMethod: 'manual', createdDateTime: 'x', sensitivityLabelId: 'a1d9c36e-1b2f-4f4a-9d6e-2a0b3c4d5e01' })).toThrow(
      'assignmentMethod: expected "standard", "privileged" or "auto"',
    );
  });
});

describe('Retry-After', () => {
  it('seconds, HTTP dates, and junk', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('7')).toBe(7_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
