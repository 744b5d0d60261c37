/**
 * Presidio's labeled recognizer examples (test/fixtures/classify/presidio-*.json), asserted against
 * labelgate's verdicts: the spans of every match of the corresponding type. Where labelgate
 * deliberately disagrees, the fixture carries `labelgate` (our spans) and a `note` saying why.
 */
import { describe, expect, it } from 'vitest';
import { SIT } from '../../src/index.js';
import { fixture, scan, spans } from './helpers.js';

interface Case {
  text: string;
  count: number;
  spans?: [number, number][];
  labelgate?: [number, number][];
  note?: string;
}
interface File {
  source: string;
  keywordPrefix?: string;
  cases: Case[];
}

const files: [string, string[]][] = [
  ['presidio-credit-card.json', [SIT.creditCard]],
  ['presidio-us-ssn.json', [SIT.usSsn]],
  ['presidio-ip.json', [SIT.ipv4Address, SIT.ipv6Address]],
  ['presidio-email.json', [SIT.email]],
  ['presidio-phone.json', [SIT.phone]],
  ['presidio-iban.json', [SIT.iban]],
];

describe.each(files)('%s', (name, types) => {
  const file = fixture<File>(name);
  const prefix = file.keywordPrefix ?? '';

  it('has a source note and cases', () => {
    expect(file.source).toMatch(/microsoft\/presidio @ [0-9a-f]{40}/);
    expect(file.cases.length).toBeGreaterThan(5);
  });

  it.each(file.cases.map((c) => [c.text, c] as const))('%j', (_text, c) => {
    const got = spans(scan(prefix + c.text), types, prefix.length);
    if (c.labelgate) {
      expect(c.note, 'every disagreement is explained').toBeTruthy();
      expect(got).toEqual(c.labelgate);
    } else if (c.spans) {
      expect(got).toEqual(c.spans);
    } else {
      expect(got).toHaveLength(c.count);
    }
  });

  if (prefix) {
    it('reports nothing without the keyword (Microsoft requires Keyword_ssn)', () => {
      for (const c of file.cases) expect(spans(scan(c.text), types)).toEqual([]);
    });
  }
});
