/**
 * `docMetadata/LabelInfo.xml`, where current Office writes labels (MS-OFFCRYPTO §2.6.4/2.6.5.4;
 * graph-mip.md §4.3): `clbl:labelList` with one `clbl:label` per tenant, attributes in the order
 * id, enabled, method, siteId, contentBits, removed; GUIDs braced and lower case. A removed label
 * leaves a `removed="1"` element so readers do not fall back to custom.xml for that tenant.
 *
 * Reading both locations (MS-OFFCRYPTO §2.6.3, tenant opt-in unknown): a tenant with a LabelInfo
 * element is read from LabelInfo (custom.xml supplies only the attributes LabelInfo lacks, for the
 * same label: SetDate, Name, ActionId, extended ones); tenants without an element come from custom.xml.
 */
import type { KeyValuePair } from '../../graph-types.js';
import { MSIP_KEY_PARTS, msipKey, normalizeGuid, parseMsipMetadata, STANDARD_ATTRIBUTES } from '../../evaluate/msip.js';
import { escapeXmlAttr, localName, parseAttrs, scanXml } from '../xml/scan.js';

export const LABEL_INFO_PART = 'docMetadata/LabelInfo.xml';
const NS_CLBL = 'http://schemas.microsoft.com/office/2020/mipLabelMetadata';

export interface LabelInfoEntry {
  /** Lower-case label GUID (for removed entries, whatever id was written). */
  id: string;
  enabled: boolean;
  method: string;
  /** Lower-case tenant GUID. */
  siteId: string;
  contentBits: number | undefined;
  removed: boolean;
}

export interface LabelInfo {
  entries: LabelInfoEntry[];
  /** The `clbl:extLst` element as written, kept when the part is rewritten. */
  extLst: string | undefined;
}

const bool = (v: string | undefined) => v === '1' || v?.toLowerCase() === 'true';

export function parseLabelInfo(xml: string | undefined): LabelInfo | undefined {
  if (xml === undefined) return undefined;
  const out: LabelInfo = { entries: [], extLst: undefined };
  let depth = 0;
  let extStart = -1;
  scanXml(
    xml,
    {
      open(name, raw, _self, start) {
        depth++;
        const el = localName(name);
        if (depth === 2 && el === 'label') {
          const a = parseAttrs(raw);
          const siteId = normalizeGuid(a.get('siteId') ?? '');
          const id = normalizeGuid(a.get('id') ?? '') ?? (a.get('id') ?? '').toLowerCase();
          if (!siteId) return; // an element without a tenant cannot be attributed; ignore it
          const bits = a.get('contentBits');
          out.entries.push({
            id,
            enabled: bool(a.get('enabled')),
            method: a.get('method') ?? '',
            siteId,
            contentBits: bits !== undefined && /^\d{1,10}$/.test(bits) ? Number(bits) : undefined,
            removed: bool(a.get('removed')),
          });
        } else if (depth === 2 && el === 'extLst') {
          extStart = start;
        }
      },
      close(name, _start, end) {
        if (depth === 2 && extStart >= 0 && localName(name) === 'extLst') {
          out.extLst = xml.slice(extStart, end);
          extStart = -1;
        }
        depth--;
      },
    },
    'docMetadata/LabelInfo.xml',
  );
  // At most one element per tenant: the first one counts.
  out.entries = out.entries.filter((e, i) => out.entries.findIndex((o) => o.siteId === e.siteId) === i);
  return out;
}

const braced = (guid: string) => `{${guid.toLowerCase()}}`;

export function buildLabelInfo(info: LabelInfo): string {
  const labels = info.entries.map((e) => {
    const bits = e.contentBits !== undefined && !e.removed ? ` contentBits="${e.contentBits}"` : '';
    const method = e.removed ? '' : e.method;
    return `<clbl:label id="${escapeXmlAttr(braced(e.id))}" enabled="${e.enabled && !e.removed ? 1 : 0}" method="${escapeXmlAttr(method)}" siteId="${braced(e.siteId)}"${bits} removed="${e.removed ? 1 : 0}"/>`;
  });
  return `<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<clbl:labelList xmlns:clbl="${NS_CLBL}">${labels.join('')}${info.extLst ?? ''}</clbl:labelList>`;
}

/** The element for a label that a plan writes. */
export function labelInfoEntry(labelId: string, siteId: string, method: string | undefined, contentBits: number | undefined): LabelInfoEntry {
  return { id: labelId.toLowerCase(), enabled: true, method: method ?? 'Standard', siteId: siteId.toLowerCase(), contentBits, removed: false };
}

/** The element that records a tenant's label as removed. */
export function removedEntry(siteId: string): LabelInfoEntry {
  return { id: siteId.toLowerCase(), enabled: false, method: '', siteId: siteId.toLowerCase(), contentBits: undefined, removed: true };
}

const LABEL_INFO_ATTRIBUTES = new Set(['enabled', 'method', 'siteid', 'contentbits']);

/** Standard attributes in the order Graph writes them, extended ones after (stable sort keeps theirs). */
function attributeRank(key: string): number {
  const attr = MSIP_KEY_PARTS.exec(key)?.[2]?.toLowerCase() ?? '';
  const i = STANDARD_ATTRIBUTES.findIndex((a) => a.toLowerCase() === attr);
  return i === -1 ? STANDARD_ATTRIBUTES.length : i;
}

/** Both locations → the MSIP pairs a reader should see (precedence above). */
export function mergeLabelLocations(customPairs: readonly KeyValuePair[], info: LabelInfo | undefined): KeyValuePair[] {
  const custom = parseMsipMetadata(customPairs, { mode: 'lenient' });
  const byTenant = new Map((info?.entries ?? []).map((e) => [e.siteId, e]));
  const out: KeyValuePair[] = [];
  for (const entry of custom) {
    if (byTenant.has(entry.siteId)) continue;
    for (const key of entry.keys) out.push(customPairs.find((p) => p.name === key)!);
  }
  for (const e of byTenant.values()) {
    if (e.removed || !normalizeGuid(e.id)) continue;
    const pairs: KeyValuePair[] = [
      { name: msipKey(e.id, 'Enabled'), value: e.enabled ? 'true' : 'false' },
      ...(e.method ? [{ name: msipKey(e.id, 'Method'), value: e.method }] : []),
      { name: msipKey(e.id, 'SiteId'), value: e.siteId },
      ...(e.contentBits !== undefined ? [{ name: msipKey(e.id, 'ContentBits'), value: String(e.contentBits) }] : []),
    ];
    // Attributes LabelInfo does not carry, from custom.xml keys of the same label (which need not
    // form a complete label there: co-authoring Office keeps only these in custom.xml).
    for (const pair of customPairs) {
      const m = MSIP_KEY_PARTS.exec(pair.name);
      if (m && m[1]!.toLowerCase() === e.id && !LABEL_INFO_ATTRIBUTES.has(m[2]!.toLowerCase())) pairs.push(pair);
    }
    out.push(...pairs.sort((a, b) => attributeRank(a.name) - attributeRank(b.name)));
  }
  return out;
}
