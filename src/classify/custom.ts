/**
 * Organization-defined sensitive types from the policy: a regular expression, optional keywords
 * within `proximity` characters, and two confidence levels.
 *
 * A pattern is checked statically when the policy is loaded (`checkCustomPattern`), and at run
 * time it only ever sees bounded segments of text (`SEGMENT` characters with `MAX_MATCH` of
 * context), so one regex call cannot scan a whole report; each type also has a time budget, and a
 * type that exceeds it stops the scan with `CLASSIFY_BUDGET` instead of stalling a download.
 */
import { LabelgateError } from '../errors.js';
import type { CustomSensitiveType } from '../policy/schema.js';
import { maskKeeping } from './context.js';
import { BUILTIN_TYPE_IDS } from './type-ids.js';
import { checkCustomPattern, customPatternFlags } from './pattern-safety.js';
import { KeywordCursor } from './proximity.js';
import { Hash64, type Findings } from './tally.js';

/** Longest custom match counted (longer matches are ignored). */
export const MAX_MATCH = 256;
/**
 * Characters handed to one regex call (plus MAX_MATCH of context): pattern-safety.ts admits only
 * patterns whose worst case on such a slice is about quadratic (milliseconds). Keep SEGMENT +
 * MAX_MATCH equal to its SLICE.
 */
export const SEGMENT = 1024;
/** Time budget per custom type: a fixed allowance plus so much per MB scanned. */
export const BUDGET_BASE_MS = 250;
export const BUDGET_MS_PER_MB = 25;

const GUID_RE = /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/;

export interface CompiledCustomType {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly re: RegExp;
  readonly keywords: KeywordCursor | undefined;
  readonly proximity: number;
  readonly withKeyword: number;
  readonly withoutKeyword: number | null;
  readonly caseSensitive: boolean;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&');
}

/** Reports the field's path the way policy validation does: `customTypes[0].pattern: …`. */
function invalid(i: number, what: string): never {
  const field = /^(\w+): /.exec(what);
  const path = field ? `customTypes[${i}].${field[1]}` : `customTypes[${i}]`;
  throw new LabelgateError('INPUT_INVALID', `${path}: ${field ? what.slice(field[0].length) : what}`);
}

function confidenceOk(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 100;
}

/**
 * Compile custom types (from a validated policy, or given directly to `classify`). Direct input is
 * checked here with the same rules as a policy file, defaults applied as the policy schema does.
 */
export function compileCustomTypes(types: readonly CustomSensitiveType[], firstIndex: number): CompiledCustomType[] {
  const seen = new Set<string>();
  return types.map((t, i) => {
    if (!t || typeof t !== 'object') invalid(i, 'expected an object {id, name, pattern, …}');
    if (typeof t.id !== 'string' || !GUID_RE.test(t.id)) invalid(i, 'id: expected a GUID');
    const id = t.id.replace(/[{}]/g, '').toLowerCase();
    if (seen.has(id)) invalid(i, `id: duplicate custom type id ${id}`);
    if (BUILTIN_TYPE_IDS.has(id)) invalid(i, `id: ${id} is a built-in sensitive information type`);
    seen.add(id);
    if (typeof t.name !== 'string' || t.name.trim() === '') invalid(i, 'name: expected a name');
    if (typeof t.pattern !== 'string' || t.pattern.length === 0 || t.pattern.length > 1000) invalid(i, 'pattern: expected a regular expression (1-1000 characters)');
    const caseSensitive = t.caseSensitive === true;
    const problem = checkCustomPattern(t.pattern, caseSensitive);
    if (problem) invalid(i, `pattern: ${problem}`);
    const keywords = t.keywords ?? [];
    if (!Array.isArray(keywords) || keywords.some((k) => typeof k !== 'string' || k.trim() === '')) invalid(i, 'keywords: expected a list of non-empty strings');
    const proximity = t.proximity ?? 300;
    if (!Number.isInteger(proximity) || proximity < 0 || proximity > 10_000) invalid(i, 'proximity: expected 0-10000 characters');
    const withKeyword = t.confidenceWithKeyword ?? 85;
    const withoutKeyword = t.confidenceWithoutKeyword === undefined ? 65 : t.confidenceWithoutKeyword;
    if (!confidenceOk(withKeyword)) invalid(i, 'confidenceWithKeyword: expected 0-100');
    if (withoutKeyword !== null && !confidenceOk(withoutKeyword)) invalid(i, 'confidenceWithoutKeyword: expected 0-100 or null');
    if (withoutKeyword === null && keywords.length === 0) invalid(i, 'confidenceWithoutKeyword: null requires a keyword, but no keywords are listed');
    const flags = customPatternFlags(caseSensitive);
    const kwSource = keywords.map((k) => escapeRe(k.trim()).replace(/\s+/g, '[\\s_\\-]?')).join('|');
    const cursor =
      keywords.length > 0
        ? new KeywordCursor(
            new RegExp(`(?<![\\p{L}\\p{N}_])(?:${kwSource})(?![\\p{L}\\p{N}_])`, flags),
            undefined,
            Math.max(...keywords.map((k) => k.length)) * 2 + 1,
          )
        : undefined;
    return {
      index: firstIndex + i,
      id,
      name: t.name.trim(),
      re: new RegExp(t.pattern, flags),
      keywords: cursor,
      proximity,
      withKeyword,
      withoutKeyword,
      caseSensitive,
    };
  });
}

/** Per type, what carries from window to window. */
interface CustomState {
  /** Absolute character offset after the last counted match (matches do not overlap). */
  nextAllowed: number;
  spentMs: number;
}

export class CustomRunner {
  private readonly state: CustomState[];
  private readonly hash = new Hash64();

  constructor(readonly types: readonly CompiledCustomType[]) {
    this.state = types.map(() => ({ nextAllowed: 0, spentMs: 0 }));
  }

  /** Largest keyword proximity, for the scanner's context size. */
  get maxProximity(): number {
    return this.types.reduce((m, t) => Math.max(m, t.keywords ? t.proximity : 0), 0);
  }

  /**
   * Count matches that start in [from, to) of `text`, a window whose first character is absolute
   * character `charBase`. `scannedMb` feeds the time budget.
   */
  run(text: string, from: number, to: number, charBase: number, findings: Findings, scannedMb: number): void {
    this.types.forEach((t, k) => {
      const st = this.state[k]!;
      t.keywords?.reset(text);
      let segStart = Math.max(from, st.nextAllowed - charBase);
      while (segStart < to) {
        // Charge each segment its own time (not the time since the window started).
        const started = performance.now();
        const sliceStart = Math.max(0, segStart - MAX_MATCH);
        const sliceEnd = Math.min(text.length, segStart + SEGMENT);
        const acceptEnd = Math.min(to, sliceEnd - MAX_MATCH > segStart ? sliceEnd - MAX_MATCH : sliceEnd);
        const slice = text.slice(sliceStart, sliceEnd);
        const re = t.re;
        re.lastIndex = segStart - sliceStart;
        let next = acceptEnd;
        for (;;) {
          const m = re.exec(slice);
          if (m === null) break;
          const start = sliceStart + m.index;
          if (start >= acceptEnd) break;
          const value = m[0];
          if (value.length === 0 || value.length >= MAX_MATCH) {
            re.lastIndex = m.index + 1;
            continue;
          }
          const end = start + value.length;
          this.count(t, st, start, end, value, charBase, findings);
          re.lastIndex = m.index + value.length;
          next = Math.max(next, end);
        }
        segStart = next;
        st.spentMs += performance.now() - started;
        if (st.spentMs > BUDGET_BASE_MS + BUDGET_MS_PER_MB * scannedMb) {
          throw new LabelgateError(
            'CLASSIFY_BUDGET',
            `custom sensitive type "${t.name}" (${t.id}) exceeded its time budget (${Math.round(st.spentMs)} ms); simplify its pattern or use bounded repetitions`,
            { detail: { customTypeId: t.id } },
          );
        }
      }
      st.nextAllowed = Math.max(st.nextAllowed, charBase + segStart);
    });
  }

  private count(t: CompiledCustomType, st: CustomState, start: number, end: number, value: string, charBase: number, findings: Findings): void {
    st.nextAllowed = charBase + end;
    const hasKeyword = t.keywords !== undefined && t.keywords.overlaps(start - t.proximity, end + t.proximity);
    const confidence = hasKeyword ? t.withKeyword : t.withoutKeyword;
    if (confidence === null) return;
    const normalized = t.caseSensitive ? value : value.toLowerCase();
    const h = this.hash.reset(t.index);
    for (let i = 0; i < normalized.length; i++) h.add(normalized.charCodeAt(i));
    findings.add(t.index, h, confidence);
    if (findings.explain) findings.note(t.index, confidence, charBase + start, value.length, maskKeeping(value, 2, 2));
  }
}
