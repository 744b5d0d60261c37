/**
 * Comparing answers from two engines: SetDate and ActionId are per-document values (a time and a
 * fresh GUID), so they are checked for their form and then replaced by placeholders.
 */
import { expect } from 'vitest';

const SET_DATE = /^MSIP_Label_[0-9a-f-]{36}_SetDate$/i;
const ACTION_ID = /^MSIP_Label_[0-9a-f-]{36}_ActionId$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every {name, value} pair named …_SetDate / …_ActionId anywhere in the value. */
export function perDocumentValues(value: unknown): { setDates: string[]; actionIds: string[] } {
  const out = { setDates: [] as string[], actionIds: [] as string[] };
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (typeof o.name === 'string' && typeof o.value === 'string') {
      if (SET_DATE.test(o.name)) out.setDates.push(o.value);
      if (ACTION_ID.test(o.name)) out.actionIds.push(o.value);
    }
    Object.values(o).forEach(visit);
  };
  visit(value);
  return out;
}

export function normalized(value: unknown): unknown {
  const { setDates, actionIds } = perDocumentValues(value);
  for (const d of setDates) expect(d).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  for (const id of actionIds) expect(id).toMatch(GUID);
  return JSON.parse(JSON.stringify(value), function (this: Record<string, unknown>, key, v: unknown) {
    if (key === 'value' && typeof this.name === 'string') {
      if (SET_DATE.test(this.name)) return '<SetDate>';
      if (ACTION_ID.test(this.name)) return '<ActionId>';
    }
    return v;
  });
}
