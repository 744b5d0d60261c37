import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyMetadataChange,
  buildMsipMetadata,
  formatMsipHeader,
  parseMsipHeader,
  parseMsipMetadata,
  LabelgateError,
  type KeyValuePair,
} from '../../src/index.js';

const guid = fc.uuid().map((u) => u.toLowerCase());
const attrName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,20}$/).filter(
  (n) => !['enabled', 'setdate', 'method', 'name', 'siteid', 'actionid', 'contentbits'].includes(n.toLowerCase()),
);
const labelInput = fc.record({
  labelId: guid,
  siteId: guid,
  name: fc.string({ maxLength: 60 }),
  method: fc.constantFrom('Standard' as const, 'Privileged' as const),
  contentBits: fc.integer({ min: 0, max: 15 }),
  actionId: guid,
  setDate: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')),
  extended: fc.uniqueArray(fc.record({ name: attrName, value: fc.string({ maxLength: 40 }) }), { maxLength: 3, selector: (e) => e.name.toLowerCase() }),
});

describe('MSIP metadata', () => {
  it('build → parse round-trips (property)', () => {
    fc.assert(
      fc.property(labelInput, (input) => {
        const [entry, ...rest] = parseMsipMetadata(buildMsipMetadata(input));
        expect(rest).toEqual([]);
        expect(entry).toMatchObject({
          labelId: input.labelId,
          siteId: input.siteId,
          enabled: true,
          name: input.name,
          method: input.method,
          contentBits: input.contentBits,
          actionId: input.actionId,
          setDate: input.setDate,
        });
        expect(entry!.extended).toEqual(Object.fromEntries(input.extended.map((e) => [e.name, e.value])));
      }),
    );
  });

  it('parses keys case-insensitively and several tenants in one set (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(labelInput, { minLength: 1, maxLength: 4, selector: (l) => l.labelId }), fc.boolean(), (labels, upper) => {
        const pairs = labels.flatMap((l) => buildMsipMetadata(l)).map((p) => ({ name: upper ? p.name.toUpperCase() : p.name.toLowerCase(), value: p.value }));
        const entries = parseMsipMetadata(pairs);
        expect(entries.map((e) => e.labelId)).toEqual(labels.map((l) => l.labelId));
        expect(entries.map((e) => e.siteId)).toEqual(labels.map((l) => l.siteId));
      }),
    );
  });

  it('accepts a plain object, braced tenant ids and ignores unrelated keys', () => {
    const entries = parseMsipMetadata({
      Title: 'Q3',
      'MSIP_Label_3a80e051-487c-40d4-b491-73ad25d997e6_Enabled': 'True',
      'MSIP_Label_3a80e051-487c-40d4-b491-73ad25d997e6_SiteId': '{CFA4CF1D-A337-4481-AA99-19D8F3D63F7C}',
      'MSIP_Label_3a80e051-487c-40d4-b491-73ad25d997e6_Method': 'standard',
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ enabled: true, siteId: 'cfa4cf1d-a337-4481-aa99-19d8f3d63f7c', method: 'Standard', contentBits: undefined });
  });

  const L = 'MSIP_Label_3a80e051-487c-40d4-b491-73ad25d997e6';
  const SITE = { name: `${L}_SiteId`, value: 'cfa4cf1d-a337-4481-aa99-19d8f3d63f7c' };
  it.each<[string, KeyValuePair[], RegExp]>([
    ['a key without a GUID', [{ name: 'MSIP_Label_nope_Enabled', value: 'true' }], /not of the form MSIP_Label_<GUID>_<Attribute>/],
    ['Enabled that is not a boolean', [{ name: `${L}_Enabled`, value: 'yes' }, SITE], /Enabled: expected "true" or "false"/],
    ['a missing SiteId', [{ name: `${L}_Enabled`, value: 'true' }], /SiteId is mandatory/],
    ['a SiteId that is not a GUID', [{ name: `${L}_Enabled`, value: 'true' }, { name: `${L}_SiteId`, value: 'contoso' }], /expected a tenant GUID/],
    ['ContentBits that is not a number', [{ name: `${L}_Enabled`, value: 'true' }, SITE, { name: `${L}_ContentBits`, value: '0x8' }], /ContentBits: expected a non-negative integer/],
    ['an unknown Method', [{ name: `${L}_Enabled`, value: 'true' }, SITE, { name: `${L}_Method`, value: 'Auto' }], /Method: expected "Standard" or "Privileged"/],
    ['conflicting duplicate keys', [{ name: `${L}_Enabled`, value: 'true' }, SITE, { name: `${L}_ENABLED`, value: 'false' }], /duplicate key/],
  ])('rejects %s with a clear error', (_what, pairs, message) => {
    expect(() => parseMsipMetadata(pairs)).toThrow(message);
    expect(() => parseMsipMetadata(pairs)).toThrow(LabelgateError);
    expect(parseMsipMetadata(pairs, { mode: 'lenient' })).toEqual([]);
  });

  it('refuses to build invalid metadata', () => {
    const base = { labelId: '3a80e051-487c-40d4-b491-73ad25d997e6', siteId: SITE.value, name: 'x', method: 'Standard' as const, contentBits: 0 };
    expect(() => buildMsipMetadata({ ...base, labelId: 'x' })).toThrow(/label id is not a GUID/);
    expect(() => buildMsipMetadata({ ...base, contentBits: 16 })).toThrow(/ContentBits/);
    expect(() => buildMsipMetadata({ ...base, extended: [{ name: 'Enabled', value: 'x' }] })).toThrow(/standard attribute/);
    expect(() => buildMsipMetadata({ ...base, extended: [{ name: 'a b', value: 'x' }] })).toThrow(/extended property name/);
  });

  it('applies metadata changes case-insensitively, keeping unrelated pairs in order', () => {
    const out = applyMetadataChange(
      [{ name: 'Title', value: 't' }, { name: 'msip_label_a_enabled', value: 'true' }, { name: 'Other', value: 'o' }],
      [{ name: 'MSIP_Label_b_Enabled', value: 'true' }],
      ['MSIP_LABEL_A_ENABLED'],
    );
    expect(out).toEqual([{ name: 'Title', value: 't' }, { name: 'Other', value: 'o' }, { name: 'MSIP_Label_b_Enabled', value: 'true' }]);
  });

  it('msip_labels header: printable ASCII, round-trips any value (property)', () => {
    fc.assert(
      fc.property(labelInput, fc.string({ unit: 'binary', maxLength: 40 }), (input, name) => {
        const pairs = buildMsipMetadata({ ...input, name });
        const header = formatMsipHeader(pairs);
        expect(header).toMatch(/^[\x20-\x7e]*$/);
        const back = parseMsipHeader(header);
        // Lone surrogates cannot be encoded as UTF-8; they come back as U+FFFD.
        const expected = pairs.map((p) => ({ name: p.name, value: Buffer.from(p.value, 'utf8').toString('utf8') }));
        expect(back).toEqual(expected);
      }),
    );
  });

  it('parses real-world msip_labels headers (legacy tokens skipped)', () => {
    const header =
      'MSIP_Label_f42aa342-8706-4288-bd11-ebb85995028c_Enabled=True; MSIP_Label_f42aa342-8706-4288-bd11-ebb85995028c_SiteId=72f988bf-86f1-41af-91ab-2d7cd011db47; MSIP_Label_f42aa342-8706-4288-bd11-ebb85995028c_Name=General; aiplabel';
    const entries = parseMsipMetadata(parseMsipHeader(header));
    expect(entries[0]).toMatchObject({ name: 'General', enabled: true });
  });
});
