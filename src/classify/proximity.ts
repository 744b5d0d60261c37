/**
 * "Is there a keyword within N characters of this match?" for a stream of matches in increasing
 * position order. The keyword regex walks the text at most once per window, and only when a match
 * actually asks (most windows of most documents never do), instead of searching the whole text up
 * front or a fresh window around every match.
 */
export class KeywordCursor {
  private text = '';
  private frontier = -1;
  private nextStart = 0;
  private nextEnd = -1;
  private lastLo = -1;
  private done = false;

  /**
   * @param re global regex of the keywords
   * @param accept optional filter on a hit (e.g. "IP" only in capitals)
   * @param lookBehind how far before `lo` a hit may start and still reach into the range
   */
  constructor(
    private readonly re: RegExp,
    private readonly accept: ((text: string, index: number, hit: string) => boolean) | undefined,
    private readonly lookBehind: number,
  ) {}

  reset(text: string): void {
    this.text = text;
    this.frontier = -1;
    this.nextEnd = -1;
    this.lastLo = -1;
    this.done = false;
  }

  /** Does a keyword hit overlap [lo, hi)? */
  overlaps(lo: number, hi: number): boolean {
    if (lo < 0) lo = 0;
    if (lo < this.lastLo || this.frontier < 0) {
      this.frontier = Math.max(0, lo - this.lookBehind);
      this.nextEnd = -1;
      this.done = false;
    }
    this.lastLo = lo;
    for (;;) {
      if (this.nextEnd > lo) return this.nextStart < hi;
      if (this.done) return false;
      this.advance();
    }
  }

  private advance(): void {
    const re = this.re;
    re.lastIndex = this.frontier;
    for (;;) {
      const m = re.exec(this.text);
      if (m === null) {
        this.done = true;
        this.nextEnd = -1;
        return;
      }
      const end = m.index + m[0].length;
      if (this.accept === undefined || this.accept(this.text, m.index, m[0])) {
        this.nextStart = m.index;
        this.nextEnd = end;
        // Overlapping search (next start + 1), like the slice search: a keyword inside a longer
        // one ("account number" in "bank account number") is a hit of its own.
        this.frontier = m.index + 1;
        return;
      }
      re.lastIndex = m.index + 1;
    }
  }
}
