import type Database from 'better-sqlite3';
import type { LogHead, LogMeta } from './logMeta.js';
import { storeStep } from './retention.js';

/** Meta key: the cut of a followed purge whose steps may not be done yet. */
const CUT_KEY = 'replica_cut';

/**
 * Where a followed purge cuts a replica (SqliteReplicaLog.cutBelow): below it everything is deleted in steps, and gone
 * for applying and ids meanwhile. Saved with the position, so a restart goes on with the steps.
 */
export class ReplicaCut {
  /** The cut, or 0 (at or below the first offset once its steps are done). */
  at: number;
  private readonly free: Database.Statement<[string, number]>;

  constructor(
    private readonly db: Database.Database,
    private readonly meta: LogMeta,
    private readonly head: LogHead,
  ) {
    this.at = Number(meta.get(CUT_KEY) ?? 0);
    this.free = db.prepare('DELETE FROM producer_ids WHERE k = ? AND o < ?');
  }

  /** Producer id `id` is free again if its event lies below the cut under way: its row there is dropped. */
  freeId(id: string): void {
    // Hint: only while a cut is under way can an id's row lie below what the replica keeps (one statement per
    // new producer id applied would cost the hot path otherwise).
    if (this.at > this.head.first) this.free.run(id, this.at);
  }

  /** The first offset the replica keeps: its first offset, or the cut of a delete still under way when higher. */
  keptFrom(): number {
    return Math.max(this.head.first, this.at);
  }

  /**
   * Cut at `cut`: the position passes it (no offset below it is given out), saved with it in one transaction; a write
   * the store refuses throws RetentionStepError.
   */
  move(cut: number): void {
    const next = Math.max(this.head.next, cut);
    storeStep(
      this.db.transaction(() => {
        this.meta.set(CUT_KEY, String(cut));
        this.meta.set('next_offset', String(next));
      }),
    );
    this.at = cut;
    this.head.next = next;
  }
}
