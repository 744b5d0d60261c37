/**
 * What a file's own label metadata becomes under a plan — shared by the PDF and OOXML stampers so
 * every location inside a file is changed by the same rule:
 * existing pairs − metadataToRemove + metadataToAdd (ContentBits = what was really applied), and
 * one label per tenant: keys of any other label of the new label's tenant are dropped as well, even
 * when the plan did not list them (stale keys in a second location of the same file).
 */
import type { KeyValuePair } from '../graph-types.js';
import { applyMetadataChange, isMsipKey, parseMsipMetadata, type MsipLabelEntry } from '../evaluate/msip.js';
import { metadataWithAppliedBits, type AppliedMarkings, type StampPlan } from '../evaluate/plan.js';

/** The label (at most one per tenant) a plan writes, parsed from its metadataToAdd. */
export function plannedLabels(plan: StampPlan, applied: AppliedMarkings): { add: KeyValuePair[]; labels: MsipLabelEntry[] } {
  const add = metadataWithAppliedBits(plan, applied);
  return { add, labels: parseMsipMetadata(add, { mode: 'lenient' }) };
}

/** Keys of labels in `current` that share a tenant with, but are not, one of `labels`. */
function supersededKeys(current: readonly KeyValuePair[], labels: readonly MsipLabelEntry[]): string[] {
  if (labels.length === 0) return [];
  const out: string[] = [];
  for (const entry of parseMsipMetadata(current, { mode: 'lenient' })) {
    if (labels.some((l) => l.siteId === entry.siteId && l.labelId !== entry.labelId)) out.push(...entry.keys);
  }
  return out;
}

/** Apply a plan to one location's pairs (non-MSIP pairs pass through untouched). */
export function changeLabelPairs(current: readonly KeyValuePair[], plan: StampPlan, applied: AppliedMarkings): KeyValuePair[] {
  const { add, labels } = plannedLabels(plan, applied);
  return applyMetadataChange(current, add, [...plan.metadataToRemove, ...supersededKeys(current, labels)]);
}

/** Keep MSIP pairs only, first spelling of each key (case-insensitive) wins. */
export function msipPairsOnly(pairs: Iterable<KeyValuePair>): KeyValuePair[] {
  const seen = new Set<string>();
  const out: KeyValuePair[] = [];
  for (const p of pairs) {
    const lower = p.name.toLowerCase();
    if (!isMsipKey(p.name) || seen.has(lower)) continue;
    seen.add(lower);
    out.push({ name: p.name, value: p.value });
  }
  return out;
}

/** Tenants whose every label key is removed by the plan and that get no new label (label removal). */
export function removedTenants(current: readonly KeyValuePair[], plan: StampPlan, applied: AppliedMarkings): string[] {
  const { labels } = plannedLabels(plan, applied);
  const remove = new Set(plan.metadataToRemove.map((k) => k.toLowerCase()));
  const out: string[] = [];
  for (const entry of parseMsipMetadata(current, { mode: 'lenient' })) {
    if (entry.keys.every((k) => remove.has(k.toLowerCase())) && !labels.some((l) => l.siteId === entry.siteId) && !out.includes(entry.siteId)) {
      out.push(entry.siteId);
    }
  }
  return out;
}

/**
 * The pairs of well-formed labels only (Enabled and SiteId present, valid values), duplicates
 * removed: what a reader passes on as contentInfo.metadata, so one odd key in a file from the wild
 * cannot make evaluation fail. The raw pairs stay visible through `readLabelLocations`.
 */
export function wellFormedLabelPairs(pairs: Iterable<KeyValuePair>): KeyValuePair[] {
  const unique = msipPairsOnly(pairs);
  const keys = new Set(parseMsipMetadata(unique, { mode: 'lenient' }).flatMap((e) => e.keys.map((k) => k.toLowerCase())));
  return unique.filter((p) => keys.has(p.name.toLowerCase()));
}
