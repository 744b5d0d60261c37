/**
 * Build and parse MIP label metadata: the `MSIP_Label_<labelGuid>_<Attribute>` key/value pairs
 * that Office custom properties, PDF Info dictionaries and `msip_labels` mail headers carry.
 *
 * Rules (learn.microsoft.com/information-protection/develop/concept-mip-metadata):
 * - keys are case-insensitive; one label per tenant (`SiteId`) per document;
 * - `Enabled` and `SiteId` are mandatory; `Method` is `Standard` or `Privileged`;
 * - `ContentBits` is a bitmask of the markings actually applied (1 header, 2 footer,
 *   4 watermark, 8 encryption);
 * - other attributes (e.g. extended properties) keep the prefix and are preserved.
 */
import type { KeyValuePair } from '../graph-types.js';
import { LabelgateError } from '../errors.js';

export const MSIP_PREFIX = 'MSIP_Label_';

/** ContentBits flags. */
export const CONTENT_BITS = { header: 1, footer: 2, watermark: 4, encryption: 8 } as const;

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const GUID_RE = new RegExp(`^${GUID}$`);
const BRACED_GUID_RE = new RegExp(`^\\{?(${GUID})\\}?$`);
export const MSIP_KEY_PARTS = new RegExp(`^MSIP_Label_(${GUID})_([A-Za-z0-9_.-]{1,200})$`, 'i');

/** Attributes with a defined meaning; everything else is an extended/custom attribute. */
export const STANDARD_ATTRIBUTES = ['Enabled', 'SetDate', 'Method', 'Name', 'SiteId', 'ActionId', 'ContentBits'] as const;
export type StandardAttribute = (typeof STANDARD_ATTRIBUTES)[number];
const STANDARD_BY_LOWER = new Map<string, StandardAttribute>(STANDARD_ATTRIBUTES.map((a) => [a.toLowerCase(), a]));

export type MsipMethod = 'Standard' | 'Privileged';

/** One label's metadata as found in a document. */
export interface MsipLabelEntry {
  /** Lower-case label GUID. */
  labelId: string;
  enabled: boolean;
  /** Lower-case tenant GUID (braces removed). */
  siteId: string;
  method: MsipMethod | undefined;
  setDate: string | undefined;
  name: string | undefined;
  actionId: string | undefined;
  contentBits: number | undefined;
  /** Non-standard attributes (extended properties, legacy attributes), by attribute name. */
  extended: Record<string, string>;
  /** Every original key name of this label, as spelled in the input. */
  keys: string[];
}

export function isGuid(value: string): boolean {
  return GUID_RE.test(value);
}

/** `{ABC...}` or `abc...` → `abc...` (lower case); `undefined` when not a GUID. */
export function normalizeGuid(value: string): string | undefined {
  const m = BRACED_GUID_RE.exec(value.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

export function msipKey(labelId: string, attribute: string): string {
  return `${MSIP_PREFIX}${labelId.toLowerCase()}_${attribute}`;
}

/** Is this key an MSIP label key (prefix match, case-insensitive)? */
export function isMsipKey(name: string): boolean {
  return name.length >= MSIP_PREFIX.length && name.slice(0, MSIP_PREFIX.length).toLowerCase() === 'msip_label_';
}

/** SetDate in the form Graph and the MIP SDK write: extended ISO 8601, UTC, whole seconds. */
export function formatSetDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface BuildMsipInput {
  labelId: string;
  siteId: string;
  name: string;
  method: MsipMethod;
  /** Defaults to now. */
  setDate?: string;
  /** Defaults to a fresh random GUID. */
  actionId?: string;
  contentBits: number;
  /** Extended properties, written as `MSIP_Label_<id>_<name>`. */
  extended?: readonly KeyValuePair[];
  enabled?: boolean;
}

/**
 * The full metadata set for one label, in the order Graph returns it:
 * Enabled, SetDate, Method, Name, SiteId, ActionId, ContentBits, then extended properties.
 */
export function buildMsipMetadata(input: BuildMsipInput): KeyValuePair[] {
  const labelId = normalizeGuid(input.labelId);
  const siteId = normalizeGuid(input.siteId);
  if (!labelId) throw new LabelgateError('METADATA_INVALID', `label id is not a GUID: ${JSON.stringify(input.labelId)}`);
  if (!siteId) throw new LabelgateError('METADATA_INVALID', `site id (tenant id) is not a GUID: ${JSON.stringify(input.siteId)}`);
  if (!Number.isInteger(input.contentBits) || input.contentBits < 0 || input.contentBits > 15) {
    throw new LabelgateError('METADATA_INVALID', `ContentBits must be an integer 0-15, got ${String(input.contentBits)}`);
  }
  const pairs: KeyValuePair[] = [
    { name: msipKey(labelId, 'Enabled'), value: input.enabled === false ? 'false' : 'true' },
    { name: msipKey(labelId, 'SetDate'), value: input.setDate ?? formatSetDate(new Date()) },
    { name: msipKey(labelId, 'Method'), value: input.method },
    { name: msipKey(labelId, 'Name'), value: input.name },
    { name: msipKey(labelId, 'SiteId'), value: siteId },
    { name: msipKey(labelId, 'ActionId'), value: input.actionId ?? globalThis.crypto.randomUUID() },
    { name: msipKey(labelId, 'ContentBits'), value: String(input.contentBits) },
  ];
  for (const ext of input.extended ?? []) {
    if (!/^[A-Za-z0-9_.-]{1,200}$/.test(ext.name) || STANDARD_BY_LOWER.has(ext.name.toLowerCase())) {
      throw new LabelgateError(
        'METADATA_INVALID',
        `extended property name ${JSON.stringify(ext.name)} must be 1-200 letters, digits, '_', '.', '-' and not a standard attribute`,
      );
    }
    if (ext.value.length > 255) {
      throw new LabelgateError('METADATA_INVALID', `extended property ${ext.name}: value longer than 255 characters`);
    }
    pairs.push({ name: msipKey(labelId, ext.name), value: ext.value });
  }
  return pairs;
}

export interface ParseMsipOptions {
  /**
   * `strict` (default): malformed MSIP keys or values throw `METADATA_INVALID`.
   * `lenient`: malformed labels are skipped (use when reading files from the wild for display).
   */
  mode?: 'strict' | 'lenient';
}

type PairsInput = readonly KeyValuePair[] | Readonly<Record<string, string>> | null | undefined;

function toPairs(input: PairsInput): KeyValuePair[] {
  if (!input) return [];
  if (Array.isArray(input)) return input as KeyValuePair[];
  return Object.entries(input as Record<string, string>).map(([name, value]) => ({ name, value }));
}

function fail(message: string): never {
  throw new LabelgateError('METADATA_INVALID', message);
}

/**
 * Parse every MSIP label found in a key/value set (keys matched case-insensitively). Non-MSIP keys
 * are ignored. Returns one entry per label GUID, in order of first appearance.
 */
export function parseMsipMetadata(input: PairsInput, options: ParseMsipOptions = {}): MsipLabelEntry[] {
  const strict = options.mode !== 'lenient';
  const byLabel = new Map<string, { attrs: Map<string, { key: string; value: string }>; keys: string[] }>();
  const bad = new Set<string>();

  for (const pair of toPairs(input)) {
    if (typeof pair?.name !== 'string' || !isMsipKey(pair.name)) continue;
    if (typeof pair.value !== 'string') {
      if (strict) fail(`${pair.name}: value must be a string`);
      continue;
    }
    const m = MSIP_KEY_PARTS.exec(pair.name);
    if (!m) {
      if (strict) fail(`${pair.name}: not of the form MSIP_Label_<GUID>_<Attribute>`);
      continue;
    }
    const labelId = m[1]!.toLowerCase();
    const attrLower = m[2]!.toLowerCase();
    let rec = byLabel.get(labelId);
    if (!rec) byLabel.set(labelId, (rec = { attrs: new Map(), keys: [] }));
    const prev = rec.attrs.get(attrLower);
    if (prev && prev.value !== pair.value) {
      if (strict) fail(`${pair.name}: duplicate key (case-insensitive) with a different value`);
      bad.add(labelId);
    }
    rec.attrs.set(attrLower, { key: pair.name, value: pair.value });
    rec.keys.push(pair.name);
  }

  const entries: MsipLabelEntry[] = [];
  for (const [labelId, rec] of byLabel) {
    try {
      if (bad.has(labelId)) fail(`label ${labelId}: conflicting duplicate keys`);
      entries.push(toEntry(labelId, rec.attrs, rec.keys));
    } catch (err) {
      if (strict) throw err;
    }
  }
  return entries;
}

function toEntry(labelId: string, attrs: Map<string, { key: string; value: string }>, keys: string[]): MsipLabelEntry {
  const get = (a: string) => attrs.get(a.toLowerCase())?.value;
  const enabledRaw = get('Enabled');
  if (enabledRaw === undefined) fail(`${msipKey(labelId, 'Enabled')}: missing (Enabled is mandatory)`);
  const enabledLower = enabledRaw.trim().toLowerCase();
  if (enabledLower !== 'true' && enabledLower !== 'false') {
    fail(`${attrs.get('enabled')!.key}: expected "true" or "false"`);
  }
  const siteRaw = get('SiteId');
  if (siteRaw === undefined) fail(`${msipKey(labelId, 'SiteId')}: missing (SiteId is mandatory)`);
  const siteId = normalizeGuid(siteRaw) ?? fail(`${attrs.get('siteid')!.key}: expected a tenant GUID`);
  const methodRaw = get('Method');
  let method: MsipMethod | undefined;
  if (methodRaw !== undefined && methodRaw !== '') {
    const lower = methodRaw.trim().toLowerCase();
    if (lower === 'standard') method = 'Standard';
    else if (lower === 'privileged') method = 'Privileged';
    else fail(`${attrs.get('method')!.key}: expected "Standard" or "Privileged"`);
  }
  const bitsRaw = get('ContentBits');
  let contentBits: number | undefined;
  if (bitsRaw !== undefined && bitsRaw !== '') {
    if (!/^\d{1,10}$/.test(bitsRaw.trim())) fail(`${attrs.get('contentbits')!.key}: expected a non-negative integer`);
    contentBits = Number(bitsRaw.trim());
  }
  const extended: Record<string, string> = {};
  for (const [lower, { key, value }] of attrs) {
    if (STANDARD_BY_LOWER.has(lower)) continue;
    extended[key.slice(MSIP_PREFIX.length + 37)] = value;
  }
  return {
    labelId,
    enabled: enabledLower === 'true',
    siteId,
    method,
    setDate: get('SetDate'),
    name: get('Name'),
    actionId: get('ActionId'),
    contentBits,
    extended,
    keys,
  };
}

/** The enabled label of one tenant, if the metadata carries one. */
export function findTenantLabel(entries: readonly MsipLabelEntry[], siteId: string): MsipLabelEntry | undefined {
  const site = normalizeGuid(siteId);
  return entries.find((e) => e.enabled && e.siteId === site);
}

/** Every key (as spelled in the input) that belongs to labels of the given tenant. */
export function tenantKeys(entries: readonly MsipLabelEntry[], siteId: string): string[] {
  const site = normalizeGuid(siteId);
  return entries.filter((e) => e.siteId === site).flatMap((e) => e.keys);
}

/**
 * Apply a metadata action to a key/value set: keys in `remove` are deleted case-insensitively,
 * `add` pairs replace existing keys with the same name (case-insensitive) or are appended.
 * Order of untouched pairs is kept.
 */
export function applyMetadataChange(
  current: readonly KeyValuePair[],
  add: readonly KeyValuePair[],
  remove: readonly string[],
): KeyValuePair[] {
  const removeSet = new Set(remove.map((k) => k.toLowerCase()));
  const addByLower = new Map(add.map((p) => [p.name.toLowerCase(), p]));
  const out: KeyValuePair[] = [];
  for (const pair of current) {
    const lower = pair.name.toLowerCase();
    if (removeSet.has(lower)) continue;
    const replacement = addByLower.get(lower);
    if (replacement) {
      out.push({ name: replacement.name, value: replacement.value });
      addByLower.delete(lower);
    } else {
      out.push({ name: pair.name, value: pair.value });
    }
  }
  for (const pair of addByLower.values()) out.push({ name: pair.name, value: pair.value });
  return out;
}

// ---------------------------------------------------------------------------------------------
// `msip_labels` header form: `key=value; key=value` (as in mail). Values are percent-encoded where
// they contain `;`, `=`, `%`, control or non-ASCII characters, so the header value is always
// printable ASCII and can be split unambiguously. (Microsoft documents no escaping rule.)
// ---------------------------------------------------------------------------------------------

const HEADER_UNSAFE = /[^\x21-\x24\x26-\x3a\x3c\x3e-\x7e ]/gu;
const utf8 = new TextEncoder();

function percentEncode(ch: string): string {
  // TextEncoder turns lone surrogates into U+FFFD instead of throwing like encodeURIComponent.
  let out = '';
  for (const byte of utf8.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

function encodeHeaderValue(value: string): string {
  return value.replace(HEADER_UNSAFE, percentEncode).replace(/^ | $/g, '%20');
}

export function formatMsipHeader(pairs: readonly KeyValuePair[]): string {
  return pairs
    .filter((p) => isMsipKey(p.name))
    .map((p) => `${p.name}=${encodeHeaderValue(p.value)}`)
    .join('; ');
}

export function parseMsipHeader(header: string): KeyValuePair[] {
  const out: KeyValuePair[] = [];
  for (const raw of header.split(';')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      // Legacy AIP headers end with a bare `aiplabel=<name>` or similar tokens; skip non-pairs.
      continue;
    }
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      fail(`msip_labels header: ${name} has a malformed percent-encoded value`);
    }
    out.push({ name, value });
  }
  return out;
}
