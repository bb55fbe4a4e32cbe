/** How long a replica behind the stream may apply nothing before /readiness says so. */
export const STALLED_MS = 5_000;

/**
 * Whether this node's replica has stopped applying while the stream holds more, from samples of what it applied and
 * what the stream is known to hold. Why: a replica that could not write (its SQLite file locked by another process,
 * a consumer that cannot be made) fell behind while /readiness said 200, so a load balancer kept sending readers to a
 * node serving a stale log, and publishers to one whose publishes waited 10 s for it and were answered 503.
 */
export class ApplyStall {
  private lastApplied = -1;
  private since: number | null = null;
  private behind = 0;

  /** A sample: `applied` the replica's head, `known` the stream's last sequence as last seen, at `now`. */
  sample(applied: number, known: number, now: number): void {
    if (applied >= known) this.since = null;
    else if (this.since === null || applied !== this.lastApplied) this.since = now;
    this.lastApplied = applied;
    this.behind = Math.max(0, known - applied);
  }

  /**
   * Why /readiness answers 503 (no progress for STALLED_MS while behind), or null; `cause` is added to it (why the
   * replica's consumer cannot be made, when that is going on).
   */
  problem(now: number, cause = ''): string | null {
    if (this.since === null || now - this.since < STALLED_MS) return null;
    const seconds = Math.round((now - this.since) / 1_000);
    return (
      `this node's replica has applied nothing for ${seconds} s while ${this.behind} offsets behind the stream: its ` +
      'reads are stale, and publishes through it wait for it' +
      cause
    );
  }
}
