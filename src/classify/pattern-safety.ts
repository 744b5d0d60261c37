/**
 * Static checks for organization-defined patterns (custom sensitive types), so a policy file cannot
 * make the scanner hang on a report (ReDoS). V8's regex engine backtracks, and the scanner's time
 * budget (custom.ts) is only looked at between regex calls, so a single call that backtracks
 * exponentially cannot be interrupted: this check is the real guard. Every accepted pattern is
 * polynomial, at most about quadratic, on a scanner slice (SLICE characters).
 *
 * The pattern is parsed (pattern-parse.ts) and each part gets: the characters it can consume, the
 * characters it can start with, its number of *choices* (how many ways a backtracking matcher may
 * try it from one position: lengths of a repetition, alternatives, times inner choices) and its
 * *ambiguity* (how many of those may end at the same place and all go on). Rules, in order:
 *
 * 1. Backreferences are rejected (matching with them is NP-hard in general).
 * 2. Alternation inside a group repeated more than once must be deterministic: every alternative
 *    a fixed sequence of characters/classes, and none able to match the start of another (so at
 *    any position at most one alternative matches). `(?:PRJ|PROJ)` and `(?:\d|x)` pass;
 *    `(a|a)`, `(a|ab)`, `(?:\w|\d)` do not.
 * 3. A group repeated more than once must not be ambiguous inside: a repetition in it counts as
 *    ambiguous unless the next mandatory part of the group cannot start with a character the
 *    repetition consumes (then it can only stop at the end of its run: `(\d{1,3}\.){3}`,
 *    `(?:\w+\s)+`). An ambiguous group under an unbounded repetition is rejected (`(a+)+`,
 *    `(\w+\s?)*`, `(.*a){12}`); under a bounded one, only if its ways to split the text,
 *    ambiguity^max, stay ≤ NESTED_LIMIT (`(?:\d{4}[ -]?){3}` has 2^3).
 * 4. Lookarounds are atomic in JavaScript but run at every position tried: inside them,
 *    repetitions are limited to LOOK_MAX and their work to NESTED_LIMIT.
 * 5. Degree: repetitions in a row that can consume the same characters, with nothing between
 *    them that those characters cannot pass (`\d+\d+`, `[\w-]+-[\w-]+`), multiply: a failed match
 *    tries every split. The search itself is such a repetition (the engine retries at every start
 *    position). The product of choices along the worst such chain must stay ≤ MAX_WORK, four times
 *    a quadratic scan of a slice: `\d+x` (search × one run) and `EMP-\d+\d+x` pass, `\d+\d+x` (cubic:
 *    ~0.5 s per slice measured) does not. Repetitions separated by a character they cannot match
 *    (`\d+-\d+-\d+`) do not multiply.
 *
 * Characters sets are sampled (pattern-charset.ts), so overlaps only outside the sample are missed.
 */
import { CharSet, sampleFor } from './pattern-charset.js';
import { parsePattern, type PatternNode } from './pattern-parse.js';

/** Flags custom patterns are compiled with. */
export function customPatternFlags(caseSensitive: boolean): string {
  return caseSensitive ? 'gu' : 'giu';
}

/** Characters one regex call sees at most: a 1,024-character segment plus 256 of context (custom.ts). */
export const SLICE = 1280;
/** Work limit per slice, in backtracking choices: four quadratic scans. */
export const MAX_WORK = 4 * SLICE * SLICE;
/** Ways a repeated group may split the same text. */
export const NESTED_LIMIT = 256;
/** Longest repetition allowed inside a lookaround. */
export const LOOK_MAX = 16;

class Rejected extends Error {}

type Look = 'lookahead' | 'lookbehind' | undefined;

interface Info {
  chars: CharSet;
  first: CharSet;
  nullable: boolean;
  /** Ways a backtracking matcher may try this part from one position (work factor). */
  choices: number;
  /** Of those, how many may end at the same position (and all continue). */
  amb: number;
  /** The ambiguity comes from an unbounded repetition. */
  ambUnbounded: boolean;
  /** One fixed sequence of single characters, if the part is that simple. */
  fixed: CharSet[] | undefined;
}

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
  try {
    new Analysis(pattern, customPatternFlags(caseSensitive).replace('g', '')).run();
    return undefined;
  } catch (err) {
    if (err instanceof Rejected) return err.message;
    throw err;
  }
}

class Analysis {
  private readonly sample: string[];
  private readonly infos = new Map<PatternNode, Info>();
  private readonly atoms = new Map<string, CharSet>();

  constructor(
    private readonly src: string,
    private readonly flags: string,
  ) {
    this.sample = sampleFor(src);
  }

  run(): void {
    const root = parsePattern(this.src);
    this.walk(root, false, undefined);
    const items = root.kind === 'seq' ? root.items : [root];
    const search: Info = { ...this.zeroWidth(), chars: CharSet.all(this.sample.length), choices: SLICE, nullable: false };
    const { work, chain } = this.chain(items, search);
    if (work > MAX_WORK) {
      const parts = chain.filter((n) => n !== undefined).map((n) => `"${this.near(n)}"`);
      const search = chain[0] === undefined ? ', after the search over start positions,' : '';
      throw new Rejected(
        `repetitions ${parts.join(', ')} can match the same characters one after another${search} so a failed match tries every split: ~${work.toExponential(1)} steps per ${SLICE}-character slice (limit ${MAX_WORK.toExponential(1)}, about quadratic); bound them, e.g. {1,20}, or separate them with a character they cannot match`,
      );
    }
  }

  private near(n: PatternNode): string {
    const s = this.src.slice(n.start, n.end);
    return s.length > 40 ? `${s.slice(0, 37)}…` : s;
  }

  private zeroWidth(): Info {
    const none = CharSet.empty(this.sample.length);
    return { chars: none, first: none, nullable: true, choices: 1, amb: 1, ambUnbounded: false, fixed: [] };
  }

  /** Compute the info of `n` and its parts, rejecting what the rules forbid. */
  private walk(n: PatternNode, inRepeat: boolean, inLook: Look): Info {
    const info = this.compute(n, inRepeat, inLook);
    this.infos.set(n, info);
    return info;
  }

  private compute(n: PatternNode, inRepeat: boolean, inLook: Look): Info {
    switch (n.kind) {
      case 'backref':
        throw new Rejected('backreferences are not allowed (they can make scanning exponential); spell out the repeated text');
      case 'assert':
        return this.zeroWidth();
      case 'char': {
        let set = this.atoms.get(n.src);
        if (!set) this.atoms.set(n.src, (set = CharSet.of(n.src, this.flags, this.sample)));
        return { chars: set, first: set, nullable: false, choices: 1, amb: 1, ambUnbounded: false, fixed: [set] };
      }
      case 'look': {
        const body = this.walk(n.body, false, n.behind ? 'lookbehind' : 'lookahead');
        if (body.choices > NESTED_LIMIT) {
          throw new Rejected(`${n.behind ? 'lookbehind' : 'lookahead'} near "${this.near(n)}" does too much work at every position; simplify it`);
        }
        return this.zeroWidth();
      }
      case 'alt':
        return this.alternation(n, inRepeat, inLook);
      case 'seq':
        return this.sequence(n, inRepeat, inLook);
      case 'repeat':
        return this.repetition(n, inRepeat, inLook);
    }
  }

  private alternation(n: Extract<PatternNode, { kind: 'alt' }>, inRepeat: boolean, inLook: Look): Info {
    const alts = n.alts.map((a) => this.walk(a, inRepeat, inLook));
    let chars = alts[0]!.chars;
    let first = alts[0]!.first;
    for (const a of alts.slice(1)) (chars = chars.union(a.chars)), (first = first.union(a.first));
    const nullable = alts.some((a) => a.nullable);
    if (deterministic(alts)) return { chars, first, nullable, choices: 1, amb: 1, ambUnbounded: false, fixed: undefined };
    if (inRepeat) {
      throw new Rejected(
        `repeated alternatives near "${this.near(n)}" can match the same text (exponential backtracking); inside a repeated group, alternatives must be fixed strings or classes none of which can match the start of another — use a character class or distinct literals`,
      );
    }
    const sum = (f: (a: Info) => number) => alts.reduce((s, a) => s + f(a), 0);
    return { chars, first, nullable, choices: sum((a) => a.choices), amb: sum((a) => a.amb), ambUnbounded: alts.some((a) => a.ambUnbounded), fixed: undefined };
  }

  private sequence(n: Extract<PatternNode, { kind: 'seq' }>, inRepeat: boolean, inLook: Look): Info {
    const infos = n.items.map((item) => this.walk(item, inRepeat, inLook));
    let chars = CharSet.empty(this.sample.length);
    let first = CharSet.empty(this.sample.length);
    let nullable = true;
    for (const it of infos) {
      chars = chars.union(it.chars);
      if (nullable) first = first.union(it.first);
      nullable &&= it.nullable;
    }
    // Ambiguity: a part whose next mandatory neighbour cannot start with its characters can only
    // stop at the end of its run, so only its inner ambiguity counts.
    let amb = 1;
    let ambUnbounded = false;
    infos.forEach((it, k) => {
      let follow = CharSet.empty(this.sample.length);
      let closed = false;
      for (const next of infos.slice(k + 1)) {
        follow = follow.union(next.first);
        if (!next.nullable) {
          closed = true;
          break;
        }
      }
      const cut = closed && !follow.overlaps(it.chars);
      amb *= cut ? it.amb : it.choices;
      if (!cut && it.choices > 1 && isUnbounded(n.items[k]!)) ambUnbounded = true;
      ambUnbounded ||= it.ambUnbounded;
    });
    const fixed = infos.every((it) => it.fixed) ? infos.flatMap((it) => it.fixed!) : undefined;
    return { chars, first, nullable, choices: this.chain(n.items).work, amb, ambUnbounded, fixed: fixed && fixed.length <= 64 ? fixed : undefined };
  }

  private repetition(n: Extract<PatternNode, { kind: 'repeat' }>, inRepeat: boolean, inLook: Look): Info {
    if (inLook && n.max > LOOK_MAX) {
      throw new Rejected(`${inLook} with a long repetition near "${this.near(n)}"; lookarounds run at every position, so repeat at most ${LOOK_MAX} times there, e.g. {0,${LOOK_MAX}}`);
    }
    const body = this.walk(n.body, inRepeat || n.max > 1, inLook);
    if (n.max > 1 && body.amb > 1) {
      if (n.max === Infinity || body.ambUnbounded) {
        throw new Rejected(
          `nested unbounded quantifier near "${this.near(n)}" can backtrack catastrophically (exponential time); end the inner repetition with a character it cannot match, or use bounded, fixed-length parts`,
        );
      }
      const ways = body.amb ** n.max;
      if (ways > NESTED_LIMIT) {
        throw new Rejected(
          `repeated group near "${this.near(n)}" has a variable repetition inside that can split the same text ~${ways.toExponential(1)} ways (limit ${NESTED_LIMIT}); end the inner repetition with a delimiter, as in (\\d{1,3}\\.){3}, or make it fixed`,
        );
      }
    }
    const lengths = n.min === n.max ? 1 : Math.min(n.max, SLICE) - n.min + 1;
    const amb = n.max > 1 && body.amb > 1 ? body.amb ** n.max : body.amb; // (1 ** Infinity is NaN)
    const fixed = body.fixed && n.min === n.max && body.fixed.length * n.min <= 64 ? Array.from({ length: n.min }, () => body.fixed!).flat() : undefined;
    // Work: the paths through the repetition, plus the dead ends tried inside each iteration. For
    // an unambiguous body those add up rather than multiply: each iteration backtracks over its own
    // stretch of text (`(?:\w+\s)+` is linear from one start, not quadratic).
    const choices = n.max <= 1 ? (n.min === 0 ? 1 : 0) + body.choices : lengths * amb + amb * (body.choices - 1);
    return {
      chars: body.chars,
      first: body.first,
      nullable: n.min === 0 || body.nullable,
      choices,
      amb,
      ambUnbounded: body.ambUnbounded,
      fixed,
    };
  }

  /**
   * The worst chain of repetitions in `items` that multiply (see rule 5), optionally preceded by
   * the search over start positions. Returns the product of their choices.
   */
  private chain(items: readonly PatternNode[], search?: Info): { work: number; chain: (PatternNode | undefined)[] } {
    const infos = items.map((n) => this.infos.get(n)!);
    const all = search ? [search, ...infos] : infos;
    const offset = search ? 1 : 0;
    const best: number[] = [];
    const prev: number[] = [];
    let top = -1;
    for (let j = 0; j < all.length; j++) {
      const b = all[j]!;
      best[j] = 0;
      prev[j] = -1;
      if (b.choices <= 1) continue;
      let base = 1;
      for (let i = 0; i < j; i++) {
        const a = all[i]!;
        if (a.choices <= 1 || best[i]! <= base) continue;
        const linked =
          a.amb > 1 ||
          b.amb > 1 ||
          (() => {
            const s = a.chars.intersect(b.chars);
            return !s.isEmpty && items.slice(i + 1 - offset, j - offset).every((m) => this.passable(m, s));
          })();
        if (linked) (base = best[i]!), (prev[j] = i);
      }
      best[j] = base * b.choices;
      if (top < 0 || best[j]! > best[top]!) top = j;
    }
    const chain: (PatternNode | undefined)[] = [];
    for (let k = top; k >= 0; k = prev[k]!) chain.unshift(k < offset ? undefined : items[k - offset]);
    return { work: top < 0 ? 1 : best[top]!, chain };
  }

  /** Can `n` be matched by characters of `s` (or by nothing)? */
  private passable(n: PatternNode, s: CharSet): boolean {
    switch (n.kind) {
      case 'char':
        return this.infos.get(n)!.chars.overlaps(s);
      case 'seq':
        return n.items.every((m) => this.passable(m, s));
      case 'alt':
        return n.alts.some((m) => this.passable(m, s));
      case 'repeat':
        return n.min === 0 || this.passable(n.body, s);
      default:
        return true;
    }
  }
}

function isUnbounded(n: PatternNode): boolean {
  if (n.kind === 'repeat') return n.max === Infinity || isUnbounded(n.body);
  if (n.kind === 'seq') return n.items.some(isUnbounded);
  if (n.kind === 'alt') return n.alts.some(isUnbounded);
  return false;
}

/**
 * At most one alternative can match at any position: all are fixed sequences of characters, and
 * no alternative can match the start of another (an empty one matches the start of everything).
 */
function deterministic(alts: readonly Info[]): boolean {
  if (!alts.every((a) => a.fixed)) return false;
  for (let x = 0; x < alts.length; x++) {
    for (let y = x + 1; y < alts.length; y++) {
      const a = alts[x]!.fixed!;
      const b = alts[y]!.fixed!;
      const common = Math.min(a.length, b.length);
      let prefix = true;
      for (let k = 0; k < common && prefix; k++) prefix = a[k]!.overlaps(b[k]!);
      if (prefix) return false;
    }
  }
  return true;
}
