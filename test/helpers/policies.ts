/** Small policies for tests, written the way users write them. */
import type { PolicyInput } from '../../src/index.js';
import { SIT } from '../../src/index.js';

export const TENANT = '11111111-2222-4333-8444-555555555555';
export const OTHER_TENANT = '99999999-8888-4777-8666-555555555555';

export const L = {
  public: '00000000-0000-4000-8000-000000000001',
  general: '00000000-0000-4000-8000-000000000002',
  confidential: '00000000-0000-4000-8000-000000000003',
  secret: '00000000-0000-4000-8000-000000000004',
  secretParent: '00000000-0000-4000-8000-000000000005',
  retired: '00000000-0000-4000-8000-000000000006',
  emailOnly: '00000000-0000-4000-8000-000000000007',
  recommendedHigh: '00000000-0000-4000-8000-000000000008',
} as const;

export function testPolicy(overrides: Partial<PolicyInput['settings']> = {}): PolicyInput {
  return {
    name: 'test policy',
    settings: { siteId: TENANT, defaultLabelId: L.general, isDowngradeJustificationRequired: true, ...overrides },
    labels: [
      { id: L.public, name: 'Public', sensitivity: 0 },
      { id: L.general, name: 'General', sensitivity: 1 },
      {
        id: L.confidential,
        name: 'Confidential',
        sensitivity: 2,
        autoLabeling: {
          conditions: [
            { sensitiveTypeId: SIT.abaRouting, minCount: 1, minConfidence: 75 },
            { sensitiveTypeId: SIT.creditCard, minCount: 1, minConfidence: 65 },
          ],
        },
        markings: { footer: { text: '${Item.Label} - ${Item.Name}' } },
      },
      { id: L.secretParent, name: 'Secret', sensitivity: 3 },
      {
        id: L.secret,
        name: 'Secret All Staff',
        sensitivity: 4,
        parent: L.secretParent,
        autoLabeling: {
          conditions: [
            { sensitiveTypeId: SIT.creditCard, minCount: 10, minConfidence: 65 },
            { sensitiveTypeId: SIT.usSsn, minCount: 1, minConfidence: 85 },
          ],
        },
        markings: {
          header: { text: 'SECRET', alignment: 'left' },
          footer: { text: 'Secret' },
          watermark: { text: 'SECRET', layout: 'diagonal' },
        },
        protection: { kind: 'template', templateId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' },
      },
      {
        id: L.retired,
        name: 'Retired',
        sensitivity: 5,
        isActive: false,
        autoLabeling: { conditions: [{ sensitiveTypeId: SIT.iban, minCount: 1, minConfidence: 85 }] },
      },
      {
        id: L.emailOnly,
        name: 'Mail Only',
        sensitivity: 6,
        contentFormats: ['email'],
        autoLabeling: { conditions: [{ sensitiveTypeId: SIT.iban, minCount: 1, minConfidence: 85 }] },
      },
      {
        id: L.recommendedHigh,
        name: 'Recommended High',
        sensitivity: 7,
        autoLabeling: { mode: 'recommended', conditions: [{ sensitiveTypeId: SIT.ukNino, minCount: 3, minConfidence: 75 }] },
      },
    ],
  };
}
