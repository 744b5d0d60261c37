/**
 * Static checks for organization-defined patterns (custom sensitive types), so a policy file cannot
 * make the scanner hang on a report (ReDoS). The scanner additionally runs custom patterns over
 * bounded windows, which caps the cost of anything these checks let through.
 */

/** Flags custom patterns are compiled with. */
export function customPatternFlags(caseSensitive: boolean): string {
  return caseSensitive ? 'gu' : 'giu';
}

/**
 * Returns a human-readable problem, or `undefined` when the pattern is acceptable.
 * Rejected: patterns that do not compile, that match the empty string, that use backreferences,
 * and nested unbounded quantifiers such as `(a+)+` or `(\w+\s?)*`.
 */
export function checkCustomPattern(pattern: string, caseSensitive = false): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern, customPatternFlags(caseSensitive));
  } catch (err) {
    return `does not compile as a JavaScript regular expression (u flag): ${(err as Error).message}`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not allowed (they can make scanning exponential)';
  const nested = findNestedQuantifier(pattern);
  if (nested) return `nested unbounded quantifier near "${nested}" can backtrack catastrophically; make the inner or outer repetition bounded`;
  if (re.test('')) return 'matches the empty string; a sensitive type must match at least one character';
  return undefined;
}

/**
 * Scans the pattern source once, tracking for each open group whether it contains an unbounded
 * quantifier. A group that does, followed itself by an unbounded quantifier, is reported.
 */
function findNestedQuantifier(src: string): string | undefined {
  const stack: { start: number; unbounded: boolean }[] = [];
  let lastGroup: { start: number; unbounded: boolean } | undefined;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '\\') {
      i++;
      lastGroup = undefined;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      lastGroup = undefined;
      continue;
    }
    if (ch === '(') {
      stack.push({ start: i, unbounded: false });
      lastGroup = undefined;
      continue;
    }
    if (ch === ')') {
      const g = stack.pop();
      lastGroup = g;
      continue;
    }
    const unboundedHere = ch === '*' || ch === '+' || (ch === '{' && /^\{\d+,\}/.test(src.slice(i)));
    if (unboundedHere) {
      if (lastGroup?.unbounded) return src.slice(lastGroup.start, Math.min(src.length, i + 1));
      for (const g of stack) g.unbounded = true;
      if (lastGroup) {
        // The quantified group is now part of its enclosing group's unbounded content.
        lastGroup = undefined;
      }
      continue;
    }
    if (ch === '{' || ch === '?') continue;
    lastGroup = undefined;
  }
  return undefined;
}
