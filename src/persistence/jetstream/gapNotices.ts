/** How often a gap that persists is mentioned again (ms). */
const REMIND_MS = 60_000;

/**
 * Decides when the replica says it is waiting for a gap. The applier retries every 250 ms while a gap lasts, and one
 * line per retry would bury everything else in the log: a gap is said when first seen, then once a minute while it
 * stays. A gap is named by its first missing sequence (the replica cannot move past it, so a new first sequence is a
 * new gap).
 */
export class GapNotices {
  private current: { readonly from: number; saidAt: number } | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether the gap starting at `from` should be said now; "still" once it was said before. */
  decide(from: number): 'say' | 'still' | 'quiet' {
    const now = this.now();
    if (this.current === null || this.current.from !== from) {
      this.current = { from, saidAt: now };
      return 'say';
    }
    if (now - this.current.saidAt < REMIND_MS) return 'quiet';
    this.current.saidAt = now;
    return 'still';
  }
}
