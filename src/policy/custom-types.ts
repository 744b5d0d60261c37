/**
 * Custom sensitive types from several sources (the engine's policy, a route, a caller) merged into
 * the one list a scanner compiles. The scanner rejects two types with the same id, so the more
 * specific source replaces the policy's type of that id instead of adding a second one.
 */
import type { CustomSensitiveType } from './schema.js';

/** `{0B5C…}` and `0b5c…` are the same type id. */
export function customTypeKey(id: unknown): string {
  return String(id).replace(/[{}]/g, '').toLowerCase();
}

/**
 * `base` (the engine's/policy's types) with `override` (a route's or caller's types) on top: a type
 * of `override` replaces the `base` type with the same id. Types within one list are not merged
 * (a duplicate there is a configuration error the scanner reports).
 */
export function mergeCustomTypes(base: readonly CustomSensitiveType[], override: readonly CustomSensitiveType[] | undefined): CustomSensitiveType[] {
  if (!override || override.length === 0) return [...base];
  const replaced = new Set(override.map((t) => customTypeKey(t.id)));
  return [...base.filter((t) => !replaced.has(customTypeKey(t.id))), ...override];
}
