/**
 * The embedded default policy: what labelgate does with zero configuration and no network.
 *
 * Four labels in the shape most Purview tenants start from (Public < General < Confidential <
 * Highly Confidential). Auto-labeling follows the low-volume / high-volume split of Microsoft's
 * "financial data" and "privacy" templates: a few validated identifiers make a report
 * Confidential; ten or more of one kind (a customer list) make it Highly Confidential. No label carries protection, so nothing needs
 * Azure RMS. The tenant id is labelgate's demo tenant: set your own `settings.siteId` in a
 * policy file before relying on the metadata in a real tenant.
 */
import { SIT } from '../classify/type-ids.js';
import type { PolicyInput } from './schema.js';

export const DEFAULT_LABEL_IDS = {
  public: '2460e39a-0b4e-49d0-9106-6a1ce01bbb35',
  general: 'fd4a668a-48cf-4a14-be04-63370ee4c4a6',
  confidential: '8d1fae52-273a-4ba3-8c09-2017649b1053',
  highlyConfidential: 'befdde66-b158-4bcd-b5f9-1fef9ea6fbda',
} as const;

/** labelgate's demo tenant id (not a real Entra tenant). */
export const DEFAULT_SITE_ID = 'f8d5ad45-1d82-4562-acb8-5daaa0354496';

export const DEFAULT_POLICY: PolicyInput = {
  name: 'labelgate default policy',
  settings: {
    siteId: DEFAULT_SITE_ID,
    defaultLabelId: DEFAULT_LABEL_IDS.general,
    isMandatory: false,
    isDowngradeJustificationRequired: true,
    moreInfoUrl: 'https://github.com/labelgate/labelgate#labels',
  },
  labels: [
    {
      id: DEFAULT_LABEL_IDS.public,
      name: 'Public',
      description: 'Business data that is specifically prepared and approved for public consumption.',
      color: '#317100',
      sensitivity: 0,
      tooltip: 'Business data that is specifically prepared and approved for public consumption.',
      contentFormats: ['file', 'email'],
    },
    {
      id: DEFAULT_LABEL_IDS.general,
      name: 'General',
      description: 'Business data that is not intended for public consumption.',
      color: '#0078D4',
      sensitivity: 1,
      tooltip: 'Business data that is not intended for public consumption. It can be shared with partners as required.',
      contentFormats: ['file', 'email'],
    },
    {
      id: DEFAULT_LABEL_IDS.confidential,
      name: 'Confidential',
      description: 'Sensitive business data that could cause damage to the business if shared with unauthorized people.',
      color: '#FF8C00',
      sensitivity: 2,
      tooltip: 'Contains personal or financial data. Share only with people who need it.',
      contentFormats: ['file', 'email'],
      autoLabeling: {
        mode: 'automatic',
        match: 'any',
        conditions: [
          { sensitiveTypeId: SIT.creditCard, minCount: 1, minConfidence: 65 },
          { sensitiveTypeId: SIT.euDebitCard, minCount: 1, minConfidence: 65 },
          { sensitiveTypeId: SIT.usSsn, minCount: 1, minConfidence: 65 },
          { sensitiveTypeId: SIT.iban, minCount: 1, minConfidence: 85 },
          { sensitiveTypeId: SIT.abaRouting, minCount: 1, minConfidence: 65 },
          { sensitiveTypeId: SIT.usBankAccount, minCount: 1, minConfidence: 75 },
          { sensitiveTypeId: SIT.usUkPassport, minCount: 1, minConfidence: 75 },
          { sensitiveTypeId: SIT.ukNino, minCount: 1, minConfidence: 75 },
          { sensitiveTypeId: SIT.email, minCount: 10, minConfidence: 75 },
          { sensitiveTypeId: SIT.phone, minCount: 10, minConfidence: 75 },
        ],
      },
      markings: {
        footer: { text: 'Confidential', fontName: 'Calibri', fontSize: 10, fontColor: '#FF8C00', alignment: 'center', margin: 12 },
      },
    },
    {
      id: DEFAULT_LABEL_IDS.highlyConfidential,
      name: 'Highly Confidential',
      description: 'Very sensitive business data that would cause damage to the business if it was shared with unauthorized people.',
      color: '#C50F1F',
      sensitivity: 3,
      tooltip: 'Contains many personal or financial records. Do not forward or share outside the organization.',
      contentFormats: ['file', 'email'],
      autoLabeling: {
        mode: 'automatic',
        match: 'any',
        conditions: [
          { sensitiveTypeId: SIT.creditCard, minCount: 10, minConfidence: 65 },
          { sensitiveTypeId: SIT.euDebitCard, minCount: 10, minConfidence: 65 },
          { sensitiveTypeId: SIT.usSsn, minCount: 10, minConfidence: 65 },
          { sensitiveTypeId: SIT.iban, minCount: 10, minConfidence: 85 },
          { sensitiveTypeId: SIT.abaRouting, minCount: 10, minConfidence: 75 },
          { sensitiveTypeId: SIT.usBankAccount, minCount: 10, minConfidence: 75 },
          { sensitiveTypeId: SIT.usUkPassport, minCount: 10, minConfidence: 75 },
          { sensitiveTypeId: SIT.ukNino, minCount: 10, minConfidence: 75 },
        ],
      },
      markings: {
        header: { text: 'HIGHLY CONFIDENTIAL', fontName: 'Calibri', fontSize: 10, fontColor: '#C50F1F', alignment: 'center', margin: 12 },
        footer: { text: 'Highly Confidential - internal use only', fontName: 'Calibri', fontSize: 10, fontColor: '#C50F1F', alignment: 'center', margin: 12 },
        watermark: { text: 'HIGHLY CONFIDENTIAL', fontName: 'Calibri', fontSize: 60, fontColor: '#C50F1F', layout: 'diagonal' },
      },
    },
  ],
  customTypes: [],
};
