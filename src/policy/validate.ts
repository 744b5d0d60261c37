/**
 * Policy validation: schema checks (zod) plus the cross-field rules a policy must satisfy, reported
 * with precise paths such as `labels[2].autoLabeling.conditions[0].minCount: expected a positive integer`.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { LabelgateError } from '../errors.js';
import { BUILTIN_TYPE_IDS } from '../classify/type-ids.js';
import { checkCustomPattern } from '../classify/pattern-safety.js';
import { policySchema, type LabelPolicy, type PolicyLabel } from './schema.js';

export interface PolicyIssue {
  path: string;
  message: string;
}

export interface ValidatePolicyOptions {
  /** Where the policy came from, for messages (a file path, "embedded default", "object"). */
  source?: string;
  /**
   * Sensitive type ids a condition may reference besides the policy's own custom types.
   * Defaults to the built-in catalog; pass `null` to accept any GUID (e.g. a Graph tenant's types).
   */
  knownTypeIds?: ReadonlySet<string> | null;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

function describeZodIssue(issue: z.core.$ZodIssue): PolicyIssue[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: 'unknown field (check the spelling; fields are case-sensitive)',
    }));
  }
  if (issue.code === 'invalid_type') {
    const m = /^Invalid input: expected (\w+), received (\w+)$/.exec(issue.message);
    if (m) {
      if (m[2] === 'undefined') return [{ path, message: `is required (expected ${article(m[1]!)})` }];
      return [{ path, message: `expected ${article(m[1]!)}, got ${m[2]}` }];
    }
    if (issue.input === undefined) {
      return [{ path, message: issue.message.startsWith('expected') ? `is required (${issue.message})` : 'is required' }];
    }
  }
  return [{ path, message: issue.message }];
}

function article(type: string): string {
  const named: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    boolean: 'true or false',
    array: 'a list',
    object: 'an object (mapping)',
  };
  return named[type] ?? type;
}

function lowerGuid(value: string): string {
  return value.replace(/[{}]/g, '').toLowerCase();
}

function throwInvalid(source: string, issues: PolicyIssue[]): never {
  const lines = issues.slice(0, 50).map((i) => `  ${i.path}: ${i.message}`);
  if (issues.length > 50) lines.push(`  … and ${issues.length - 50} more`);
  throw new LabelgateError('POLICY_INVALID', `label policy (${source}) is invalid:\n${lines.join('\n')}`, {
    detail: { source, issues },
  });
}

/** Validate and normalize a policy object. Throws `POLICY_INVALID` listing every problem found. */
export function validatePolicy(input: unknown, options: ValidatePolicyOptions = {}): LabelPolicy {
  const source = options.source ?? 'object';
  const parsed = policySchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throwInvalid(source, parsed.error.issues.flatMap(describeZodIssue));
  const p = parsed.data;
  const issues: PolicyIssue[] = [];

  // Normalize ids first so every later comparison is case- and brace-insensitive.
  const labels = p.labels.map((l) => ({ ...l, id: lowerGuid(l.id), parent: l.parent === null ? null : lowerGuid(l.parent) }));
  const settings = { ...p.settings, siteId: lowerGuid(p.settings.siteId), defaultLabelId: p.settings.defaultLabelId && lowerGuid(p.settings.defaultLabelId) };
  const customTypes = p.customTypes.map((t) => ({ ...t, id: lowerGuid(t.id) }));

  const byId = new Map<string, number>();
  const byName = new Map<string, number>();
  labels.forEach((l, i) => {
    const dupId = byId.get(l.id);
    if (dupId !== undefined) issues.push({ path: `labels[${i}].id`, message: `duplicate label id (also labels[${dupId}])` });
    else byId.set(l.id, i);
    const nameKey = l.name.toLowerCase();
    const dupName = byName.get(nameKey);
    if (dupName !== undefined) issues.push({ path: `labels[${i}].name`, message: `duplicate label name "${l.name}" (also labels[${dupName}])` });
    else byName.set(nameKey, i);
  });

  const parents = new Set<string>();
  labels.forEach((l, i) => {
    if (l.parent === null) return;
    const pi = byId.get(l.parent);
    if (l.parent === l.id) issues.push({ path: `labels[${i}].parent`, message: 'a label cannot be its own parent' });
    else if (pi === undefined) issues.push({ path: `labels[${i}].parent`, message: `no label with id ${l.parent}` });
    else if (labels[pi]!.parent !== null) issues.push({ path: `labels[${i}].parent`, message: 'sub-labels can be nested one level deep only (the parent has a parent)' });
    else parents.add(l.parent);
  });

  const customIds = new Set<string>();
  customTypes.forEach((t, i) => {
    if (BUILTIN_TYPE_IDS.has(t.id)) issues.push({ path: `customTypes[${i}].id`, message: 'collides with a built-in sensitive information type id' });
    if (customIds.has(t.id)) issues.push({ path: `customTypes[${i}].id`, message: 'duplicate custom type id' });
    customIds.add(t.id);
    const problem = checkCustomPattern(t.pattern, t.caseSensitive);
    if (problem) issues.push({ path: `customTypes[${i}].pattern`, message: problem });
    if (t.keywords.length === 0 && t.confidenceWithoutKeyword === null) {
      issues.push({ path: `customTypes[${i}].confidenceWithoutKeyword`, message: 'null requires a keyword, but no keywords are listed' });
    }
  });

  const known = options.knownTypeIds === undefined ? BUILTIN_TYPE_IDS : options.knownTypeIds;
  const normalizedLabels: PolicyLabel[] = labels.map((l, i) => {
    const isParent = parents.has(l.id);
    if (l.isAppliable === true && isParent) {
      issues.push({ path: `labels[${i}].isAppliable`, message: 'a label with sub-labels cannot be applied directly; set false or remove it' });
    }
    const conditions = (l.autoLabeling?.conditions ?? []).map((c, ci) => {
      const id = lowerGuid(c.sensitiveTypeId);
      if (known && !known.has(id) && !customIds.has(id)) {
        issues.push({
          path: `labels[${i}].autoLabeling.conditions[${ci}].sensitiveTypeId`,
          message: `unknown sensitive information type ${id} (not built in and not in customTypes)`,
        });
      }
      if (c.maxCount !== undefined && c.maxCount < c.minCount) {
        issues.push({ path: `labels[${i}].autoLabeling.conditions[${ci}].maxCount`, message: `must be at least minCount (${c.minCount})` });
      }
      return { ...c, sensitiveTypeId: id };
    });
    if (isParent && l.autoLabeling) {
      issues.push({ path: `labels[${i}].autoLabeling`, message: 'a parent label cannot be applied, so it cannot auto-label; move the rule to a sub-label' });
    }
    return {
      ...l,
      isAppliable: l.isAppliable ?? !isParent,
      hasProtection: l.protection !== undefined,
      ...(l.autoLabeling ? { autoLabeling: { ...l.autoLabeling, conditions } } : {}),
    };
  });

  if (settings.defaultLabelId) {
    const di = byId.get(settings.defaultLabelId);
    if (di === undefined) issues.push({ path: 'settings.defaultLabelId', message: `no label with id ${settings.defaultLabelId}` });
    else if (!normalizedLabels[di]!.isActive || !normalizedLabels[di]!.isAppliable) {
      issues.push({ path: 'settings.defaultLabelId', message: `label "${normalizedLabels[di]!.name}" is inactive or not appliable` });
    }
  }

  if (issues.length > 0) throwInvalid(source, issues);

  const body = { name: p.name, settings, labels: normalizedLabels, customTypes };
  const version = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
  return deepFreeze({ ...body, version });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
