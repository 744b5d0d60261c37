/**
 * Property: every pattern checkCustomPattern accepts runs fast on adversarial 1,024-character
 * segments. Patterns come from a small grammar (literals, classes, groups, alternation,
 * quantifiers) over a five-character alphabet; inputs pump strings of that alphabet and end in a
 * character that makes the match fail, the shape that drives backtracking to its worst case.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCustomPattern } from '../../src/index.js';
import { customPatternFlags } from '../../src/classify/pattern-safety.js';

const ALPHABET = ['a', 'b', '1', '-', ' '];
const SEGMENT = 1024;
const LIMIT_MS = 50;

const atom = fc.constantFrom('a', 'b', '1', '-', ' ', '\\d', '\\w', '\\s', '[ab]', '[a1-]', '.');
const quantifier = fc.constantFrom('', '', '?', '*', '+', '{2}', '{1,3}', '{0,5}', '{1,60}', '{2,}');

const { pattern } = fc.letrec<{ pattern: string; seq: string; term: string }>((tie) => ({
  pattern: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('seq'), fc.tuple(tie('seq'), tie('seq')).map(([a, b]) => `${a}|${b}`)),
  seq: fc.array(tie('term'), { minLength: 1, maxLength: 4 }).map((terms) => terms.join('')),
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(atom, quantifier).map(([a, q]) => a + q),
    fc.tuple(tie('pattern'), quantifier).map(([p, q]) => `(?:${p})${q}`),
  ),
}));

/** Time of a full scan of `text` the way the scanner does it: exec from match end to the end. */
function scanMs(re: RegExp, text: string): number {
  const started = performance.now();
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) re.lastIndex = m.index + 1;
  }
  return performance.now() - started;
}

function adversarial(pump: string, suffix: string): string {
  return pump.repeat(Math.ceil(SEGMENT / pump.length)).slice(0, SEGMENT - suffix.length) + suffix;
}

const FIXED_PUMPS = [...ALPHABET, 'a1', 'a-', '1 ', 'ab', 'a1-', 'aa-', '11 '];

function worstMs(source: string, pumps: readonly string[], suffixes: readonly string[]): number {
  const re = new RegExp(source, customPatternFlags(false));
  let worst = 0;
  for (const pump of pumps) for (const suffix of suffixes) worst = Math.max(worst, scanMs(re, adversarial(pump, suffix)));
  return worst;
}

describe('pattern safety: accepted patterns are fast on adversarial input', () => {
  it(`any accepted generated pattern scans a ${SEGMENT}-character adversarial segment in < ${LIMIT_MS} ms`, () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        pattern,
        fc.array(fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 }).map((c) => c.join('')), { minLength: 1, maxLength: 3 }),
        (source, randomPumps) => {
          let compiles = true;
          try {
            new RegExp(source, 'u');
          } catch {
            compiles = false;
          }
          if (!compiles || checkCustomPattern(source) !== undefined) {
            rejected++;
            return;
          }
          accepted++;
          const ms = worstMs(source, [...FIXED_PUMPS, ...randomPumps], ['!', '', 'x']);
          expect(ms, `pattern ${source}`).toBeLessThan(LIMIT_MS);
        },
      ),
      { numRuns: Number(process.env.REDOS_RUNS ?? 1500) },
    );
    // Not vacuous: a good share of the generated patterns is accepted (and timed), and some rejected.
    expect(accepted).toBeGreaterThan(150);
    expect(rejected).toBeGreaterThan(20);
  });

  it('the adversarial inputs do expose a pattern the check rejects (the harness can fail)', () => {
    expect(checkCustomPattern('\\d+\\d+x')).toBeDefined();
    expect(worstMs('\\d+\\d+x', ['1'], ['!'])).toBeGreaterThan(LIMIT_MS);
  });
});
