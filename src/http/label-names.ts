/**
 * Label names in route options (`label`, `minimumLabel`, `failSafeLabel`) checked against a
 * policy whose labels are known without a network call, so a misspelled label is a configuration
 * error that names the labels there are.
 */
import type { SensitivityLabel } from '../graph-types.js';
import type { Labeler } from '../labeler.js';
import { findLabel } from '../evaluate/find-label.js';
import type { CompiledRouteOptions } from './options.js';

/** The policy's labels when they are known without a network call (a local policy). */
export function knownLabels(labeler: Labeler): SensitivityLabel[] | undefined {
  return labeler.policy?.labels.map((l) => ({ id: l.id, name: l.name }) as SensitivityLabel);
}

/** `"Confidental"` → the option, the value, and the labels there are (names are policy, not content). */
export function unknownLabelMessage(value: string, labels: readonly SensitivityLabel[]): string {
  const names = labels.map((l) => `"${l.name}"`);
  const shown = names.length > 30 ? [...names.slice(0, 30), `… (${names.length - 30} more)`] : names;
  return `"${value}" is not a label of the policy (use a label id or name; labels: ${shown.join(', ')})`;
}

/** The first label option of a layer that names no label of `labels`. */
export function findUnknownLabel<Ctx>(layer: CompiledRouteOptions<Ctx>, labels: readonly SensitivityLabel[]): { key: string; message: string } | undefined {
  for (const key of ['label', 'minimumLabel', 'failSafeLabel'] as const) {
    const v = layer[key];
    if (v !== undefined && !findLabel(labels, v)) return { key, message: unknownLabelMessage(v, labels) };
  }
  return undefined;
}
