import type { EventLog, SessionStatusRow } from '../persistence/eventLog.js';

/**
 * The catch-up's saves: one that fails (a full disk) does not end it, so every row is offered and those not written
 * are kept for listings (see UnsavedStatuses); `end` throws the first failure.
 */
export class CatchUpSaves {
  private failure: { readonly error: unknown } | null = null;

  constructor(private readonly log: EventLog) {}

  /** Save rows (with the high-water `upTo`), keeping the first failure. */
  save(rows: readonly SessionStatusRow[], upTo?: number): void {
    this.attempt(() => this.log.saveSessionStatuses(rows, upTo));
  }

  /** Run a write, keeping the first failure. */
  attempt(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.failure ??= { error };
    }
  }

  /** Throw the first failure, if any. */
  end(): void {
    if (this.failure !== null) throw this.failure.error;
  }
}
