/**
 * Bytes all captures of one middleware may hold together; one pool for memory, one for temp-file
 * space. Memory (`totalMemoryBytes`): each download may keep up to its `memoryBytes` in memory
 * before spilling to a temp file; without a shared cap, a burst of concurrent downloads would
 * multiply that. A capture takes bytes from the pool as it stores them in memory, spills to its
 * temp file as soon as the pool has none left, and gives back what it took when it spills or is
 * disposed. Disk (`totalDiskBytes`): a capture takes what it writes to its temp file; a chunk that
 * does not fit is refused (`SIZE_LIMIT`), and the space comes back when the capture is disposed.
 */
export class MemoryPool {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Bytes currently held by captures (for tests and diagnostics). */
  get inUse(): number {
    return this.used;
  }

  /** Take `n` bytes if the pool has them. */
  tryTake(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}
