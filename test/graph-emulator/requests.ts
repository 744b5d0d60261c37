/**
 * Request body checks of the Graph emulator: the documented parameters of each action, nothing
 * more and nothing less, with the types Graph declares. A request our client gets wrong is
 * answered with 400 like Graph's OData layer would, naming the offending property.
 */
export type ActionName = 'evaluateApplication' | 'evaluateClassificationResults' | 'evaluateRemoval' | 'extractContentLabel';

type Json = Record<string, unknown>;

export class BadRequest extends Error {}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function object(v: unknown, path: string, allowed: readonly string[], required: readonly string[], odataType?: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadRequest(`${path}: expected an object`);
  const o = v as Json;
  for (const key of Object.keys(o)) {
    if (key === '@odata.type') {
      if (o[key] !== odataType) throw new BadRequest(`${path}: @odata.type must be ${odataType ?? 'absent'}`);
      continue;
    }
    if (!allowed.includes(key)) throw new BadRequest(`The property '${key}' does not exist on type '${odataType?.slice(1) ?? path}'`);
  }
  for (const key of required) if (!(key in o)) throw new BadRequest(`${path}.${key} is required`);
  return o;
}

function string(o: Json, key: string, path: string, nullable = false): void {
  const v = o[key];
  if (v === undefined || (nullable && v === null)) return;
  if (typeof v !== 'string') throw new BadRequest(`${path}.${key}: expected a string`);
}

function keyValuePairs(v: unknown, path: string): void {
  if (!Array.isArray(v)) throw new BadRequest(`${path}: expected a collection of keyValuePair`);
  v.forEach((p, i) => {
    const pair = object(p, `${path}[${i}]`, ['name', 'value'], ['name', 'value'], '#microsoft.graph.security.keyValuePair');
    string(pair, 'name', `${path}[${i}]`);
    string(pair, 'value', `${path}[${i}]`);
  });
}

function contentInfo(v: unknown): void {
  const o = object(
    v,
    'contentInfo',
    ['contentFormat', 'identifier', 'metadata', 'state'],
    ['contentFormat', 'metadata', 'state'],
    '#microsoft.graph.security.contentInfo',
  );
  string(o, 'contentFormat', 'contentInfo');
  string(o, 'identifier', 'contentInfo', true);
  if (!['rest', 'motion', 'use'].includes(o.state as string)) throw new BadRequest('contentInfo.state: expected rest, motion or use');
  keyValuePairs(o.metadata, 'contentInfo.metadata');
}

function downgradeJustification(v: unknown, path: string): void {
  const o = object(v, path, ['isDowngradeJustified', 'justificationMessage'], ['isDowngradeJustified'], '#microsoft.graph.security.downgradeJustification');
  if (typeof o.isDowngradeJustified !== 'boolean') throw new BadRequest(`${path}.isDowngradeJustified: expected a boolean`);
  string(o, 'justificationMessage', path, true);
}

function labelingOptions(v: unknown): void {
  const o = object(
    v,
    'labelingOptions',
    ['assignmentMethod', 'downgradeJustification', 'extendedProperties', 'labelId'],
    ['labelId'],
    '#microsoft.graph.security.labelingOptions',
  );
  if (typeof o.labelId !== 'string' || !GUID.test(o.labelId)) throw new BadRequest('labelingOptions.labelId: expected a GUID');
  if (o.assignmentMethod !== undefined && !['standard', 'privileged', 'auto'].includes(o.assignmentMethod as string)) {
    throw new BadRequest('labelingOptions.assignmentMethod: expected standard, privileged or auto');
  }
  if (o.downgradeJustification !== undefined && o.downgradeJustification !== null) downgradeJustification(o.downgradeJustification, 'labelingOptions.downgradeJustification');
  if (o.extendedProperties !== undefined) keyValuePairs(o.extendedProperties, 'labelingOptions.extendedProperties');
}

function classificationResults(v: unknown): void {
  if (!Array.isArray(v)) throw new BadRequest('classificationResults: expected a collection');
  v.forEach((r, i) => {
    const path = `classificationResults[${i}]`;
    const o = object(r, path, ['sensitiveTypeId', 'count', 'confidenceLevel'], ['sensitiveTypeId', 'count', 'confidenceLevel'], '#microsoft.graph.security.classificationResult');
    if (typeof o.sensitiveTypeId !== 'string' || !GUID.test(o.sensitiveTypeId)) throw new BadRequest(`${path}.sensitiveTypeId: expected a GUID`);
    for (const k of ['count', 'confidenceLevel']) if (!Number.isInteger(o[k])) throw new BadRequest(`${path}.${k}: expected an Int32`);
  });
}

/** Throws BadRequest when the body is not exactly the action's documented parameters. */
export function checkActionBody(action: ActionName, body: unknown): Json {
  switch (action) {
    case 'evaluateApplication': {
      const o = object(body, '(body)', ['contentInfo', 'labelingOptions'], ['contentInfo', 'labelingOptions']);
      contentInfo(o.contentInfo);
      labelingOptions(o.labelingOptions);
      return o;
    }
    case 'evaluateClassificationResults': {
      const o = object(body, '(body)', ['contentInfo', 'classificationResults'], ['contentInfo', 'classificationResults']);
      contentInfo(o.contentInfo);
      classificationResults(o.classificationResults);
      return o;
    }
    case 'evaluateRemoval': {
      const o = object(body, '(body)', ['contentInfo', 'downgradeJustification'], ['contentInfo', 'downgradeJustification']);
      contentInfo(o.contentInfo);
      downgradeJustification(o.downgradeJustification, 'downgradeJustification');
      return o;
    }
    case 'extractContentLabel': {
      const o = object(body, '(body)', ['contentInfo'], ['contentInfo']);
      contentInfo(o.contentInfo);
      return o;
    }
  }
}
