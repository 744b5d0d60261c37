/**
 * `evaluateApplication`'s rule for a document that already carries a label of the tenant: may the
 * requested label replace it? Shared by the local engine and the Graph engine's offline fail-safe
 * path (fail-safe.ts), so both decide alike.
 * - the same label again: nothing to do;
 * - a label a user chose (`Privileged`) is only replaced by another user choice;
 * - a downgrade is never made by a standard or automatic process; a user needs a justification
 *   when the policy says so.
 */
import type { AssignmentMethod } from '../graph-types.js';
import type { MsipMethod } from './msip.js';

/** `apply`: put the label on; `keep`: leave the existing label (no actions); `justify`: a justifyAction. */
export type ApplicationVerdict = 'apply' | 'keep' | 'justify';

export interface ExistingTenantLabel {
  labelId: string;
  method: MsipMethod | undefined;
  /** Its sensitivity in the policy; undefined for a label the policy no longer has (ranks below all). */
  sensitivity: number | undefined;
}

export interface ApplicationRuleInput {
  existing: ExistingTenantLabel | undefined;
  label: { id: string; sensitivity: number };
  method: AssignmentMethod;
  isDowngradeJustificationRequired: boolean;
  isDowngradeJustified: boolean;
}

export function applicationVerdict(input: ApplicationRuleInput): ApplicationVerdict {
  const { existing, label, method } = input;
  if (!existing) return 'apply';
  if (existing.labelId === label.id) return 'keep';
  if (existing.method === 'Privileged' && method !== 'privileged') return 'keep';
  if (label.sensitivity < (existing.sensitivity ?? -1)) {
    if (method !== 'privileged') return 'keep';
    if (input.isDowngradeJustificationRequired && !input.isDowngradeJustified) return 'justify';
  }
  return 'apply';
}
