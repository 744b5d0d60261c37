/**
 * The fixture tenant the Graph emulator serves: Contoso's label policy (sub-labels, an inactive
 * label, protection, a recommended rule) and a restricted policy for one user. Made-up data; the
 * label ids are random GUIDs, the tenant id is Contoso's from Microsoft's own doc examples style.
 */
import { SIT } from '../../src/classify/type-ids.js';
import { validatePolicy } from '../../src/policy/validate.js';
import type { LabelPolicy, PolicyInput } from '../../src/policy/schema.js';

export const CONTOSO_SITE_ID = 'cb46c030-1825-4e81-a295-151c039dbf02';
/** Another organization whose labels travel inside documents Contoso receives. */
export const FABRIKAM_SITE_ID = '5b1a6ea9-0a4e-4b21-9b4b-2b8f8d3b7c11';
export const FABRIKAM_LABEL_ID = '0f4a2bb9-5a3e-4c1e-9f63-0e1a7a3c2d54';

export const LABEL = {
  public: 'a1d9c36e-1b2f-4f4a-9d6e-2a0b3c4d5e01',
  general: 'b2e0d47f-2c30-4a5b-8e7f-3b1c4d5e6f02',
  confidential: 'c3f1e580-3d41-4b6c-9f80-4c2d5e6f7a03',
  confidentialAll: 'd4a2f691-4e52-4c7d-a091-5d3e6f7a8b04',
  confidentialFinance: 'e5b3a7a2-5f63-4d8e-b1a2-6e4f7a8b9c05',
  highlyConfidential: 'f6c4b8b3-6a74-4e9f-82b3-7f5a8b9cad06',
  legacy: '07d5c9c4-7b85-4fa0-93c4-8a6b9cadbe07',
} as const;

const contoso: PolicyInput = {
  name: 'Contoso tenant policy',
  settings: {
    siteId: CONTOSO_SITE_ID,
    defaultLabelId: LABEL.general,
    isMandatory: false,
    isDowngradeJustificationRequired: true,
    moreInfoUrl: 'https://contoso.example/labels',
  },
  labels: [
    { id: LABEL.public, name: 'Public', sensitivity: 0, color: '#317100', tooltip: 'Approved for public release.' },
    { id: LABEL.general, name: 'General', sensitivity: 1, tooltip: 'Internal business data.' },
    { id: LABEL.confidential, name: 'Confidential', sensitivity: 2, description: 'Parent of the confidential sub-labels.' },
    {
      id: LABEL.confidentialAll,
      name: 'Confidential - All Employees',
      sensitivity: 3,
      parent: LABEL.confidential,
      autoLabeling: {
        mode: 'recommended',
        conditions: [{ sensitiveTypeId: SIT.email, minCount: 5, minConfidence: 75 }],
        message: 'This report lists many email addresses.',
      },
      markings: { footer: { text: 'Confidential - All Employees', fontColor: '#FF8C00', margin: 12 } },
    },
    {
      id: LABEL.confidentialFinance,
      name: 'Confidential - Finance',
      sensitivity: 4,
      parent: LABEL.confidential,
      autoLabeling: {
        mode: 'automatic',
        conditions: [
          { sensitiveTypeId: SIT.creditCard, minCount: 1, minConfidence: 65 },
          { sensitiveTypeId: SIT.iban, minCount: 1, minConfidence: 85 },
        ],
      },
      markings: {
        header: { text: 'CONFIDENTIAL - FINANCE', fontColor: '#C00000', alignment: 'left' },
        footer: { text: 'Classified by policy', fontSize: 8 },
      },
    },
    {
      id: LABEL.highlyConfidential,
      name: 'Highly Confidential',
      sensitivity: 5,
      autoLabeling: {
        mode: 'automatic',
        match: 'any',
        conditions: [
          { sensitiveTypeId: SIT.creditCard, minCount: 10, minConfidence: 85 },
          { sensitiveTypeId: SIT.usSsn, minCount: 1, minConfidence: 85 },
        ],
      },
      markings: {
        header: { text: 'HIGHLY CONFIDENTIAL', fontColor: '#C50F1F' },
        watermark: { text: 'HIGHLY CONFIDENTIAL', fontSize: 60 },
      },
      protection: { kind: 'template', templateId: '8a1c37f5-2b64-4bd0-9c1a-3f6e2d4b5a98' },
    },
    { id: LABEL.legacy, name: 'Legacy Internal', sensitivity: 6, isActive: false },
  ],
};

/** Contoso's policy, validated as the local engine would use it. */
export const CONTOSO_POLICY: LabelPolicy = validatePolicy(contoso, { source: 'fixture tenant' });

/** Contoso's policy after an administrator changed it. */
export function contosoPolicyWith(change: (input: PolicyInput) => void): LabelPolicy {
  const input = structuredClone(contoso);
  change(input);
  return validatePolicy(input, { source: 'fixture tenant (changed)' });
}

/** The same tenant with mandatory labeling turned on. */
export const CONTOSO_MANDATORY_POLICY: LabelPolicy = validatePolicy(
  { ...contoso, name: 'Contoso (mandatory)', settings: { ...contoso.settings, isMandatory: true } },
  { source: 'fixture tenant (mandatory)' },
);

/** What a user outside Finance may see: the finance sub-label is not published to them. */
export const CONTOSO_RESTRICTED_POLICY: LabelPolicy = validatePolicy(
  { ...contoso, name: 'Contoso (restricted user)', labels: contoso.labels.filter((l) => l.id !== LABEL.confidentialFinance) },
  { source: 'fixture tenant (restricted)' },
);

export const USERS = {
  finance: 'fiona@contoso.example',
  restricted: 'rick@contoso.example',
} as const;
