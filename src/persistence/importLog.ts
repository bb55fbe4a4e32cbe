import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { checkpointCadence } from './chunkIndexer.js';
import { UNFINISHED_MIGRATION } from './logFileContent.js';
import { RowWriter } from './rowWriter.js';
import { SqliteEventLog } from './sqliteEventLog.js';
import { selectValue } from './sqlRows.js';

/** An event that already has its id and its time (epoch milliseconds), to append as it is. */
export interface StampedEvent {
  readonly input: EventInput & { readonly id: string };
  readonly ts: number;
}

/**
 * The SQLite log, taking events that keep their own ids and times (carrying another store's events over:
 * `event-pipeline migrate-legacy`). Rows go through the log's own row writer, as the cluster replica's do: each with
 * its checksum, its id as a producer id (a resend with it is a duplicate, and GET /events/{id} finds it), the type
 * stats, next_offset and the index tail; offsets follow the head, one after the other.
 */
export class SqliteImportLog extends SqliteEventLog {
  private readonly rows = new RowWriter(this.db, this.typeStats, this.meta);
  /** Asks the index worker to checkpoint the WAL as rows fill it (as the log's own appends do). */
  private readonly wrote = checkpointCadence(this.indexer);
  private readonly transaction = this.db.transaction((events: readonly StampedEvent[]) => this.inTransaction(events));

  /**
   * Append `events` in one transaction, in order; their times must not go back, nor be older than the log's newest
   * (records are non-decreasing in time by offset). Returns the records; on failure nothing is appended.
   */
  appendStamped(events: readonly StampedEvent[]): StoredEvent[] {
    const { next, lastTs } = this.head;
    let records: StoredEvent[];
    try {
      records = this.transaction(events);
    } catch (error) {
      this.head.next = next;
      this.head.lastTs = lastTs;
      this.coverage.tail.forgetFrom(next);
      this.typeStats.reload();
      throw this.commitFailed(error);
    }
    this.commitSucceeded();
    return records;
  }

  /**
   * Mark the log as a migration from `from` under way, until markMigrated: a server refuses to open it meanwhile
   * (LogFileContent's `unfinishedMigration`), so a run killed part way does not leave a log served as if whole.
   */
  markMigrating(from: string): void {
    this.meta.set(UNFINISHED_MIGRATION, from);
  }

  /** The migration is complete: the log may be served. */
  markMigrated(): void {
    this.meta.delete(UNFINISHED_MIGRATION);
  }

  /** The offset of the event appended with this id, or null: ids are unique in a log, as GET /events/{id} needs. */
  offsetOfId(id: string): number | null {
    return selectValue<number>(this.db, 'SELECT o FROM producer_ids WHERE k = ?', id) ?? null;
  }

  private inTransaction(events: readonly StampedEvent[]): StoredEvent[] {
    const records: StoredEvent[] = [];
    let runTs: number | null = null;
    this.rows.begin();
    for (const { input, ts } of events) {
      if (ts < this.head.lastTs)
        throw new RangeError(
          `a record at ${ts} ms would come after one at ${this.head.lastTs} ms: times must not go back`,
        );
      // Hint: type stats take one timestamp per finish, so each run of equal timestamps is finished on its own.
      if (runTs !== null && ts !== runTs) {
        this.rows.finish(this.head.next, runTs);
        this.rows.begin();
      }
      runTs = ts;
      this.head.lastTs = ts;
      const record: StoredEvent = { ...input, offset: this.head.next, ts };
      this.rows.write(record, input.id);
      this.coverage.tail.add(record, true);
      this.wrote(record);
      records.push(record);
      this.head.next++;
    }
    if (runTs !== null) this.rows.finish(this.head.next, runTs);
    return records;
  }
}
