/**
 * Static checks for organization-defined patterns (custom sensitive types), so a policy file cannot
 * make the scanner hang on a report (ReDoS). The scanner additionally runs custom patterns over
 * bounded segments with a time budget (see custom.ts), which caps the cost of anything these
 * checks let through.
 *
 * Catastrophic backtracking needs ambiguity under repetition. The rules below reject the shapes
 * that produce it in practice, with a message that says how to rewrite the pattern:
 * - backreferences;
 * - a repeated group containing an unbounded repetition: `(a+)+`, `(\w+\s?)*`, `(x+){2,9}`;
 * - an unboundedly repeated group containing alternatives: `(a|ab)*`;
 * - a repeated group containing variable repetitions, unless both are small: `(\d{1,3}\.){3}` is
 *   fine, `(\d{1,50}){1,50}` is not;
 * - lookbehind with unbounded repetition;
 * - more than MAX_LONG long repetitions (unbounded, or above LONG_REPEAT) that can start with
 *   the same character as another long repetition (`\d+\d+\d+x`): each such repetition
 *   multiplies the work on input that almost matches; the scanner's segments keep two bounded,
 *   three would not be. Long repetitions over disjoint characters (`\s+` and `\w+`) do not
 *   compound and are not limited.
 */

/** Flags custom patterns are compiled with. */
export function customPatternFlags(caseSensitive: boolean): string {
  return caseSensitive ? 'gu' : 'giu';
}

export const MAX_LONG = 2;
export const LONG_REPEAT = 64;
const SMALL_OUTER = 4;
const SMALL_INNER = 16;

/**
 * Returns a human-readable problem, or `undefined` when the pattern is acceptable.
 */
export function checkCustomPattern(pattern: string, caseSensitive = false): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern, customPatternFlags(caseSensitive));
  } catch (err) {
    return `does not compile as a JavaScript regular expression (u flag): ${(err as Error).message}`;
  }
  if (re.test('')) return 'matches the empty string; a sensitive type must match at least one character';
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not allowed (they can make scanning exponential)';
  return findRisk(pattern);
}

interface Quant {
  min: number;
  /** Infinity for unbounded. */
  max: number;
  length: number;
}

/** Parse a quantifier at `src[i]`, or undefined. */
function quantifierAt(src: string, i: number): Quant | undefined {
  const ch = src[i];
  let q: Quant | undefined;
  if (ch === '*') q = { min: 0, max: Infinity, length: 1 };
  else if (ch === '+') q = { min: 1, max: Infinity, length: 1 };
  else if (ch === '?') q = { min: 0, max: 1, length: 1 };
  else if (ch === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    q = { min, max, length: m[0].length };
  }
  if (q && src[i + q.length] === '?') q.length++; // lazy
  return q;
}

interface GroupInfo {
  start: number;
  lookbehind: boolean;
  alternation: boolean;
  /** Largest max of a variable quantifier inside (0 if none); Infinity if unbounded. */
  variableMax: number;
}

function findRisk(src: string): string | undefined {
  const stack: GroupInfo[] = [];
  const longAtoms: string[] = [];
  let atomStart = 0;
  let i = 0;
  let lastAtomGroup: GroupInfo | undefined;
  const markVariable = (max: number) => {
    for (const g of stack) g.variableMax = Math.max(g.variableMax, max);
  };
  while (i < src.length) {
    const ch = src[i]!;
    atomStart = i;
    if (ch === '\\') {
      i += 2;
      lastAtomGroup = undefined;
    } else if (ch === '[') {
      // Skip a character class (escapes and a leading ']' included).
      i++;
      if (src[i] === '^') i++;
      if (src[i] === ']') i++;
      while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
      i++;
      lastAtomGroup = undefined;
    } else if (ch === '(') {
      const lookbehind = src.startsWith('(?<=', i) || src.startsWith('(?<!', i);
      stack.push({ start: i, lookbehind, alternation: false, variableMax: 0 });
      i += src.startsWith('(?', i) ? (lookbehind ? 4 : src[i + 2] === '<' ? src.indexOf('>', i) + 1 - i : 3) : 1;
      lastAtomGroup = undefined;
      continue;
    } else if (ch === ')') {
      lastAtomGroup = stack.pop();
      if (lastAtomGroup) atomStart = lastAtomGroup.start;
      i++;
    } else if (ch === '|') {
      const g = stack[stack.length - 1];
      if (g) g.alternation = true;
      i++;
      lastAtomGroup = undefined;
      continue;
    } else {
      i++;
      lastAtomGroup = undefined;
    }
    const q = quantifierAt(src, i);
    if (!q) continue;
    const near = src.slice(lastAtomGroup?.start ?? Math.max(0, i - 8), Math.min(src.length, i + q.length));
    if (q.max > LONG_REPEAT) {
      longAtoms.push(src.slice(atomStart, i));
      if (stack.some((g) => g.lookbehind)) return `lookbehind with unbounded repetition near "${near}"; bound it, e.g. {0,20}`;
    }
    const g = lastAtomGroup;
    if (g && q.max > 1) {
      if (g.variableMax === Infinity) {
        return `nested unbounded quantifier near "${near}" can backtrack catastrophically; make the inner or outer repetition bounded and unambiguous`;
      }
      if (g.alternation && q.max === Infinity) {
        return `repeated alternatives near "${near}" can backtrack catastrophically; use a character class or a bounded repetition such as {1,10}`;
      }
      if (g.variableMax > 0 && (q.max > SMALL_OUTER || g.variableMax > SMALL_INNER)) {
        return `repeated group with a variable repetition inside near "${near}" can backtrack heavily; keep the group's repetition ≤ ${SMALL_OUTER} and the inner one ≤ ${SMALL_INNER}, or make the inner repetition fixed`;
      }
    }
    if (q.min !== q.max) markVariable(q.max);
    // A repeated group counts as variable content of its enclosing groups.
    if (g && q.min !== q.max && g.variableMax > 0) markVariable(Infinity);
    i += q.length;
    lastAtomGroup = undefined;
  }
  const compounding = longAtoms.filter((a, k) => longAtoms.some((b, j) => j !== k && canStartAlike(a, b)));
  if (compounding.length > MAX_LONG) {
    return `has ${compounding.length} long repetitions (*, +, {n,} or more than ${LONG_REPEAT}) over the same characters (${compounding.join(', ')}); bound them, e.g. {1,20}`;
  }
  return undefined;
}

/** Characters a repetition is tried on: ASCII, whitespace, and a few letters of other scripts. */
const SAMPLE = [...Array.from({ length: 95 }, (_, k) => String.fromCharCode(32 + k)), '\t', '\n', 'é', 'ß', 'Ω', 'ж', '漢', '😀'];

/**
 * Can two repeated atoms match the same character? Single-character atoms (a literal, an escape
 * such as \d or \s, a class, ".") are tried on SAMPLE; a group is assumed to overlap anything.
 */
function canStartAlike(a: string, b: string): boolean {
  if (a.startsWith('(') || b.startsWith('(')) return true;
  try {
    const ra = new RegExp(`^(?:${a})$`, 'iu');
    const rb = new RegExp(`^(?:${b})$`, 'iu');
    return SAMPLE.some((c) => ra.test(c) && rb.test(c));
  } catch {
    return true;
  }
}
