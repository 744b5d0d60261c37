/**
 * Strict readers for Graph's answers. Every documented property is checked for its type, so a
 * malformed answer is rejected (GRAPH_RESPONSE) instead of reaching a stamper. Known action types
 * keep every non-annotation property (future additions survive); action types this version does
 * not know are passed through untouched. Error messages name a JSON path, never a value.
 */
import {
  ACTION_TYPES,
  ODATA_NS,
  type ContentLabel,
  type InformationProtectionAction,
  type InformationProtectionPolicySetting,
  type SensitivityLabel,
} from '../graph-types.js';
import { normalizeGuid } from '../evaluate/msip.js';

export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

type Json = Record<string, unknown>;

function expected(path: string, what: string): never {
  throw new ShapeError(`${path}: expected ${what}`);
}

function obj(v: unknown, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) expected(path, 'an object');
  return v as Json;
}

function str(o: Json, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') expected(`${path}.${key}`, 'a string');
  return v;
}

function optStr(o: Json, key: string, path: string): void {
  const v = o[key];
  if (v !== undefined && v !== null && typeof v !== 'string') expected(`${path}.${key}`, 'a string or null');
}

function bool(o: Json, key: string, path: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') expected(`${path}.${key}`, 'true or false');
  return v;
}

function int(o: Json, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) expected(`${path}.${key}`, 'an integer');
  return v;
}

function optNum(o: Json, key: string, path: string): void {
  const v = o[key];
  if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v))) expected(`${path}.${key}`, 'a number or null');
}

function strArray(o: Json, key: string, path: string, required = true): void {
  const v = o[key];
  if (v === undefined && !required) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) expected(`${path}.${key}`, 'a list of strings');
}

function keyValueList(o: Json, key: string, path: string, required = true): void {
  const v = o[key];
  if (v === undefined && !required) return;
  if (!Array.isArray(v)) expected(`${path}.${key}`, 'a list of {name, value}');
  v.forEach((p, i) => {
    const pair = obj(p, `${path}.${key}[${i}]`);
    str(pair, 'name', `${path}.${key}[${i}]`);
    str(pair, 'value', `${path}.${key}[${i}]`);
  });
}

/** `{ value: [...] }`, the OData collection envelope. */
function collection(json: unknown): { value: unknown[]; nextLink: string | undefined } {
  const o = obj(json, '(body)');
  if (!Array.isArray(o.value)) expected('value', 'a list');
  const next = o['@odata.nextLink'];
  if (next !== undefined && next !== null && typeof next !== 'string') expected('@odata.nextLink', 'a URL string');
  return { value: o.value, nextLink: typeof next === 'string' ? next : undefined };
}

/** Drops OData annotations (`x@odata.type`, `@odata.context`, …) but keeps `@odata.type` itself. */
function withoutAnnotations(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) if (k === '@odata.type' || !k.includes('@')) out[k] = v;
  return out;
}

function guid(o: Json, key: string, path: string): string {
  return normalizeGuid(str(o, key, path)) ?? expected(`${path}.${key}`, 'a GUID');
}

export function parseSensitivityLabel(v: unknown, path: string): SensitivityLabel {
  const o = obj(v, path);
  for (const key of ['description', 'color', 'tooltip']) optStr(o, key, path);
  strArray(o, 'contentFormats', path);
  const label: SensitivityLabel = {
    id: guid(o, 'id', path),
    name: str(o, 'name', path),
    ...('description' in o ? { description: o.description as string | null } : {}),
    ...('color' in o ? { color: o.color as string | null } : {}),
    sensitivity: int(o, 'sensitivity', path),
    ...('tooltip' in o ? { tooltip: o.tooltip as string | null } : {}),
    isActive: bool(o, 'isActive', path),
    isAppliable: bool(o, 'isAppliable', path),
    contentFormats: [...(o.contentFormats as string[])],
    hasProtection: bool(o, 'hasProtection', path),
  };
  // `parent` is an expanded navigation property: absent means "not expanded", null means top level.
  if ('parent' in o) label.parent = o.parent === null ? null : parseSensitivityLabel(o.parent, `${path}.parent`);
  return label;
}

export function parseLabelPage(json: unknown): { items: SensitivityLabel[]; nextLink: string | undefined } {
  const { value, nextLink } = collection(json);
  return { items: value.map((l, i) => parseSensitivityLabel(l, `value[${i}]`)), nextLink };
}

export function parsePolicySettings(json: unknown): InformationProtectionPolicySetting {
  const o = obj(json, '(body)');
  optStr(o, 'moreInfoUrl', '(body)');
  const def = o.defaultLabelId;
  const defaultLabelId = typeof def === 'string' && def !== '' ? normalizeGuid(def) : null;
  if (def !== undefined && def !== null && def !== '' && !defaultLabelId) expected('defaultLabelId', 'a label GUID or null');
  return {
    id: str(o, 'id', '(body)'),
    isDowngradeJustificationRequired: bool(o, 'isDowngradeJustificationRequired', '(body)'),
    isMandatory: bool(o, 'isMandatory', '(body)'),
    moreInfoUrl: (o.moreInfoUrl as string | null | undefined) ?? null,
    defaultLabelId: defaultLabelId ?? null,
  };
}

const KNOWN: ReadonlySet<string> = new Set(ACTION_TYPES);

function parseAction(v: unknown, path: string): InformationProtectionAction {
  const raw = obj(v, path);
  const type = raw['@odata.type'];
  if (typeof type !== 'string' || type === '') expected(`${path}.@odata.type`, 'an action type');
  const name = type.startsWith(ODATA_NS) ? type.slice(ODATA_NS.length) : undefined;
  // A type this version does not know: a future service addition. Pass it on untouched.
  if (name === undefined || !KNOWN.has(name)) return raw as unknown as InformationProtectionAction;
  const o = withoutAnnotations(raw);
  switch (name) {
    case 'addContentHeaderAction':
    case 'addContentFooterAction':
    case 'addWatermarkAction':
      str(o, 'text', path);
      optStr(o, 'uiElementName', path);
      optStr(o, 'fontName', path);
      optStr(o, 'fontColor', path);
      optNum(o, 'fontSize', path);
      if (name === 'addWatermarkAction') optStr(o, 'layout', path);
      else {
        optStr(o, 'alignment', path);
        optNum(o, 'margin', path);
      }
      break;
    case 'applyLabelAction':
    case 'recommendLabelAction': {
      if (!Array.isArray(o.actions)) expected(`${path}.actions`, 'a list of actions');
      o.actions = o.actions.map((a, i) => parseAction(a, `${path}.actions[${i}]`));
      optStr(o, 'actionSource', path);
      strArray(o, 'responsibleSensitiveTypeIds', path, false);
      // Legacy answers embed the label instead of naming it: take the id from there.
      if (typeof o.sensitivityLabelId !== 'string') {
        const embedded = o.label === undefined || o.label === null ? undefined : obj(o.label, `${path}.label`);
        if (!embedded || typeof embedded.id !== 'string') expected(`${path}.sensitivityLabelId`, 'a label id');
        o.sensitivityLabelId = embedded.id;
      }
      break;
    }
    case 'customAction':
      str(o, 'name', path);
      keyValueList(o, 'properties', path, false);
      break;
    case 'metadataAction':
      keyValueList(o, 'metadataToAdd', path);
      strArray(o, 'metadataToRemove', path);
      break;
    case 'protectByTemplateAction':
      str(o, 'templateId', path);
      break;
    case 'removeContentHeaderAction':
    case 'removeContentFooterAction':
    case 'removeWatermarkAction':
      strArray(o, 'uiElementNames', path);
      break;
    // justifyAction, protectAdhocAction, protectDoNotForwardAction, removeProtectionAction: no properties.
  }
  return o as unknown as InformationProtectionAction;
}

export function parseActions(json: unknown): InformationProtectionAction[] {
  return collection(json).value.map((a, i) => parseAction(a, `value[${i}]`));
}

const ASSIGNMENT_METHODS = new Set(['standard', 'privileged', 'auto']);

/** `extractContentLabel`: a contentLabel, or null when the content carries no label of this tenant (204 or an empty label id). */
export function parseContentLabel(json: unknown): ContentLabel | null {
  if (json === undefined || json === null || json === '') return null;
  const o = obj(json, '(body)');
  if (o.sensitivityLabelId === null || o.sensitivityLabelId === '') return null;
  const method = str(o, 'assignmentMethod', '(body)');
  if (!ASSIGNMENT_METHODS.has(method)) expected('assignmentMethod', '"standard", "privileged" or "auto"');
  return {
    assignmentMethod: method as ContentLabel['assignmentMethod'],
    createdDateTime: str(o, 'createdDateTime', '(body)'),
    sensitivityLabelId: guid(o, 'sensitivityLabelId', '(body)'),
  };
}
