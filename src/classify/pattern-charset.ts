/**
 * Character sets of pattern atoms, approximated by the sample characters each atom matches.
 * The analysis in pattern-safety.ts only asks "can these two atoms match a common character?",
 * and JavaScript itself answers it for every sample character, so escapes, classes, Unicode
 * properties and case folding follow the engine's own rules.
 *
 * The sample is every code point up to U+024F (ASCII, Latin-1, Latin Extended), one code point in
 * 61 of the rest of the BMP, one in 4099 of the astral planes, every whitespace character, plus
 * every character the pattern names (literally or as an escape) and its case variants. Two sets
 * that overlap only outside the sample (e.g. two Unicode properties sharing only unsampled
 * characters) are reported as disjoint (a known gap, documented in docs/classifier.md).
 */

let baseSample: string[] | undefined;

function base(): string[] {
  if (baseSample) return baseSample;
  const out: string[] = [];
  for (let cp = 0; cp <= 0x24f; cp++) out.push(String.fromCodePoint(cp));
  for (let cp = 0x250; cp <= 0xffff; cp += 61) if (cp < 0xd800 || cp > 0xdfff) out.push(String.fromCodePoint(cp));
  for (let cp = 0x10000; cp <= 0x10ffff; cp += 4099) out.push(String.fromCodePoint(cp));
  baseSample = out;
  return out;
}

/**
 * Every character JavaScript's `\s` matches (outside the base sample they would be found only by
 * luck: `(?:\s|\u3000)+` must be seen to overlap).
 */
const WHITESPACE = ['\u1680', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
/** Characters that case-fold into ASCII word characters under the `iu` flags. */
const FOLDS = ['\u017f', '\u212a', '\u212b'];

const ESCAPED = /\\u\{([0-9a-fA-F]{1,6})\}|\\u([0-9a-fA-F]{4})(?:\\u([dD][c-fC-F][0-9a-fA-F]{2}))?|\\x([0-9a-fA-F]{2})/g;

/** The characters a pattern names, written literally or as `\uXXXX`, `\u{…}`, `\xHH` escapes. */
function namedCharacters(pattern: string): string[] {
  const out: string[] = [];
  for (const c of pattern) out.push(c);
  for (const m of pattern.matchAll(ESCAPED)) {
    let cp = parseInt(m[1] ?? m[2] ?? m[4]!, 16);
    if (m[3] && cp >= 0xd800 && cp <= 0xdbff) cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(m[3], 16) - 0xdc00);
    if (cp <= 0x10ffff) out.push(String.fromCodePoint(cp));
  }
  return out;
}

/**
 * Sample characters for one pattern: the base sample, every whitespace character, and every
 * character the pattern names (literally or escaped) with its case variants. Since class range
 * endpoints are named characters, two ranges that overlap always share a sampled character (one
 * range's start lies in the other), and so do a range and a character or property that matches
 * its start.
 */
export function sampleFor(pattern: string): string[] {
  const extra = new Set<string>([...WHITESPACE, ...FOLDS]);
  for (const c of namedCharacters(pattern)) {
    if (c.codePointAt(0)! <= 0x24f) continue;
    extra.add(c);
    extra.add(c.toLowerCase());
    extra.add(c.toUpperCase());
  }
  return [...base(), ...[...extra].filter((c) => [...c].length === 1)];
}

/** A set of sample indices. */
export class CharSet {
  constructor(readonly bits: Uint32Array) {}

  static empty(size: number): CharSet {
    return new CharSet(new Uint32Array((size + 31) >>> 5));
  }

  static all(size: number): CharSet {
    const s = CharSet.empty(size);
    for (let k = 0; k < size; k++) s.bits[k >>> 5]! |= 1 << (k & 31);
    return s;
  }

  /** The sample characters `atom` (source of one character matcher) matches. */
  static of(atom: string, flags: string, sample: readonly string[]): CharSet {
    const s = CharSet.empty(sample.length);
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${atom})$`, flags);
    } catch {
      return CharSet.all(sample.length); // cannot happen for a compiled pattern; assume the worst
    }
    sample.forEach((c, k) => {
      if (re.test(c)) s.bits[k >>> 5]! |= 1 << (k & 31);
    });
    return s;
  }

  union(o: CharSet): CharSet {
    return new CharSet(this.bits.map((w, k) => w | o.bits[k]!));
  }

  intersect(o: CharSet): CharSet {
    return new CharSet(this.bits.map((w, k) => w & o.bits[k]!));
  }

  overlaps(o: CharSet): boolean {
    return this.bits.some((w, k) => (w & o.bits[k]!) !== 0);
  }

  get isEmpty(): boolean {
    return this.bits.every((w) => w === 0);
  }
}
