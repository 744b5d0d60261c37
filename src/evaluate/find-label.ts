import type { SensitivityLabel } from '../graph-types.js';
import { normalizeGuid } from './msip.js';

/** A label by id (any case, braces allowed) or by name (case-insensitive). */
export function findLabel(labels: readonly SensitivityLabel[], idOrName: string): SensitivityLabel | undefined {
  const id = normalizeGuid(idOrName);
  if (id) {
    const byId = labels.find((l) => l.id.toLowerCase() === id);
    if (byId) return byId;
  }
  const name = idOrName.trim().toLowerCase();
  return labels.find((l) => l.name.toLowerCase() === name);
}
