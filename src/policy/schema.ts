/**
 * The label policy file format (JSON or YAML) and its normalized in-memory model.
 *
 * A policy is what a Purview tenant would hold: labels (Graph `sensitivityLabel` fields), their
 * auto-labeling conditions, content markings and protection, the label policy settings, and
 * organization-defined sensitive information types.
 */
import { z } from 'zod';

const GUID_RE = /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/;

const guid = z.string({ error: 'expected a GUID string' }).regex(GUID_RE, { error: 'expected a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6' });
const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).trim().min(1, { error: `expected ${what}` });
const positiveInt = z
  .number({ error: 'expected a positive integer' })
  .int({ error: 'expected a positive integer' })
  .min(1, { error: 'expected a positive integer' });
const nonNegativeInt = z
  .number({ error: 'expected a non-negative integer' })
  .int({ error: 'expected a non-negative integer' })
  .min(0, { error: 'expected a non-negative integer' });
const confidence = z
  .number({ error: 'expected a confidence level 0-100' })
  .int({ error: 'expected a confidence level 0-100' })
  .min(0, { error: 'expected a confidence level 0-100' })
  .max(100, { error: 'expected a confidence level 0-100' });
const color = z.string({ error: 'expected a color like #RRGGBB' }).regex(/^#[0-9a-fA-F]{6}$/, { error: 'expected a color like #RRGGBB' });
const fontSize = z
  .number({ error: 'expected a font size 1-400' })
  .min(1, { error: 'expected a font size 1-400' })
  .max(400, { error: 'expected a font size 1-400' });
const markingText = z
  .string({ error: 'expected marking text' })
  .min(1, { error: 'expected marking text' })
  .max(1024, { error: 'marking text is limited to 1024 characters' });

export const conditionSchema = z.strictObject({
  sensitiveTypeId: guid,
  minCount: positiveInt.default(1),
  maxCount: positiveInt.optional(),
  minConfidence: confidence.default(75),
});

export const autoLabelingSchema = z.strictObject({
  mode: z.enum(['automatic', 'recommended'], { error: 'expected "automatic" or "recommended"' }).default('automatic'),
  /** `any`: one satisfied condition is enough (Purview's default); `all`: every condition must hold. */
  match: z.enum(['any', 'all'], { error: 'expected "any" or "all"' }).default('any'),
  conditions: z.array(conditionSchema, { error: 'expected a list of conditions' }).min(1, { error: 'expected at least one condition' }),
  /** Shown to the user with a recommendation. */
  message: z.string().max(1024).optional(),
});

const alignment = z.enum(['left', 'right', 'center'], { error: 'expected "left", "right" or "center"' });

const headerFooterSchema = z.strictObject({
  text: markingText,
  fontName: nonEmpty('a font name').default('Calibri'),
  fontSize: fontSize.default(10),
  fontColor: color.default('#000000'),
  alignment: alignment.default('center'),
  margin: nonNegativeInt.max(500, { error: 'expected a margin 0-500 points' }).default(5),
});

const watermarkSchema = z.strictObject({
  text: markingText,
  fontName: nonEmpty('a font name').default('Calibri'),
  fontSize: fontSize.default(72),
  fontColor: color.default('#C0C0C0'),
  layout: z.enum(['horizontal', 'diagonal'], { error: 'expected "horizontal" or "diagonal"' }).default('diagonal'),
});

export const markingsSchema = z.strictObject({
  header: headerFooterSchema.optional(),
  footer: headerFooterSchema.optional(),
  watermark: watermarkSchema.optional(),
});

export const protectionSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('template'), templateId: guid }),
    z.strictObject({ kind: z.literal('adhoc') }),
    z.strictObject({ kind: z.literal('doNotForward') }),
  ],
  { error: 'expected protection.kind "template", "adhoc" or "doNotForward"' },
);

export const labelSchema = z.strictObject({
  id: guid,
  name: nonEmpty('a label name').pipe(z.string().max(255, { error: 'label names are limited to 255 characters' })),
  description: z.string().default(''),
  color: z.union([color, z.literal('')], { error: 'expected a color like #RRGGBB or ""' }).default(''),
  sensitivity: nonNegativeInt,
  tooltip: z.string().default(''),
  isActive: z.boolean({ error: 'expected true or false' }).default(true),
  /** Defaults to `true` for a label without sub-labels and `false` for a parent. */
  isAppliable: z.boolean({ error: 'expected true or false' }).optional(),
  contentFormats: z.array(nonEmpty('a content format'), { error: 'expected a list like ["file", "email"]' }).default(['file', 'email']),
  /** Parent label id, or `null`. */
  parent: guid.nullable().default(null),
  autoLabeling: autoLabelingSchema.optional(),
  markings: markingsSchema.default({}),
  protection: protectionSchema.optional(),
});

export const customTypeSchema = z.strictObject({
  id: guid,
  name: nonEmpty('a name'),
  description: z.string().default(''),
  /** JavaScript regular expression source (without slashes). */
  pattern: z
    .string({ error: 'expected a regular expression' })
    .min(1, { error: 'expected a regular expression' })
    .max(1000, { error: 'patterns are limited to 1000 characters' }),
  caseSensitive: z.boolean({ error: 'expected true or false' }).default(false),
  keywords: z.array(nonEmpty('a keyword'), { error: 'expected a list of keywords' }).default([]),
  /** Characters on either side of a match in which a keyword corroborates it (Purview: 300). */
  proximity: nonNegativeInt.max(10_000, { error: 'expected a proximity 0-10000 characters' }).default(300),
  /** Confidence of a match with a keyword nearby. */
  confidenceWithKeyword: confidence.default(85),
  /** Confidence of a match without a keyword; `null` means a keyword is required. */
  confidenceWithoutKeyword: confidence.nullable().default(65),
});

export const settingsSchema = z.strictObject({
  /** The tenant (Entra directory) id written as `MSIP_Label_*_SiteId`. */
  siteId: guid,
  defaultLabelId: guid.nullable().default(null),
  isMandatory: z.boolean({ error: 'expected true or false' }).default(false),
  isDowngradeJustificationRequired: z.boolean({ error: 'expected true or false' }).default(true),
  moreInfoUrl: z.string().default(''),
});

export const policySchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().default('labelgate policy'),
  settings: settingsSchema,
  labels: z.array(labelSchema, { error: 'expected a list of labels' }).min(1, { error: 'a policy needs at least one label' }),
  customTypes: z.array(customTypeSchema, { error: 'expected a list of custom sensitive types' }).default([]),
});

/** What a user writes (before defaults). */
export type PolicyInput = z.input<typeof policySchema>;
export type PolicyLabelInput = z.input<typeof labelSchema>;

type ParsedPolicy = z.output<typeof policySchema>;
export type AutoLabelingRule = z.output<typeof autoLabelingSchema>;
export type AutoLabelingCondition = z.output<typeof conditionSchema>;
export type LabelMarkings = z.output<typeof markingsSchema>;
export type HeaderFooterMarking = NonNullable<LabelMarkings['header']>;
export type WatermarkMarking = NonNullable<LabelMarkings['watermark']>;
export type LabelProtection = z.output<typeof protectionSchema>;
export type CustomSensitiveType = z.output<typeof customTypeSchema>;
export type PolicySettings = z.output<typeof settingsSchema>;

/** A label after validation: every default filled in, ids lower-case, `isAppliable` resolved. */
export interface PolicyLabel extends Omit<ParsedPolicy['labels'][number], 'isAppliable'> {
  isAppliable: boolean;
  hasProtection: boolean;
}

/** A validated, normalized policy. Treat as immutable. */
export interface LabelPolicy {
  name: string;
  settings: PolicySettings;
  labels: PolicyLabel[];
  customTypes: CustomSensitiveType[];
  /** Content hash of the normalized policy: changes whenever any rule changes. */
  version: string;
}
