/**
 * Organization-defined types: pattern, keywords within a proximity, two confidence levels, and the
 * guards against patterns that would stall a download (static check + segments + time budget).
 */
import { describe, expect, it } from 'vitest';
import { checkCustomPattern, classify, createLabeler, createScanner, isLabelgateError, type CustomSensitiveType } from '../../src/index.js';
import { count, levels, scan, scanChunks } from './helpers.js';

const EMPLOYEE: CustomSensitiveType = {
  id: '6d0b1c1e-8f7a-4c4e-9a55-0d7f0b3a1e01',
  name: 'Employee ID',
  description: '',
  pattern: 'EMP-\\d{6}',
  caseSensitive: true,
  keywords: ['employee', 'staff id'],
  proximity: 50,
  confidenceWithKeyword: 85,
  confidenceWithoutKeyword: 65,
};
const CODENAME: CustomSensitiveType = {
  id: '6d0b1c1e-8f7a-4c4e-9a55-0d7f0b3a1e02',
  name: 'Project codename',
  description: '',
  pattern: '\\b(?:bluebird|nightjar)\\b',
  caseSensitive: false,
  keywords: ['project'],
  proximity: 300,
  confidenceWithKeyword: 75,
  confidenceWithoutKeyword: null,
};

describe('custom sensitive types', () => {
  it('matches the pattern and counts distinct values', () => {
    const { results } = scan('EMP-123456, EMP-123456, EMP-654321, emp-111111', { customTypes: [EMPLOYEE] });
    expect(results).toContainEqual({ sensitiveTypeId: EMPLOYEE.id, count: 2, confidenceLevel: 65 });
  });

  it('keywords within the proximity raise the confidence', () => {
    const near = scan('employee EMP-123456', { customTypes: [EMPLOYEE] });
    expect(levels(near.results, EMPLOYEE.id)).toEqual([85]);
    const far = scan(`employee${' '.repeat(60)}EMP-123456`, { customTypes: [EMPLOYEE] });
    expect(levels(far.results, EMPLOYEE.id)).toEqual([65]);
  });

  it('confidenceWithoutKeyword null means a keyword is required; caseSensitive false folds case', () => {
    expect(count(scan('Bluebird launches', { customTypes: [CODENAME] }).results, CODENAME.id)).toBe(0);
    const { results } = scan('Project BLUEBIRD and project nightjar and bluebird', { customTypes: [CODENAME] });
    expect(results).toContainEqual({ sensitiveTypeId: CODENAME.id, count: 2, confidenceLevel: 75 });
  });

  it('works across chunk boundaries with non-ASCII text', () => {
    const text = `é😀 employee ${'漢'.repeat(10)} EMP-123456 ${'x'.repeat(500)} EMP-654321`;
    const whole = scan(text, { customTypes: [EMPLOYEE] });
    for (const cut of [3, 15, 20, 21, 22, 30, 40]) {
      expect(scanChunks(text, [cut, cut + 7], { customTypes: [EMPLOYEE] })).toEqual(whole);
    }
    expect(whole.matches.filter((m) => m.sensitiveTypeId === EMPLOYEE.id).map((m) => [m.offset, m.masked])).toEqual([
      [text.indexOf('EMP-123456'), 'EM*-****56'],
      [text.indexOf('EMP-654321'), 'EM*-****21'],
    ]);
  });

  it('the labeler classifies with the policy\'s custom types', async () => {
    const labeler = createLabeler({
      policy: {
        settings: { siteId: 'f8d5ad45-1d82-4562-acb8-5daaa0354496' },
        labels: [{ id: '2460e39a-0b4e-49d0-9106-6a1ce01bbb35', name: 'Public', sensitivity: 0 }],
        customTypes: [{ id: EMPLOYEE.id, name: 'Employee ID', pattern: 'EMP-\\d{6}', keywords: ['employee'] }],
      },
    });
    const results = await labeler.classify('employee EMP-123456 and Visa 4111111111111111', { customTypes: [CODENAME] });
    expect(results).toContainEqual({ sensitiveTypeId: EMPLOYEE.id, count: 1, confidenceLevel: 85 });
    // The caller's definition of the same id replaces the policy's.
    const replaced = await labeler.classify('employee EMP-123456', { customTypes: [{ ...EMPLOYEE, confidenceWithKeyword: 70 }] });
    expect(replaced).toEqual([{ sensitiveTypeId: EMPLOYEE.id, count: 1, confidenceLevel: 70 }]);
    expect(results.some((r) => r.sensitiveTypeId === '50842eb7-edc8-4019-85dd-5a5c1f2bb085')).toBe(true);
  });

  it('rejects invalid custom types with INPUT_INVALID', async () => {
    const bad = [
      { ...EMPLOYEE, id: 'nope' },
      { ...EMPLOYEE, pattern: '(' },
      { ...EMPLOYEE, pattern: '(a+)+$' },
      { ...EMPLOYEE, keywords: [], confidenceWithoutKeyword: null },
      { ...EMPLOYEE, id: '50842eb7-edc8-4019-85dd-5a5c1f2bb085' },
      [EMPLOYEE, EMPLOYEE],
    ];
    for (const t of bad) {
      await expect(classify('x', { customTypes: Array.isArray(t) ? t : [t] })).rejects.toSatisfy((e: unknown) => isLabelgateError(e) && e.code === 'INPUT_INVALID');
    }
  });
});

describe('pattern safety', () => {
  it.each([
    ['(a+)+b', /nested unbounded quantifier near "\(a\+\)\+"/],
    ['(\\w+\\s?)*x', /nested unbounded/],
    ['(\\w+\\s?)*$', /empty string/],
    ['(.*a){12}', /nested unbounded/],
    ['(a?a)+b', /nested unbounded/],
    ['(a|ab)*c', /repeated alternatives/],
    ['(a|a){1,60}x', /repeated alternatives near "\(a\|a\)"/],
    ['(?:\\w|\\d){1,60}!', /repeated alternatives/],
    ['(a|ab){1,30}c', /repeated alternatives/],
    ['(?:a|b|ab)+', /repeated alternatives/],
    ['(\\d{1,50}){1,50}', /variable repetition inside .* \(limit 256\)/],
    ['(?:[a-z]{1,4}){5}', /variable repetition inside/],
    ['(?<=a+)b', /lookbehind with a long repetition/],
    ['(?=\\w{1,40}x)\\w', /lookahead with a long repetition/],
    ['\\d+\\d+x', /repetitions "\\d\+", "\\d\+" can match the same characters .* after the search over start positions/],
    ['\\d+\\d+\\d+\\d+x', /tries every split/],
    ['\\d+\\w+[0-9]*x', /tries every split/],
    ['[\\w-]+-[\\w-]+x', /tries every split/],
    ['EMP-\\d+\\d+\\d+x', /tries every split/],
    ['\\d+\\d{1,64}x', /tries every split/],
    ['(a)\\1', /backreferences/],
    ['(?<n>a)\\k<n>', /backreferences/],
    ['a*', /empty string/],
    // Overlaps only through characters written as escapes or beyond Latin (a full-width space, digits).
    ['Name:(?:\\s|\\u3000)+\\p{L}', /repeated alternatives/],
    ['(?:\\s|\\u3000)+x', /repeated alternatives/],
    ['(?:[\\uFF10-\\uFF19]|\\p{Nd})+-', /repeated alternatives/],
    ['(?:[\\u0100-\\u0fff]|\\u0500)+!', /repeated alternatives/],
    ['\\p{Nd}+[\\uFF10-\\uFF19]+\\p{Nd}+x', /tries every split/],
    ['(?:\\u{3000}|\\s)+x', /repeated alternatives/],
  ])('rejects %s', (pattern, message) => {
    expect(checkCustomPattern(pattern)).toMatch(message);
  });

  it.each([
    'EMP-\\d{6}',
    '\\b(?:bluebird|nightjar)\\b',
    '(\\d{1,3}\\.){3}\\d{1,3}',
    '(?:\\d{4}[ -]?){3}\\d{4}',
    '(?:PRJ|PROJ)-\\d{4,6}',
    '(?:PRJ|PROJ){1,5}-\\d{4}',
    '[A-Z]{2}\\d{6,8}',
    '\\b[A-Z]{3}-\\d{4}\\b',
    // Quadratic at worst (one run per start position for the local part), so accepted.
    '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}',
    '[A-Z]{3}-\\d+',
    'secret\\s+project\\s+\\w+',
    '\\d{1,20}-\\d{1,20}-\\d{1,20}',
    '\\d+-\\d+-\\d+',
    'EMP-\\d+\\d+x',
    '(?:\\w+\\s)+x',
    '(?:\\d|x){1,60}!',
    '\\b(?:\\d{3}-\\d{2}-\\d{4}|\\d{9})\\b',
    '(?<![\\w.])P-\\d{4}(?!\\d)',
    'P-\\d{4}',
    'card',
    // Disjoint escaped characters and ranges stay accepted.
    '(?:\\u3000|x)+y',
    '(?:[\\uFF10-\\uFF19]|[a-f])+-',
  ])('accepts %s', (pattern) => {
    expect(checkCustomPattern(pattern)).toBeUndefined();
  });

  it('direct custom types report the field path, like policy validation', async () => {
    await expect(classify('x', { customTypes: [{ ...EMPLOYEE, pattern: '(a|a){1,60}x' }] })).rejects.toThrow(/^customTypes\[0\]\.pattern: repeated alternatives/);
  });

  it('a slow pattern hits the time budget (CLASSIFY_BUDGET) instead of stalling', () => {
    // Accepted (about quadratic per slice), but slow enough on a megabyte of digits.
    const slow: CustomSensitiveType = { ...EMPLOYEE, pattern: '\\d{1,64}\\d{1,64}x', keywords: [], caseSensitive: false };
    expect(checkCustomPattern(slow.pattern)).toBeUndefined();
    const scanner = createScanner({ customTypes: [slow] });
    const started = Date.now();
    let error: unknown;
    try {
      for (let i = 0; i < 200 && error === undefined; i++) scanner.write('1'.repeat(4096));
      scanner.end();
    } catch (err) {
      error = err;
    }
    expect(isLabelgateError(error) && error.code).toBe('CLASSIFY_BUDGET');
    expect((error as Error).message).not.toContain('1111');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a fast pattern never hits the budget, however large the input (time is charged per segment)', () => {
    const scanner = createScanner({ customTypes: [{ ...EMPLOYEE, keywords: [] }] });
    const row = 'EMP-123456,Ada Lovelace,engineering,2026-01-01,notes about the quarterly plan\n';
    const chunk = row.repeat(Math.ceil(65536 / row.length));
    let written = 0;
    while (written < 8 * 1024 * 1024) {
      scanner.write(chunk);
      written += chunk.length;
    }
    const results = scanner.end();
    expect(results.find((r) => r.sensitiveTypeId === EMPLOYEE.id)?.count).toBe(1);
  });
});

describe('pattern safety and the scanner agree on the slice a regex sees', () => {
  it('SLICE = SEGMENT + MAX_MATCH (the static check bounds work over exactly what one exec call reads)', async () => {
    const { SEGMENT, MAX_MATCH } = await import('../../src/classify/custom.js');
    const { SLICE } = await import('../../src/classify/pattern-safety.js');
    expect(SEGMENT + MAX_MATCH).toBe(SLICE);
  });
});
