/**
 * The feed's failed applies, said once per streak and once more when applying works again. Hint: a full disk on a node
 * logged `replica feed: applying failed (database or disk is full)` 361 times in ~25 s, once per consumer made again.
 */
export class ApplyFailures {
  private streak = 0;
  private firstReason = '';

  constructor(private readonly onNotice: (message: string) => void) {}

  /** An apply failed for `reason` (nothing of it stays); the consumer starts again from the replica's head + 1. */
  failed(reason: string, head: number): void {
    if (this.streak++ > 0) return;
    this.firstReason = reason;
    this.onNotice(
      `replica feed: applying failed (${reason}); retrying from offset ${head + 1} until it works, said again then`,
    );
  }

  /** A batch was applied: ends a failing streak, saying so. */
  applied(head: number): void {
    if (this.streak === 0) return;
    this.onNotice(
      `replica feed: applying works again (at offset ${head}) after ${this.streak} failed ` +
        `${this.streak === 1 ? 'attempt' : 'attempts'} (first: ${this.firstReason})`,
    );
    this.streak = 0;
  }
}
