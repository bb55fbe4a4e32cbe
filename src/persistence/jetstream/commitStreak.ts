import { type LogHealth, LogWriteError } from '../eventLog.js';

/** How many failed commits in a row make a node not writable, as for the embedded log. */
export const FAILED_IN_A_ROW = 3;
/** How long after the last of them it stays so. */
export const FAILING_MS = 30_000;

/**
 * A cluster node's run of failed commits. Why: with no stream leader (two of three servers down) every publish
 * failed after NATS_PUBLISH_TIMEOUT_MS while /readiness stayed 200, since the replica itself writes fine. A refusal
 * (told where it was decided) does not count. The window lets a node a load balancer stopped sending publishes to
 * become ready again once the stream is back.
 */
export class CommitStreak {
  private failedInARow = 0;
  private lastFailure = '';
  private lastFailedAt = 0;

  constructor(private readonly now: () => number) {}

  succeeded(): void {
    this.failedInARow = 0;
  }

  failed(error: unknown): void {
    if (error instanceof LogWriteError && error.refusal) return;
    this.failedInARow++;
    this.lastFailure = error instanceof Error ? error.message : String(error);
    this.lastFailedAt = this.now();
  }

  /** `replica`'s health, unless FAILED_IN_A_ROW commits failed, the last within FAILING_MS. */
  health(replica: () => LogHealth): LogHealth {
    if (this.failedInARow < FAILED_IN_A_ROW || this.now() - this.lastFailedAt > FAILING_MS) return replica();
    return { writable: false, reason: `the last ${this.failedInARow} commits failed (${this.lastFailure})` };
  }
}
