import { describe, expect, it } from 'vitest';
import {
  createLabeler,
  DEFAULT_LABEL_IDS,
  DEFAULT_SITE_ID,
  LabelgateError,
  SIT,
  buildMsipMetadata,
  planActions,
  type ApplyLabelAction,
  type ContentInfo,
  type InformationProtectionAction,
  type KeyValuePair,
  type MetadataAction,
} from '../../src/index.js';
import { L, OTHER_TENANT, TENANT, testPolicy } from '../helpers/policies.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOW = new Date('2026-11-23T10:20:30.456Z');

function info(metadata: KeyValuePair[] = [], extra: Partial<ContentInfo> = {}): ContentInfo {
  return { contentFormat: 'file', identifier: 'report.csv', state: 'rest', metadata, ...extra };
}

function existingLabel(labelId: string, method: 'Standard' | 'Privileged', contentBits = 0, siteId = TENANT): KeyValuePair[] {
  return buildMsipMetadata({ labelId, siteId, name: 'x', method, contentBits, setDate: '2025-01-02T03:04:05Z' });
}

function only<T extends InformationProtectionAction['@odata.type']>(actions: InformationProtectionAction[], type: T) {
  return actions.filter((a) => a['@odata.type'] === type) as Extract<InformationProtectionAction, { '@odata.type': T }>[];
}

function metadataOf(actions: InformationProtectionAction[]): MetadataAction {
  const plan = planActions(actions);
  return { '@odata.type': '#microsoft.graph.security.metadataAction', metadataToAdd: plan.metadataToAdd, metadataToRemove: plan.metadataToRemove };
}

const labeler = createLabeler({ policy: testPolicy(), now: () => NOW });

describe('evaluateClassificationResults', () => {
  it('seed example: ABA routing x4 @75 → applyLabelAction with the full MSIP metadata set (embedded default policy)', async () => {
    const actions = await createLabeler().evaluateClassificationResults(info(), [
      { sensitiveTypeId: 'cb353f78-2b72-4c3c-8827-92ebe4f69fdf', count: 4, confidenceLevel: 75 },
    ]);
    expect(actions).toHaveLength(1);
    const apply = actions[0] as ApplyLabelAction;
    expect(apply['@odata.type']).toBe('#microsoft.graph.security.applyLabelAction');
    expect(apply.sensitivityLabelId).toBe(DEFAULT_LABEL_IDS.confidential);
    expect(apply.actionSource).toBe('automatic');
    expect(apply.responsibleSensitiveTypeIds).toEqual(['cb353f78-2b72-4c3c-8827-92ebe4f69fdf']);
    const meta = only(apply.actions, '#microsoft.graph.security.metadataAction')[0]!;
    expect(meta.metadataToRemove).toEqual([]);
    const id = DEFAULT_LABEL_IDS.confidential;
    expect(meta.metadataToAdd.map((p) => p.name)).toEqual(
      ['Enabled', 'SetDate', 'Method', 'Name', 'SiteId', 'ActionId', 'ContentBits'].map((a) => `MSIP_Label_${id}_${a}`),
    );
    const v = Object.fromEntries(meta.metadataToAdd.map((p) => [p.name.split('_').pop(), p.value]));
    expect(v.Enabled).toBe('true');
    expect(v.Method).toBe('Standard');
    expect(v.Name).toBe('Confidential');
    expect(v.SiteId).toBe(DEFAULT_SITE_ID);
    expect(v.ActionId).toMatch(GUID);
    expect(v.SetDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    // The default Confidential label has a footer only: bit 0x2.
    expect(v.ContentBits).toBe('2');
    expect(only(apply.actions, '#microsoft.graph.security.addContentFooterAction')).toHaveLength(1);
  });

  it('SetDate and ActionId are fresh for every document', async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const clocked = createLabeler({ now: () => new Date((t += 1000)) });
    const results = [{ sensitiveTypeId: SIT.abaRouting, count: 1, confidenceLevel: 75 }];
    const a = metadataOf(await clocked.evaluateClassificationResults(info(), results));
    const b = metadataOf(await clocked.evaluateClassificationResults(info(), results));
    const pick = (m: MetadataAction, attr: string) => m.metadataToAdd.find((p) => p.name.endsWith(`_${attr}`))!.value;
    expect(pick(a, 'ActionId')).not.toBe(pick(b, 'ActionId'));
    expect([pick(a, 'SetDate'), pick(b, 'SetDate')]).toEqual(['2026-01-01T00:00:01Z', '2026-01-01T00:00:02Z']);
  });

  it('the highest-sensitivity matching label wins and names the responsible types', async () => {
    const actions = await labeler.evaluateClassificationResults(info(), [
      { sensitiveTypeId: SIT.creditCard, count: 12, confidenceLevel: 65 },
      { sensitiveTypeId: SIT.abaRouting, count: 1, confidenceLevel: 75 },
    ]);
    const apply = actions[0] as ApplyLabelAction;
    expect(apply.sensitivityLabelId).toBe(L.secret);
    expect(apply.responsibleSensitiveTypeIds).toEqual([SIT.creditCard]);
    const types = apply.actions.map((a) => a['@odata.type'].split('.').pop());
    expect(types).toEqual(['addContentHeaderAction', 'addWatermarkAction', 'addContentFooterAction', 'protectByTemplateAction', 'metadataAction']);
    const bits = metadataOf(actions).metadataToAdd.find((p) => p.name.endsWith('_ContentBits'))!.value;
    expect(bits).toBe('15');
  });

  it('counts only results at or above the minimum confidence', async () => {
    const low = await labeler.evaluateClassificationResults(info(), [{ sensitiveTypeId: SIT.abaRouting, count: 5, confidenceLevel: 65 }]);
    expect((low[0] as ApplyLabelAction).sensitivityLabelId).toBe(L.general); // default label, not Confidential
    expect((low[0] as ApplyLabelAction).actionSource).toBe('default');
    const split = await labeler.evaluateClassificationResults(info(), [
      { sensitiveTypeId: SIT.usSsn, count: 3, confidenceLevel: 75 },
      { sensitiveTypeId: SIT.usSsn, count: 1, confidenceLevel: 85 },
    ]);
    expect((split[0] as ApplyLabelAction).sensitivityLabelId).toBe(L.secret);
  });

  it('resolves marking variables', async () => {
    const actions = await labeler.evaluateClassificationResults(info([], { identifier: 'q3.csv' }), [
      { sensitiveTypeId: SIT.abaRouting, count: 1, confidenceLevel: 75 },
    ]);
    const footer = only((actions[0] as ApplyLabelAction).actions, '#microsoft.graph.security.addContentFooterAction')[0]!;
    expect(footer.text).toBe('Confidential - q3.csv');
  });

  it('applies the default label when nothing matches, and nothing when there is no default', async () => {
    const def = await labeler.evaluateClassificationResults(info(), []);
    expect(def).toHaveLength(1);
    expect((def[0] as ApplyLabelAction).sensitivityLabelId).toBe(L.general);
    expect((def[0] as ApplyLabelAction).responsibleSensitiveTypeIds).toEqual([]);
    const none = createLabeler({ policy: testPolicy({ defaultLabelId: null }) });
    expect(await none.evaluateClassificationResults(info(), [])).toEqual([]);
  });

  it('never applies an inactive label or one not for this content format', async () => {
    const actions = await labeler.evaluateClassificationResults(info(), [{ sensitiveTypeId: SIT.iban, count: 5, confidenceLevel: 85 }]);
    // Retired (inactive) and Mail Only (email) both match, neither applies to a file: default label.
    expect((actions[0] as ApplyLabelAction).sensitivityLabelId).toBe(L.general);
    const mail = await labeler.evaluateClassificationResults(info([], { contentFormat: 'Email' }), [{ sensitiveTypeId: SIT.iban, count: 5, confidenceLevel: 85 }]);
    expect((mail[0] as ApplyLabelAction).sensitivityLabelId).toBe(L.emailOnly);
  });

  it('keeps an existing higher label', async () => {
    const actions = await labeler.evaluateClassificationResults(info(existingLabel(L.secret, 'Standard', 15)), [
      { sensitiveTypeId: SIT.abaRouting, count: 1, confidenceLevel: 75 },
    ]);
    expect(actions).toEqual([]);
  });

  it('keeps an existing label of the same id', async () => {
    const actions = await labeler.evaluateClassificationResults(info(existingLabel(L.confidential, 'Standard', 2)), [
      { sensitiveTypeId: SIT.abaRouting, count: 1, confidenceLevel: 75 },
    ]);
    expect(actions).toEqual([]);
  });

  it('upgrades a lower standard label: removes its keys and markings', async () => {
    const old = existingLabel(L.confidential, 'Standard', 2);
    const actions = await labeler.evaluateClassificationResults(info(old), [{ sensitiveTypeId: SIT.usSsn, count: 1, confidenceLevel: 85 }]);
    const apply = actions[0] as ApplyLabelAction;
    expect(apply.sensitivityLabelId).toBe(L.secret);
    const meta = metadataOf(actions);
    expect(meta.metadataToRemove.sort()).toEqual(old.map((p) => p.name).sort());
    expect(only(apply.actions, '#microsoft.graph.security.removeContentFooterAction')[0]!.uiElementNames).toEqual(['MSIPCM_v1_footer']);
    // The removal comes before the new footer.
    const types = apply.actions.map((a) => a['@odata.type']);
    expect(types.indexOf('#microsoft.graph.security.removeContentFooterAction')).toBeLessThan(types.indexOf('#microsoft.graph.security.addContentFooterAction'));
  });

  it('never replaces a privileged (manual) label; recommends a higher one instead', async () => {
    const manual = existingLabel(L.public, 'Privileged');
    const actions = await labeler.evaluateClassificationResults(info(manual), [{ sensitiveTypeId: SIT.abaRouting, count: 2, confidenceLevel: 75 }]);
    expect(actions).toHaveLength(1);
    expect(actions[0]!['@odata.type']).toBe('#microsoft.graph.security.recommendLabelAction');
    expect((actions[0] as ApplyLabelAction).sensitivityLabelId).toBe(L.confidential);
    expect((actions[0] as ApplyLabelAction).actionSource).toBe('recommended');
    expect(planActions(actions).labelId).toBeNull();
    // Lower or equal matches against a manual label: nothing at all.
    expect(await labeler.evaluateClassificationResults(info(existingLabel(L.secret, 'Privileged')), [{ sensitiveTypeId: SIT.abaRouting, count: 2, confidenceLevel: 75 }])).toEqual([]);
  });

  it('recommended rules produce recommendLabelAction next to the applied label', async () => {
    const actions = await labeler.evaluateClassificationResults(info(), [
      { sensitiveTypeId: SIT.ukNino, count: 3, confidenceLevel: 75 },
      { sensitiveTypeId: SIT.abaRouting, count: 1, confidenceLevel: 75 },
    ]);
    expect(actions.map((a) => a['@odata.type'].split('.').pop())).toEqual(['applyLabelAction', 'recommendLabelAction']);
    expect((actions[1] as ApplyLabelAction).sensitivityLabelId).toBe(L.recommendedHigh);
    expect((actions[1] as ApplyLabelAction).responsibleSensitiveTypeIds).toEqual([SIT.ukNino]);
  });

  it('leaves other tenants alone: their label neither counts nor is removed', async () => {
    const foreign = existingLabel('abcdef00-0000-4000-8000-000000000000', 'Privileged', 0, OTHER_TENANT);
    const actions = await labeler.evaluateClassificationResults(info(foreign), [{ sensitiveTypeId: SIT.abaRouting, count: 1, confidenceLevel: 75 }]);
    const apply = actions[0] as ApplyLabelAction;
    expect(apply['@odata.type']).toBe('#microsoft.graph.security.applyLabelAction');
    expect(apply.sensitivityLabelId).toBe(L.confidential);
    expect(metadataOf(actions).metadataToRemove).toEqual([]);
  });

  it('handles two tenants in one document: replaces only ours', async () => {
    const mine = existingLabel(L.public, 'Standard', 0, TENANT);
    const foreign = existingLabel('abcdef00-0000-4000-8000-000000000000', 'Standard', 0, OTHER_TENANT);
    const actions = await labeler.evaluateClassificationResults(info([...foreign, ...mine]), [{ sensitiveTypeId: SIT.abaRouting, count: 1, confidenceLevel: 75 }]);
    const meta = metadataOf(actions);
    expect(meta.metadataToRemove.sort()).toEqual(mine.map((p) => p.name).sort());
    expect(meta.metadataToRemove.some((k) => k.includes('abcdef00'))).toBe(false);
  });

  it('treats keys case-insensitively and removes disabled leftovers of our tenant', async () => {
    const upper = existingLabel(L.public, 'Standard').map((p) => ({ name: p.name.toUpperCase().replace('MSIP_LABEL_', 'msip_label_'), value: p.value }));
    const disabled = buildMsipMetadata({ labelId: L.secret, siteId: TENANT, name: 'x', method: 'Standard', contentBits: 0, enabled: false });
    const actions = await labeler.evaluateClassificationResults(info([...upper, ...disabled]), [{ sensitiveTypeId: SIT.abaRouting, count: 1, confidenceLevel: 75 }]);
    expect(metadataOf(actions).metadataToRemove).toHaveLength(upper.length + disabled.length);
  });

  it('rejects malformed classification results and metadata with clear errors', async () => {
    await expect(labeler.evaluateClassificationResults(info(), [{ sensitiveTypeId: 'nope', count: 1, confidenceLevel: 75 }])).rejects.toThrow(
      /classificationResults\[0\]\.sensitiveTypeId: expected a GUID/,
    );
    await expect(labeler.evaluateClassificationResults(info(), [{ sensitiveTypeId: SIT.iban, count: -1, confidenceLevel: 75 }])).rejects.toThrow(/count/);
    await expect(labeler.evaluateClassificationResults(info(), [{ sensitiveTypeId: SIT.iban, count: 1, confidenceLevel: 101 }])).rejects.toThrow(/confidenceLevel/);
    await expect(
      labeler.evaluateClassificationResults(info([{ name: `MSIP_Label_${L.public}_Enabled`, value: 'maybe' }, { name: `MSIP_Label_${L.public}_SiteId`, value: TENANT }]), []),
    ).rejects.toMatchObject({ code: 'METADATA_INVALID' });
  });
});

describe('evaluateApplication', () => {
  it('applies an explicitly chosen label (flat action list, as Graph returns it)', async () => {
    const actions = await labeler.evaluateApplication(info(), { labelId: L.confidential, assignmentMethod: 'privileged', extendedProperties: [{ name: 'GeneratedBy', value: 'HR' }] });
    expect(actions.map((a) => a['@odata.type'].split('.').pop())).toEqual(['addContentFooterAction', 'metadataAction']);
    const meta = metadataOf(actions);
    expect(meta.metadataToAdd.find((p) => p.name.endsWith('_Method'))!.value).toBe('Privileged');
    expect(meta.metadataToAdd.find((p) => p.name.endsWith('_GeneratedBy'))!.value).toBe('HR');
    expect(planActions(actions).labelId).toBe(L.confidential);
  });

  it('a standard process never downgrades and never replaces a manual label', async () => {
    expect(await labeler.evaluateApplication(info(existingLabel(L.secret, 'Standard', 15)), { labelId: L.general, assignmentMethod: 'standard' })).toEqual([]);
    expect(await labeler.evaluateApplication(info(existingLabel(L.public, 'Privileged')), { labelId: L.confidential, assignmentMethod: 'auto' })).toEqual([]);
  });

  it('a user downgrade needs a justification when the policy says so', async () => {
    const meta = info(existingLabel(L.secret, 'Standard', 15));
    const noJust = await labeler.evaluateApplication(meta, { labelId: L.general, assignmentMethod: 'privileged' });
    expect(noJust).toEqual([{ '@odata.type': '#microsoft.graph.security.justifyAction' }]);
    const justified = await labeler.evaluateApplication(meta, {
      labelId: L.general,
      assignmentMethod: 'privileged',
      downgradeJustification: { isDowngradeJustified: true, justificationMessage: 'public now' },
    });
    const plan = planActions(justified);
    expect(plan.labelId).toBe(L.general);
    expect(plan.removeHeader).toEqual(['MSIPCM_v1_header']);
    expect(plan.removeWatermark).toEqual(['MSIPWM_v1_main']);
    expect(plan.removeProtection).toBe(true);
    const relaxed = createLabeler({ policy: testPolicy({ isDowngradeJustificationRequired: false }) });
    expect(planActions(await relaxed.evaluateApplication(meta, { labelId: L.general, assignmentMethod: 'privileged' })).labelId).toBe(L.general);
  });

  it('an upgrade by a user replaces a manual label', async () => {
    const plan = planActions(await labeler.evaluateApplication(info(existingLabel(L.public, 'Privileged')), { labelId: L.confidential, assignmentMethod: 'privileged' }));
    expect(plan.labelId).toBe(L.confidential);
    expect(plan.metadataToRemove).toHaveLength(7);
  });

  it('refuses unknown, inactive, parent and wrong-format labels with clear errors', async () => {
    await expect(labeler.evaluateApplication(info(), { labelId: 'ffffffff-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'LABEL_NOT_FOUND' });
    await expect(labeler.evaluateApplication(info(), { labelId: L.retired })).rejects.toMatchObject({ code: 'LABEL_NOT_APPLIABLE' });
    await expect(labeler.evaluateApplication(info(), { labelId: L.secretParent })).rejects.toMatchObject({ code: 'LABEL_NOT_APPLIABLE' });
    await expect(labeler.evaluateApplication(info(), { labelId: L.emailOnly })).rejects.toMatchObject({ code: 'LABEL_NOT_APPLIABLE' });
    await expect(labeler.evaluateApplication(info(), { labelId: 'Confidential' })).rejects.toBeInstanceOf(LabelgateError);
  });
});

describe('evaluateRemoval', () => {
  const labeled = info(existingLabel(L.secret, 'Standard', 15));

  it('does nothing without a label', async () => {
    expect(await labeler.evaluateRemoval(info(), { isDowngradeJustified: true })).toEqual([]);
  });

  it('asks for a justification, then removes keys, markings and protection', async () => {
    expect(await labeler.evaluateRemoval(labeled, { isDowngradeJustified: false })).toEqual([{ '@odata.type': '#microsoft.graph.security.justifyAction' }]);
    const actions = await labeler.evaluateRemoval(labeled, { isDowngradeJustified: true, justificationMessage: 'declassified' });
    const plan = planActions(actions);
    expect(plan.labelId).toBeNull();
    expect(plan.metadataToRemove).toHaveLength(7);
    expect(plan.metadataToAdd).toEqual([]);
    expect([plan.removeHeader, plan.removeFooter, plan.removeWatermark]).toEqual([['MSIPCM_v1_header'], ['MSIPCM_v1_footer'], ['MSIPWM_v1_main']]);
    expect(plan.removeProtection).toBe(true);
  });

  it('refuses when labels are mandatory', async () => {
    const mandatory = createLabeler({ policy: testPolicy({ isMandatory: true }) });
    await expect(mandatory.evaluateRemoval(labeled, { isDowngradeJustified: true })).rejects.toMatchObject({ code: 'REMOVAL_NOT_ALLOWED' });
  });
});

describe('extractContentLabel', () => {
  it('returns the contentLabel of our tenant', async () => {
    expect(await labeler.extractContentLabel(info(existingLabel(L.confidential, 'Privileged')))).toEqual({
      assignmentMethod: 'privileged',
      createdDateTime: '2025-01-02T03:04:05Z',
      sensitivityLabelId: L.confidential,
    });
    expect(await labeler.extractContentLabel(info(existingLabel(L.confidential, 'Privileged', 0, OTHER_TENANT)))).toBeNull();
    expect(await labeler.extractContentLabel(info())).toBeNull();
  });

  it('normalizes the SetDate shapes seen in the wild', async () => {
    const meta = existingLabel(L.general, 'Standard').map((p) => (p.name.endsWith('_SetDate') ? { ...p, value: '2018-11-08T21:13:16-0800' } : p));
    expect((await labeler.extractContentLabel(info(meta)))!.createdDateTime).toBe('2018-11-09T05:13:16Z');
    const odd = existingLabel(L.general, 'Standard').map((p) => (p.name.endsWith('_SetDate') ? { ...p, value: '1/1/0001 12:00:00 AM' } : p));
    expect((await labeler.extractContentLabel(info(odd)))!.createdDateTime).toBe('0001-01-01T00:00:00Z');
  });
});

describe('labels and settings', () => {
  it('lists Graph-shaped labels with parents expanded', async () => {
    const labels = await labeler.listLabels();
    const child = labels.find((l) => l.id === L.secret)!;
    expect(child.parent?.name).toBe('Secret');
    expect(labels.find((l) => l.id === L.secretParent)!.isAppliable).toBe(false);
    expect(child.hasProtection).toBe(true);
    expect((await labeler.getLabel('secret all staff'))?.id).toBe(L.secret);
    expect((await labeler.getLabel(`{${L.secret.toUpperCase()}}`))?.id).toBe(L.secret);
    expect(await labeler.policySettings()).toMatchObject({ id: TENANT, defaultLabelId: L.general, isMandatory: false });
  });
});
