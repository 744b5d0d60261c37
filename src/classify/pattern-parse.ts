/**
 * A small parser for the JavaScript regular expressions organizations write as custom sensitive
 * types, producing the tree pattern-safety.ts analyses. It only runs on patterns that already
 * compiled with the `u` flag, so the syntax is the strict Unicode-mode grammar (no Annex B
 * leniency: `{` is always a quantifier, lookarounds cannot be quantified).
 */

export type PatternNode =
  /** One character: a literal, an escape such as `\d` or `\p{L}`, a class `[...]`, or `.`. */
  | { kind: 'char'; src: string; start: number; end: number }
  /** Zero-width assertions `^`, `$`, `\b`, `\B`. */
  | { kind: 'assert'; start: number; end: number }
  | { kind: 'look'; behind: boolean; body: PatternNode; start: number; end: number }
  | { kind: 'backref'; start: number; end: number }
  | { kind: 'seq'; items: PatternNode[]; start: number; end: number }
  | { kind: 'alt'; alts: PatternNode[]; start: number; end: number }
  | { kind: 'repeat'; body: PatternNode; min: number; max: number; start: number; end: number };

export function parsePattern(src: string): PatternNode {
  let i = 0;

  function parseAlt(): PatternNode {
    const start = i;
    const alts = [parseSeq()];
    while (src[i] === '|') {
      i++;
      alts.push(parseSeq());
    }
    return alts.length === 1 ? alts[0]! : { kind: 'alt', alts, start, end: i };
  }

  function parseSeq(): PatternNode {
    const start = i;
    const items: PatternNode[] = [];
    while (i < src.length && src[i] !== '|' && src[i] !== ')') {
      const atom = parseQuantified();
      // An unquantified group's sequence is part of this one (groups only matter when repeated).
      if (atom.kind === 'seq') items.push(...atom.items);
      else items.push(atom);
    }
    return { kind: 'seq', items, start, end: i };
  }

  function parseQuantified(): PatternNode {
    const start = i;
    const atom = parseAtom();
    const q = quantifier();
    if (!q) return atom;
    return { kind: 'repeat', body: atom, min: q.min, max: q.max, start, end: i };
  }

  function quantifier(): { min: number; max: number } | undefined {
    const ch = src[i];
    let q: { min: number; max: number } | undefined;
    if (ch === '*') q = { min: 0, max: Infinity };
    else if (ch === '+') q = { min: 1, max: Infinity };
    else if (ch === '?') q = { min: 0, max: 1 };
    if (q) i++;
    else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 40));
      if (!m) return undefined;
      const min = Number(m[1]);
      q = { min, max: m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]) };
      i += m[0].length;
    }
    if (q && src[i] === '?') i++; // lazy: explores the same paths in another order
    return q;
  }

  function parseAtom(): PatternNode {
    const start = i;
    const ch = src[i]!;
    if (ch === '(') {
      let behind = false;
      let look = false;
      if (src.startsWith('(?:', i)) i += 3;
      else if (src.startsWith('(?=', i) || src.startsWith('(?!', i)) (look = true), (i += 3);
      else if (src.startsWith('(?<=', i) || src.startsWith('(?<!', i)) (look = true), (behind = true), (i += 4);
      else if (src.startsWith('(?<', i)) i = src.indexOf('>', i) + 1;
      else i++;
      const body = parseAlt();
      i++; // ')'
      return look ? { kind: 'look', behind, body, start, end: i } : body.kind === 'seq' || body.kind === 'alt' ? { ...body, start, end: i } : body;
    }
    if (ch === '[') {
      i++;
      if (src[i] === '^') i++;
      while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
      i++;
      return { kind: 'char', src: src.slice(start, i), start, end: i };
    }
    if (ch === '^' || ch === '$') {
      i++;
      return { kind: 'assert', start, end: i };
    }
    if (ch === '\\') return parseEscape(start);
    i += ch.codePointAt(0)! > 0xffff ? 2 : 1;
    return { kind: 'char', src: src.slice(start, i), start, end: i };
  }

  function parseEscape(start: number): PatternNode {
    const e = src[i + 1]!;
    i += 2;
    if (e === 'b' || e === 'B') return { kind: 'assert', start, end: i };
    if (/[1-9]/.test(e)) {
      while (/\d/.test(src[i] ?? '')) i++;
      return { kind: 'backref', start, end: i };
    }
    if (e === 'k') {
      i = src.indexOf('>', i) + 1;
      return { kind: 'backref', start, end: i };
    }
    if (e === 'p' || e === 'P') i = src.indexOf('}', i) + 1;
    else if (e === 'u') i = src[i] === '{' ? src.indexOf('}', i) + 1 : i + 4;
    else if (e === 'x') i += 2;
    else if (e === 'c') i += 1;
    return { kind: 'char', src: src.slice(start, i), start, end: i };
  }

  const root = parseAlt();
  return root;
}
