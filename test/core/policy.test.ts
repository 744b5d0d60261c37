import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY, LabelgateError, createLabeler, defaultPolicy, loadPolicy, loadPolicySync, validatePolicy } from '../../src/index.js';
import { L, testPolicy } from '../helpers/policies.js';

const fixture = (name: string) => new URL(`../fixtures/policies/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'labelgate-policy-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LabelgateError);
    return ((err as LabelgateError).detail!.issues as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the policy to be rejected');
}

describe('label policy', () => {
  it('the embedded default policy is valid and complete', () => {
    const p = defaultPolicy();
    expect(p.labels.map((l) => [l.name, l.sensitivity])).toEqual([
      ['Public', 0],
      ['General', 1],
      ['Confidential', 2],
      ['Highly Confidential', 3],
    ]);
    expect(p.labels.filter((l) => l.autoLabeling).map((l) => l.name)).toEqual(['Confidential', 'Highly Confidential']);
    const hc = p.labels[3]!;
    expect(Object.keys(hc.markings).sort()).toEqual(['footer', 'header', 'watermark']);
    expect(p.labels.every((l) => !l.protection)).toBe(true);
    expect(Object.isFrozen(p.labels[0])).toBe(true);
  });

  it('loads YAML and JSON files', async () => {
    const yaml = await loadPolicy(fixture('contoso.yaml'));
    expect(yaml.name).toBe('Contoso');
    expect(yaml.customTypes[0]!.keywords).toEqual(['employee', 'staff id']);
    expect(yaml.labels[2]!.markings.header).toMatchObject({ text: 'HR CONFIDENTIAL', alignment: 'left', fontName: 'Calibri', fontSize: 10 });
    const json = loadPolicySync(file('p.json', JSON.stringify(testPolicy())));
    expect(json.labels).toHaveLength(8);
    expect(json.labels.find((l) => l.id === L.secretParent)!.isAppliable).toBe(false);
  });

  it('reports precise paths for schema errors', () => {
    const bad = testPolicy() as unknown as { labels: Record<string, unknown>[] };
    (bad.labels[2]!.autoLabeling as { conditions: Record<string, unknown>[] }).conditions[0]!.minCount = 0;
    bad.labels[1]!.colour = '#fff';
    bad.labels[0]!.sensitivity = 'high';
    (bad.labels[4]!.markings as { header: Record<string, unknown> }).header.alignment = 'middle';
    expect(issuesOf(() => validatePolicy(bad))).toEqual([
      'labels[0].sensitivity: expected a non-negative integer',
      'labels[1].colour: unknown field (check the spelling; fields are case-sensitive)',
      'labels[2].autoLabeling.conditions[0].minCount: expected a positive integer',
      'labels[4].markings.header.alignment: expected "left", "right" or "center"',
    ]);
  });

  it('reports missing required fields', () => {
    expect(issuesOf(() => validatePolicy({ labels: [{ name: 'x', sensitivity: 0 }] }))).toEqual([
      'settings: is required (expected an object (mapping))',
      'labels[0].id: is required (expected a GUID string)',
    ]);
  });

  it('checks cross-field rules', () => {
    const p = testPolicy({ defaultLabelId: L.retired });
    p.labels.push({ id: L.public.toUpperCase(), name: 'public', sensitivity: 9 });
    p.labels.push({ id: 'abcdef00-0000-4000-8000-00000000000a', name: 'Orphan', sensitivity: 1, parent: 'abcdef00-0000-4000-8000-00000000000b' });
    p.labels.push({ id: 'abcdef00-0000-4000-8000-00000000000c', name: 'Grandchild', sensitivity: 1, parent: L.secret });
    p.labels.push({
      id: 'abcdef00-0000-4000-8000-00000000000d',
      name: 'Bad rule',
      sensitivity: 1,
      autoLabeling: { conditions: [{ sensitiveTypeId: 'abcdef00-0000-4000-8000-00000000000e', minCount: 5, maxCount: 2 }] },
    });
    p.labels[3]!.isAppliable = true; // the Secret parent
    expect(issuesOf(() => validatePolicy(p))).toEqual([
      `labels[8].id: duplicate label id (also labels[0])`,
      'labels[8].name: duplicate label name "public" (also labels[0])',
      'labels[9].parent: no label with id abcdef00-0000-4000-8000-00000000000b',
      'labels[10].parent: sub-labels can be nested one level deep only (the parent has a parent)',
      'labels[3].isAppliable: a label with sub-labels cannot be applied directly; set false or remove it',
      'labels[11].autoLabeling.conditions[0].sensitiveTypeId: unknown sensitive information type abcdef00-0000-4000-8000-00000000000e (not built in and not in customTypes)',
      'labels[11].autoLabeling.conditions[0].maxCount: must be at least minCount (5)',
      'settings.defaultLabelId: label "Retired" is inactive or not appliable',
    ]);
  });

  it('checks custom sensitive types, including patterns that could hang the scanner', () => {
    const p = testPolicy();
    p.customTypes = [
      { id: 'abcdef00-0000-4000-8000-000000000001', name: 'broken', pattern: '(unclosed' },
      { id: 'abcdef00-0000-4000-8000-000000000002', name: 'redos', pattern: '(\\w+\\s?)*x' },
      { id: 'abcdef00-0000-4000-8000-000000000003', name: 'empty', pattern: 'x*' },
      { id: 'abcdef00-0000-4000-8000-000000000004', name: 'backref', pattern: '(a)\\1' },
      { id: '50842eb7-edc8-4019-85dd-5a5c1f2bb085', name: 'shadow', pattern: 'card' },
      { id: 'abcdef00-0000-4000-8000-000000000005', name: 'nokw', pattern: 'P-\\d{4}', confidenceWithoutKeyword: null },
    ];
    const issues = issuesOf(() => validatePolicy(p));
    expect(issues[0]).toMatch(/^customTypes\[0\]\.pattern: does not compile/);
    expect(issues[1]).toMatch(/^customTypes\[1\]\.pattern: nested unbounded quantifier near "\(\\w\+\\s\?\)\*"/);
    expect(issues[2]).toBe('customTypes[2].pattern: matches the empty string; a sensitive type must match at least one character');
    expect(issues[3]).toMatch(/^customTypes\[3\]\.pattern: backreferences are not allowed/);
    expect(issues[4]).toBe('customTypes[4].id: collides with a built-in sensitive information type id');
    expect(issues[5]).toBe('customTypes[5].confidenceWithoutKeyword: null requires a keyword, but no keywords are listed');
    expect(issues).toHaveLength(6);
  });

  it('explains YAML and JSON syntax errors with their position, and missing files', () => {
    expect(() => loadPolicySync(file('bad.yaml', 'settings:\n  siteId: [unclosed\nlabels: []\n'))).toThrow(/is not valid YAML at line \d+, column \d+/);
    expect(() => loadPolicySync(file('dup.yaml', 'labels: []\nlabels: []\n'))).toThrow(/not valid YAML.*[Mm]ap keys must be unique/);
    expect(() => loadPolicySync(file('bad.json', '{"labels": [}'))).toThrow(/is not valid JSON/);
    expect(() => loadPolicySync(join(dir, 'missing.yaml'))).toThrow(/label policy file not found: .*missing\.yaml/);
    expect(() => createLabeler({ policy: file('empty.yaml', '') })).toThrow(/label policy \(.*empty\.yaml\) is invalid/);
  });

  it('a broken policy file stops createLabeler with the precise message', () => {
    const path = file('broken.yaml', 'settings: { siteId: 72f988bf-86f1-41af-91ab-2d7cd011db47 }\nlabels:\n  - { id: 7fd8b7d6-0000-4000-8000-000000000001, name: A, sensitivity: 0 }\n  - { id: 7fd8b7d6-0000-4000-8000-000000000002, name: B, sensitivity: 1 }\n  - id: 7fd8b7d6-0000-4000-8000-000000000003\n    name: C\n    sensitivity: 2\n    autoLabeling:\n      conditions:\n        - { sensitiveTypeId: a44669fe-0d48-453d-a9b1-2cc83f2cba77, minCount: -3 }\n');
    expect(() => createLabeler({ policy: path })).toThrow('labels[2].autoLabeling.conditions[0].minCount: expected a positive integer');
  });

  it('the version changes whenever a rule changes, and only then', () => {
    const a = validatePolicy(testPolicy());
    const b = validatePolicy(testPolicy());
    const c = validatePolicy(testPolicy({ isMandatory: true }));
    expect(a.version).toMatch(/^[0-9a-f]{16}$/);
    expect(a.version).toBe(b.version);
    expect(a.version).not.toBe(c.version);
  });

  it('the exported DEFAULT_POLICY input is what the embedded policy validates from', () => {
    expect(validatePolicy(DEFAULT_POLICY).version).toBe(defaultPolicy().version);
  });
});

describe('examples', () => {
  it('examples/policy.yaml is a valid policy', async () => {
    const p = await loadPolicy(new URL('../../examples/policy.yaml', import.meta.url).pathname);
    expect(p.labels.map((l) => l.name)).toEqual(['Public', 'General', 'Confidential', 'Highly Confidential']);
  });
});
