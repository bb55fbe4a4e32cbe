import type Database from 'better-sqlite3';
import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { checkpointCadence } from './chunkIndexer.js';
import { DELETE_REPLICA, type LogStats } from './eventLog.js';
import { deleteBelow } from './retention.js';
import { RowWriter } from './rowWriter.js';
import { SqliteEventLog, type SqliteEventLogOptions } from './sqliteEventLog.js';
import { BOUND_LIMIT, selectTuples, selectValue } from './sqlRows.js';
import { HOUR_MS } from './typeStats.js';

/** One stream message for a replica: an event at the offset the stream gave it, or an offset that appends nothing. */
export type ReplicaEntry =
  | {
      readonly kind: 'event';
      readonly offset: number;
      /** The publishing node's clock; the replica stamps max(ts, its newest ts), as embedded commits do. */
      readonly ts: number;
      /** True when `input.id` is the producer's id (first write wins), false when the publishing node made it. */
      readonly producer: boolean;
      readonly input: EventInput & { readonly id: string };
    }
  | { readonly kind: 'noop'; readonly offset: number; readonly reason: string };

/** What applying one entry did: the record it appended, or why its offset is a no-op. */
export type AppliedEntry =
  | { readonly offset: number; readonly record: StoredEvent }
  | { readonly offset: number; readonly record: null; readonly reason: string };

/** A recorded no-op offset, as readers can list them. */
export interface NoopOffset {
  readonly offset: number;
  readonly reason: string;
}

const NOOP_SQL = 'CREATE TABLE IF NOT EXISTS noop_offsets (offset INTEGER PRIMARY KEY, reason TEXT NOT NULL)';
/**
 * A cluster node's replica of the stream (cluster mode only; the embedded log is SqliteEventLog, untouched): records
 * are written at the offsets the stream gave them (offset = stream sequence), an offset whose message appends nothing
 * (a producer id already stored, a message this code did not write) is recorded in `noop_offsets` with its reason,
 * and the replica follows the stream's first sequence by deleting below it.
 */
export class SqliteReplicaLog extends SqliteEventLog {
  private readonly rows: RowWriter;
  private readonly insertNoop: Database.Statement<[number, string]>;
  private readonly transaction: (entries: readonly ReplicaEntry[]) => AppliedEntry[];
  /** Recorded no-op offsets still retained (all lie at or above first). */
  private noops: number;
  /** Asks the index worker to checkpoint the WAL as applied rows fill it (as the log's own appends do). */
  private readonly wrote = checkpointCadence(this.indexer);

  constructor(options: SqliteEventLogOptions) {
    super({ remedy: DELETE_REPLICA, ...options });
    this.db.exec(NOOP_SQL);
    this.insertNoop = this.db.prepare('INSERT OR REPLACE INTO noop_offsets(offset, reason) VALUES (?, ?)');
    this.rows = new RowWriter(this.db, this.typeStats, this.meta);
    const [counted] = selectTuples<[number, number | null]>(this.db, 'SELECT COUNT(*), MIN(offset) FROM noop_offsets');
    this.noops = counted?.[0] ?? 0;
    const lowest = counted?.[1] ?? null;
    if (lowest !== null && lowest < this.head.first) this.head.first = lowest;
    this.transaction = this.db.transaction((entries: readonly ReplicaEntry[]) => this.inTransaction(entries));
  }

  /** Apply entries at their offsets (ascending, each at or above the next offset), in one transaction. */
  applyAt(entries: readonly ReplicaEntry[]): AppliedEntry[] {
    const { next, lastTs } = this.head;
    const noops = this.noops;
    let applied: AppliedEntry[];
    try {
      applied = this.transaction(entries);
    } catch (error) {
      this.head.next = next;
      this.head.lastTs = lastTs;
      this.noops = noops;
      this.coverage.tail.forgetFrom(next);
      this.typeStats.reload();
      throw this.commitFailed(error);
    }
    this.commitSucceeded();
    return applied;
  }

  private inTransaction(entries: readonly ReplicaEntry[]): AppliedEntry[] {
    const applied: AppliedEntry[] = [];
    let runTs: number | null = null;
    this.rows.begin();
    for (const entry of entries) {
      if (entry.offset < this.head.next)
        throw new Error(`offset ${entry.offset} is below the replica's next offset ${this.head.next}`);
      const reason = entry.kind === 'noop' ? entry.reason : this.storedAlready(entry);
      if (reason !== null) {
        this.insertNoop.run(entry.offset, reason);
        this.noops++;
        applied.push({ offset: entry.offset, record: null, reason });
      } else if (entry.kind === 'event') {
        const ts = Math.max(entry.ts, this.head.lastTs);
        // Hint: type stats take one timestamp per finish, so each run of equal timestamps is finished on its own.
        if (runTs !== null && ts !== runTs) {
          this.rows.finish(this.head.next, runTs);
          this.rows.begin();
        }
        runTs = ts;
        this.head.lastTs = ts;
        const { input } = entry;
        const record: StoredEvent = { ...input, offset: entry.offset, ts };
        this.rows.write(record, entry.producer ? input.id : null);
        this.coverage.tail.add(record, entry.producer);
        this.wrote(record);
        applied.push({ offset: entry.offset, record });
      }
      this.head.next = entry.offset + 1;
    }
    if (runTs !== null) this.rows.finish(this.head.next, runTs);
    this.meta.set('next_offset', String(this.head.next));
    return applied;
  }

  /** First write wins: a producer id already stored makes this offset a no-op (the same on every replica). */
  private storedAlready(entry: Extract<ReplicaEntry, { kind: 'event' }>): string | null {
    if (!entry.producer) return null;
    this.rows.flush();
    const earlier = this.getById(entry.input.id);
    return earlier === null
      ? null
      : `producer id ${JSON.stringify(entry.input.id)} is already at offset ${earlier.offset}`;
  }

  /**
   * Follow the stream's first sequence: delete every event and no-op offset below `boundary`, and never give out an
   * offset below it (a replica built after a purge starts there). Returns the number of events deleted.
   */
  deleteBelowOffset(boundary: number): number {
    if (boundary <= this.head.first) return 0;
    const next = Math.max(this.head.next, boundary);
    let deleted = 0;
    let noopsDeleted = 0;
    this.db.transaction(() => {
      deleted = deleteBelow(this.db, this.meta, boundary, next);
      noopsDeleted = this.db.prepare<[number]>('DELETE FROM noop_offsets WHERE offset < ?').run(boundary).changes;
    })();
    this.noops -= noopsDeleted;
    this.head.next = next;
    this.head.first = boundary;
    const gone = this.coverage.dropBelow(boundary);
    if (gone.length > 0) this.indexer.drop(gone);
    this.typeStats.reload();
    return deleted;
  }

  /**
   * Never give out an offset below `next`, deleting nothing: the stream no longer holds what lies below it, and this
   * replica keeps whatever of it it has (see ReplicaFeed.follow). The offsets it never applied become recorded no-ops
   * with `reason`, so none is a silent hole (/stats counts them as such).
   */
  advanceTo(next: number, reason: string): void {
    const from = this.head.next;
    if (next <= from) return;
    this.db.transaction(() => {
      this.db
        .prepare<[number, number, string]>(
          'WITH RECURSIVE r(o) AS (SELECT ? UNION ALL SELECT o + 1 FROM r WHERE o + 1 < ?) ' +
            'INSERT OR REPLACE INTO noop_offsets(offset, reason) SELECT o, ? FROM r',
        )
        .run(from, next, reason);
      this.meta.set('next_offset', String(next));
    })();
    this.noops += next - from;
    this.head.next = next;
  }

  /** Whether this replica holds an event at an offset from `from` up to (not including) `to`. */
  holdsBetween(from: number, to: number): boolean {
    if (from >= to) return false;
    this.rows.flush();
    return (
      selectValue<number>(this.db, 'SELECT EXISTS(SELECT 1 FROM events WHERE offset >= ? AND offset < ?)', from, to) ===
      1
    );
  }

  /** How many events this replica holds below `boundary`. */
  recordsBelow(boundary: number): number {
    this.rows.flush();
    return selectValue<number>(this.db, 'SELECT COUNT(*) FROM events WHERE offset < ?', boundary) ?? 0;
  }

  /** The first offset whose event is at or after `ts` (next offset when none): where a time-based delete cuts. */
  offsetAtOrAfter(ts: number): number {
    return this.reader.offsetAtOrAfter(ts);
  }

  /** Recorded no-op offsets from `fromOffset` on, ascending. */
  noopOffsets(fromOffset: number, limit: number): NoopOffset[] {
    return selectTuples<[number, string]>(
      this.db,
      `SELECT offset, reason FROM noop_offsets WHERE offset >= ? ORDER BY offset ${BOUND_LIMIT}`,
      fromOffset,
      limit,
    ).map(([offset, reason]) => ({ offset, reason }));
  }

  /** Recorded no-op offsets retained. */
  noopCount(): number {
    return this.noops;
  }

  /** As embedded, with recorded no-op offsets not counted as events. */
  override stats(now: number): LogStats {
    const stats = super.stats(now);
    if (this.noops === 0) return stats;
    const from = Math.max(stats.first_offset, this.reader.offsetAtOrAfter(now - HOUR_MS));
    const recent = selectValue<number>(this.db, 'SELECT COUNT(*) FROM noop_offsets WHERE offset >= ?', from) ?? 0;
    return {
      ...stats,
      total_events: Math.max(0, stats.total_events - this.noops),
      events_last_hour: Math.max(0, stats.events_last_hour - recent),
    };
  }
}
