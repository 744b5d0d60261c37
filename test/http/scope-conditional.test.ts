import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileFormatScope, decideScope, filenameFromPath, parseDisposition, type ScopeRoute } from '../../src/http/scope.js';
import { etagMatches, guardRequest, ifNoneMatchOf, isFresh, labeledEtag, restoreGuarded } from '../../src/http/conditional.js';
import { asLabelgateError, problemFor } from '../../src/http/fail-mode.js';
import { compilePathPattern } from '../../src/http/options.js';
import { msipLabelsHeader, sensitivityLabelHeader } from '../../src/pipeline/headers.js';
import { LabelgateError, type LabelgateErrorCode } from '../../src/index.js';
import { parseSensitivityLabel } from './helpers.js';

const route = (formats = ['csv', 'tsv', 'pdf', 'ooxml'], extra: Partial<ScopeRoute> = {}): ScopeRoute => ({
  enabled: true,
  configured: false,
  formats: compileFormatScope(formats, 'formats'),
  attachments: true,
  ...extra,
});
const base = { method: 'GET', status: 200, contentType: undefined, disposition: undefined, path: '/x' };

describe('scope', () => {
  it.each([
    [{ contentType: 'text/csv; charset=utf-8' }, true],
    [{ contentType: 'application/pdf' }, true],
    [{ contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }, true],
    [{ contentType: 'application/json' }, false],
    [{ contentType: 'application/json', disposition: 'attachment; filename="a.json"' }, true],
    [{ contentType: 'text/plain' }, false],
    [{ contentType: 'text/plain', disposition: 'attachment' }, true],
    [{ contentType: 'text/html' }, false],
    [{ contentType: 'application/octet-stream', path: '/files/report.xlsx' }, true],
    [{ contentType: 'application/octet-stream', path: '/files/blob' }, false],
    [{ contentType: 'text/csv', method: 'HEAD' }, false],
    [{ contentType: 'text/csv', status: 304 }, false],
    [{ contentType: 'text/csv', status: 204 }, false],
    [{ contentType: 'text/csv', status: 404 }, false],
    [{ contentType: 'text/csv', disposition: 'inline' }, true],
  ])('%o → in scope: %s', (input, expected) => {
    expect(decideScope(route(), false, { ...base, ...input }).inScope).toBe(expected);
  });

  it('route options: JSON by route, disabled routes, routesOnly, attachments off, "*"', () => {
    const json = { ...base, contentType: 'application/vnd.api+json' };
    expect(decideScope(route(['json']), false, json).inScope).toBe(true);
    expect(decideScope(route(['csv'], { enabled: false }), false, { ...base, contentType: 'text/csv' }).inScope).toBe(false);
    expect(decideScope(route(), true, { ...base, contentType: 'text/csv' }).inScope).toBe(false);
    expect(decideScope(route(['csv'], { configured: true }), true, { ...base, contentType: 'text/csv' }).inScope).toBe(true);
    expect(decideScope(route(['csv'], { attachments: false }), false, { ...base, contentType: 'image/png', disposition: 'attachment' }).inScope).toBe(false);
    expect(decideScope(route(['*']), false, { ...base, contentType: 'image/png' }).inScope).toBe(true);
    expect(decideScope(route(), false, { ...base, contentType: 'text/csv', status: 206 })).toMatchObject({ inScope: true, partial: true });
  });

  it('rejects unknown formats with the list of known ones', () => {
    expect(() => compileFormatScope(['xls'], 'routes[0].formats')).toThrow(/routes\[0\]\.formats: unknown format "xls" \(use csv, tsv/);
  });

  it('parses Content-Disposition file names (RFC 6266 / 8187)', () => {
    expect(parseDisposition('attachment; filename="a \\"b\\".csv"')).toEqual({ attachment: true, filename: 'a "b".csv' });
    expect(parseDisposition("attachment; filename=plain.csv; filename*=UTF-8''%E2%82%AC%20rates.csv")).toEqual({ attachment: true, filename: '€ rates.csv' });
    expect(parseDisposition("Attachment; filename*=iso-8859-1'en'%A3.csv")).toEqual({ attachment: true, filename: '£.csv' });
    expect(parseDisposition('inline; filename="../../etc/passwd"')).toEqual({ attachment: false, filename: 'passwd' });
    expect(parseDisposition(undefined)).toEqual({ attachment: false, filename: undefined });
    expect(filenameFromPath('/r/orders%20all.csv')).toBe('orders all.csv');
    expect(filenameFromPath('/r/orders')).toBeUndefined();
  });

  it('compiles match-table path patterns', () => {
    const re = compilePathPattern('/reports/:id.csv');
    expect(re.test('/reports/42.csv')).toBe(true);
    expect(re.test('/reports/4/2.csv')).toBe(false);
    expect(re.test('/reports/42xcsv')).toBe(false);
    expect(compilePathPattern('/exports/*').test('/exports/a/b.pdf')).toBe(true);
    expect(compilePathPattern('/a(b)').test('/a(b)')).toBe(true);
  });
});

describe('conditional requests', () => {
  it('weak comparison of If-None-Match', () => {
    expect(etagMatches('W/"a", "b"', '"b"')).toBe(true);
    expect(etagMatches('"a"', 'W/"a"')).toBe(true);
    expect(etagMatches('*', '"x"')).toBe(true);
    expect(etagMatches('"a"', '"b"')).toBe(false);
    expect(etagMatches(undefined, '"b"')).toBe(false);
    expect(etagMatches('"a"', undefined)).toBe(false);
  });

  it('labeled ETags are weak, stable, and change with the label', () => {
    const id = { labelId: 'x', labelName: 'Confidential', sensitivity: 2, format: 'csv', banner: false, status: 'labeled' };
    const a = labeledEtag('"abc"', id);
    expect(a).toMatch(/^W\/"lg-[A-Za-z0-9_-]{27}"$/);
    expect(labeledEtag('"abc"', id)).toBe(a);
    expect(labeledEtag('"abc"', { ...id, labelId: 'y' })).not.toBe(a);
    expect(labeledEtag('"abd"', id)).not.toBe(a);
    expect(labeledEtag(undefined, id)).toBeUndefined();
  });

  it('guards and restores Range and validators', () => {
    const headers: Record<string, string | undefined> = { range: 'bytes=0-1', 'if-range': '"x"', 'if-none-match': '"y"', 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT', accept: '*/*' };
    const saved = guardRequest(headers)!;
    expect(headers).toEqual({ accept: '*/*' });
    expect(saved.ifNoneMatch).toBe('"y"');
    restoreGuarded(headers, saved);
    expect(headers.range).toBe('bytes=0-1');
    expect(headers['if-modified-since']).toBe('Mon, 01 Jan 2024 00:00:00 GMT');
    expect(guardRequest({ accept: '*/*' })).toBeUndefined();
  });

  it('freshness for out-of-scope guarded responses', () => {
    expect(isFresh({ ifNoneMatch: '"a"', ifModifiedSince: undefined, range: undefined, ifRange: undefined, noCache: false }, 'W/"a"', undefined)).toBe(true);
    const since = { ifNoneMatch: undefined, ifModifiedSince: 'Tue, 02 Jan 2024 00:00:00 GMT', range: undefined, ifRange: undefined, noCache: false };
    expect(isFresh(since, undefined, 'Mon, 01 Jan 2024 00:00:00 GMT')).toBe(true);
    expect(isFresh(since, undefined, 'Wed, 03 Jan 2024 00:00:00 GMT')).toBe(false);
  });

  it('a request with Cache-Control: no-cache is never fresh (as Express\'s `fresh`)', () => {
    for (const cc of ['no-cache', 'max-age=0, no-cache', 'NO-CACHE , max-age=0']) {
      const saved = guardRequest({ 'if-none-match': '"a"', 'if-modified-since': 'Tue, 02 Jan 2024 00:00:00 GMT', 'cache-control': cc })!;
      expect(isFresh(saved, '"a"', 'Mon, 01 Jan 2024 00:00:00 GMT')).toBe(false);
      expect(ifNoneMatchOf({ 'cache-control': cc }, saved)).toBeUndefined();
      expect(ifNoneMatchOf({ 'cache-control': cc, 'if-none-match': '"a"' }, undefined)).toBeUndefined();
    }
    const plain = guardRequest({ 'if-none-match': '"a"', 'cache-control': 'max-age=0, no-cache-please' })!;
    expect(isFresh(plain, '"a"', undefined)).toBe(true);
    expect(ifNoneMatchOf({}, plain)).toBe('"a"');
  });
});

describe('header values', () => {
  it('Sensitivity-Label is printable ASCII and round-trips any label name (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.integer(), (name, id, sensitivity) => {
        const header = sensitivityLabelHeader({ label: { id, name, sensitivity }, method: 'standard' });
        if (!/^[\x20-\x7e]*$/.test(header)) return false;
        const parsed = parseSensitivityLabel(header);
        // Lone surrogates cannot be UTF-8 encoded: they become U+FFFD, like any UTF-8 encoder does.
        const wellFormed = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s));
        return parsed.name === wellFormed(name) && parsed.id === wellFormed(id) && parsed.method === 'standard' && Number.isSafeInteger(parsed.sensitivity);
      }),
      { numRuns: 500 },
    );
  });

  it('msip_labels carries only well-formed MSIP keys and safe values (property)', () => {
    const guid = '8d1fae52-273a-4ba3-8c09-2017649b1053';
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.oneof(fc.string({ unit: 'binary' }), fc.constant(`MSIP_Label_${guid}_Name`)), value: fc.string({ unit: 'binary' }) })), (pairs) => {
        const header = msipLabelsHeader(pairs);
        if (header === undefined) return true;
        return /^[\x20-\x7e]*$/.test(header) && header.split('; ').every((p) => /^MSIP_Label_[0-9a-fA-F-]{36}_[A-Za-z0-9_.-]+=/.test(p));
      }),
      { numRuns: 300 },
    );
    expect(msipLabelsHeader([{ name: `MSIP_Label_${guid}_Name\r\nX-Evil: 1`, value: 'x' }])).toBeUndefined();
  });
});

describe('problem details', () => {
  it('every error code maps to a status, a generic detail and a URN type', () => {
    const codes: LabelgateErrorCode[] = ['SIZE_LIMIT', 'PARTIAL_CONTENT', 'GRAPH_UNAVAILABLE', 'GRAPH_AUTH', 'PROTECTION_UNAVAILABLE', 'FORMAT_MALFORMED', 'CLASSIFY_FAILED', 'CAPTURE_FAILED', 'LABELING_FAILED', 'POLICY_INVALID'];
    const statuses = codes.map((c) => problemFor(new LabelgateError(c, `secret detail for ${c}`), 'r1'));
    expect(statuses.map((p) => p.status)).toEqual([507, 416, 503, 502, 500, 422, 500, 507, 500, 500]);
    for (const p of statuses) {
      expect(p.detail).not.toContain('secret detail');
      expect(p.type).toMatch(/^urn:labelgate:problem:[a-z-]+$/);
      expect(p.requestId).toBe('r1');
    }
  });

  it('foreign errors lose their message (it could quote content)', () => {
    const err = asLabelgateError(new RangeError('value 4111111111111111 out of range'));
    expect(err.code).toBe('LABELING_FAILED');
    expect(err.message).not.toContain('4111');
  });
});
