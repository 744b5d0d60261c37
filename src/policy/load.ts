/**
 * Loading a label policy: the embedded default, a JSON/YAML file, or an object.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { LabelgateError, jsonSyntaxReason } from '../errors.js';
import { DEFAULT_POLICY } from './default-policy.js';
import type { LabelPolicy, PolicyInput } from './schema.js';
import { validatePolicy, type ValidatePolicyOptions } from './validate.js';

/** A policy source: omitted (embedded default), a file path, an input object, or a validated policy. */
export type PolicySource = undefined | null | string | PolicyInput | LabelPolicy;

export type LoadPolicyOptions = Pick<ValidatePolicyOptions, 'knownTypeIds'>;

const MAX_POLICY_BYTES = 4 * 1024 * 1024;

let embedded: LabelPolicy | undefined;

/** The embedded default policy (validated once, then shared). */
export function defaultPolicy(): LabelPolicy {
  embedded ??= validatePolicy(DEFAULT_POLICY, { source: 'embedded default' });
  return embedded;
}

function isValidated(value: unknown): value is LabelPolicy {
  return typeof value === 'object' && value !== null && typeof (value as LabelPolicy).version === 'string' && Object.isFrozen(value);
}

/** Parse policy text. JSON for `.json`, YAML (a superset of JSON) otherwise. */
export function parsePolicyText(text: string, source: string): unknown {
  if (text.length > MAX_POLICY_BYTES) {
    throw new LabelgateError('POLICY_PARSE', `label policy (${source}) is larger than ${MAX_POLICY_BYTES} bytes`);
  }
  if (extname(source).toLowerCase() === '.json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new LabelgateError('POLICY_PARSE', `label policy (${source}) is not valid JSON: ${jsonSyntaxReason(err)}`, { cause: err });
    }
  }
  // uniqueKeys catches the classic copy-paste mistake of two `labels:` blocks.
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = first.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new LabelgateError('POLICY_PARSE', `label policy (${source}) is not valid YAML${where}: ${first.message.split('\n')[0]}`, {
      cause: first,
    });
  }
  return doc.toJS({ maxAliasCount: 100 });
}

function readPolicyFile(path: string, text: string, options: LoadPolicyOptions): LabelPolicy {
  return validatePolicy(parsePolicyText(text, path), { ...options, source: path });
}

function notFound(path: string, err: unknown): LabelgateError {
  const code = (err as NodeJS.ErrnoException).code;
  return new LabelgateError(
    'POLICY_NOT_FOUND',
    code === 'ENOENT' ? `label policy file not found: ${path}` : `cannot read label policy file ${path}: ${(err as Error).message}`,
    { cause: err },
  );
}

/** Load and validate a policy. */
export async function loadPolicy(source?: PolicySource, options: LoadPolicyOptions = {}): Promise<LabelPolicy> {
  if (typeof source === 'string') {
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (err) {
      throw notFound(source, err);
    }
    return readPolicyFile(source, text, options);
  }
  return loadPolicySync(source, options);
}

/** Synchronous variant, for start-up code (fail fast before the server listens). */
export function loadPolicySync(source?: PolicySource, options: LoadPolicyOptions = {}): LabelPolicy {
  if (source === undefined || source === null) return defaultPolicy();
  if (typeof source === 'string') {
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch (err) {
      throw notFound(source, err);
    }
    return readPolicyFile(source, text, options);
  }
  if (isValidated(source)) return source;
  return validatePolicy(source, { ...options, source: 'object' });
}
