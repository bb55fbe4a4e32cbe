import type Database from 'better-sqlite3';
import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { GroupOutcome } from './eventLog.js';
import { type PlanContext, planGroups } from './groupPlanner.js';
import type { LogHead } from './logMeta.js';
import type { RowWriter } from './rowWriter.js';

/** What an append needs besides the rows: a clock, ids, the lookup of committed ids, and who hears of each row. */
export interface AppendContext {
  readonly now: () => number;
  readonly newId: (offset: number) => string;
  /** A committed event by id (the rows of this commit are flushed before it is asked). */
  readonly getById: (id: string) => StoredEvent | null;
  /** An event was appended (in offset order; `producer`: under a producer's id); undone by `rolledBack` on failure. */
  readonly appended: (event: StoredEvent, producer: boolean) => void;
  /** The commit that appended from `offset` on rolled back. */
  readonly rolledBack: (offset: number) => void;
}

/**
 * A group commit: several producers' groups in one transaction. Each group is resolved against the producer ids
 * already committed (all-or-nothing: a conflict rejects only that group), then its new rows go to the row writer.
 * On failure the transaction rolls back, and so does everything held in memory.
 */
export class LogAppender {
  private readonly transaction: (groups: readonly (readonly EventInput[])[]) => GroupOutcome[];

  constructor(
    db: Database.Database,
    private readonly head: LogHead,
    private readonly rows: RowWriter,
    private readonly context: AppendContext,
  ) {
    this.transaction = db.transaction((groups: readonly (readonly EventInput[])[]) => this.inTransaction(groups));
  }

  /** Commit `groups`; throws the database's error when nothing was committed. */
  commit(groups: readonly (readonly EventInput[])[]): GroupOutcome[] {
    const { next, lastTs } = this.head;
    try {
      return this.transaction(groups);
    } catch (error) {
      this.head.next = next;
      this.head.lastTs = lastTs;
      this.context.rolledBack(next);
      throw error;
    }
  }

  private inTransaction(groups: readonly (readonly EventInput[])[]): GroupOutcome[] {
    const ts = Math.max(this.context.now(), this.head.lastTs);
    this.rows.begin();
    const plan: PlanContext = {
      next: this.head.next,
      ts,
      newId: this.context.newId,
      getById: this.context.getById,
      // Hint: lookups read the table, so buffered rows are written first; groups without ids keep buffering.
      beforeLookup: () => this.rows.flush(),
      write: (event, producerId) => {
        this.rows.write(event, producerId);
        this.context.appended(event, producerId !== null);
      },
    };
    const outcomes = planGroups(groups, plan);
    this.head.next = plan.next;
    if (this.rows.finish(this.head.next, ts)) this.head.lastTs = ts;
    return outcomes;
  }
}
