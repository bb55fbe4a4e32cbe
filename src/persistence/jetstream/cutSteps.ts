import { RETENTION_STEP_OFFSETS } from '../logRetention.js';
import type { SqliteReplicaLog } from '../sqliteReplicaLog.js';

/** How long a step the store refused (a full disk) waits before the next try. */
const RETRY_MS = 1_000;

/** What the steps need besides the replica. */
export interface CutStepsOptions {
  readonly onNotice: (message: string) => void;
  /** Offsets one step deletes at most, each step in its own transaction. */
  readonly stepOffsets?: number;
}

/** Told how many events a followed purge deleted from this replica (the session actors are reset then). */
export type DeletedListener = (deleted: number) => void;

/**
 * The steps of a followed purge (SqliteReplicaLog.cutBelow): one per turn of the event loop until the replica's
 * first offset reaches the cut, so publishes, reads and /health are served between them. Hint: in one transaction, a
 * DELETE of 512,131 events held /health 6.07 s on the node asked and 3.1-3.5 s on the two others, all at once.
 * This node's DELETE takes steps itself (StreamRetention.step) through `step`; both count in `deletedTotal`.
 */
export class CutSteps {
  /** Events deleted by every step so far (never reset: a DELETE reads what its steps added). */
  deletedTotal = 0;
  private runDeleted = 0;
  private notify = false;
  private scheduled = false;
  private failing = false;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  /** Who hears of a followed purge's delete when its cut is reached (not of this node's own DELETE alone). */
  listener: DeletedListener | null = null;
  private readonly limit: number;

  constructor(
    private readonly replica: Pick<SqliteReplicaLog, 'keptFrom' | 'firstOffset' | 'deleteCutStep'>,
    private readonly options: CutStepsOptions,
  ) {
    this.limit = options.stepOffsets ?? RETENTION_STEP_OFFSETS;
    // Hint: a delete a restart cut short goes on.
    if (this.underWay) {
      this.notify = true;
      this.later();
    }
  }

  /** A cut was made (or found at start): the first step now, the rest on later turns; `notify` as in onDone. */
  start(notify: boolean): void {
    this.notify ||= notify;
    this.background();
  }

  /** Who listens hears of this run when its cut is reached (a DELETE whose own step failed leaves it to the steps). */
  tellWhenDone(): void {
    this.notify = true;
  }

  /** Whether a cut is still being deleted. */
  get underWay(): boolean {
    return this.replica.keptFrom() > this.replica.firstOffset();
  }

  /** Whether the next step is already due on a later turn (so another caller need not take one now). */
  get stepDue(): boolean {
    return this.scheduled;
  }

  /**
   * One step now; its count. A step the store refuses throws (RetentionStepError, nothing deleted in it), and the
   * next is tried a second later, whoever took this one (this node's DELETE too).
   */
  step(limit = this.limit): number {
    if (this.closed) return 0;
    let deleted: number;
    try {
      deleted = this.replica.deleteCutStep(limit);
    } catch (error) {
      this.retryLater();
      throw error;
    }
    this.deletedTotal += deleted;
    this.runDeleted += deleted;
    if (this.underWay) this.later();
    else this.done();
    return deleted;
  }

  /** Take no more steps (the rest are taken at the next start: the cut is saved). */
  close(): void {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
  }

  private background(): void {
    try {
      this.step();
      this.failing = false;
    } catch (error) {
      // Hint: nothing below the cut is applied or found meanwhile, so waiting loses nothing; said once per streak.
      if (!this.failing)
        this.options.onNotice(
          `replica feed: deleting below offset ${this.replica.keptFrom()} failed (${error instanceof Error ? error.message : String(error)}); retrying every second`,
        );
      this.failing = true;
    }
  }

  /** One retry a second later, unless one is due already (a failing streak keeps one timer, not one per new cut). */
  private retryLater(): void {
    if (this.closed || this.retry !== null) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.background();
    }, RETRY_MS);
    this.retry.unref();
  }

  private later(): void {
    if (this.scheduled || this.closed || this.retry !== null) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.underWay && this.retry === null) this.background();
    });
  }

  private done(): void {
    const { runDeleted, notify } = this;
    this.runDeleted = 0;
    this.notify = false;
    if (runDeleted > 0 && notify) this.listener?.(runDeleted);
  }
}
