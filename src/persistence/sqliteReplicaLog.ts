import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { checkpointCadence } from './chunkIndexer.js';
import { DELETE_REPLICA, type LogStats } from './eventLog.js';
import { ReplicaCut } from './replicaCut.js';
import { type NoopOffset, ReplicaNoops } from './replicaNoops.js';
import { deleteBelow, storeStep } from './retention.js';
import { RowWriter } from './rowWriter.js';
import { SqliteEventLog, type SqliteEventLogOptions } from './sqliteEventLog.js';
import { selectValue } from './sqlRows.js';
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

/**
 * A cluster node's replica of the stream (cluster mode only; the embedded log is SqliteEventLog, untouched): records
 * are written at the offsets the stream gave them (offset = stream sequence), an offset whose message appends nothing
 * (a producer id already stored, a message this code did not write) is recorded in `noop_offsets` with its reason,
 * and the replica follows the stream's first sequence by deleting below it.
 */
export class SqliteReplicaLog extends SqliteEventLog {
  private readonly rows: RowWriter;
  private readonly transaction: (entries: readonly ReplicaEntry[]) => AppliedEntry[];
  private readonly noops: ReplicaNoops;
  /** Asks the index worker to checkpoint the WAL as applied rows fill it (as the log's own appends do). */
  private readonly wrote = checkpointCadence(this.indexer);
  private readonly cut: ReplicaCut;

  constructor(options: SqliteEventLogOptions) {
    super({ remedy: DELETE_REPLICA, ...options });
    this.noops = new ReplicaNoops(this.db);
    this.rows = new RowWriter(this.db, this.typeStats, this.meta);
    const lowest = this.noops.lowestAtOpen;
    if (lowest !== null && lowest < this.head.first) this.head.first = lowest;
    this.transaction = this.db.transaction((entries: readonly ReplicaEntry[]) => this.inTransaction(entries));
    this.cut = new ReplicaCut(this.db, this.meta, this.head);
  }

  /** Apply entries at their offsets (ascending, each at or above the next offset), in one transaction. */
  applyAt(entries: readonly ReplicaEntry[]): AppliedEntry[] {
    const { next, lastTs } = this.head;
    const noops = this.noops.count;
    let applied: AppliedEntry[];
    try {
      applied = this.transaction(entries);
    } catch (error) {
      this.head.next = next;
      this.head.lastTs = lastTs;
      this.noops.count = noops;
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
        this.noops.record(entry.offset, reason);
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

  /**
   * First write wins: a producer id already stored makes this offset a no-op (the same on every replica). An id below
   * the cut of a delete under way is free again, as on a replica that deleted it already: its row is dropped first.
   */
  private storedAlready(entry: Extract<ReplicaEntry, { kind: 'event' }>): string | null {
    if (!entry.producer) return null;
    this.rows.flush();
    const { id } = entry.input;
    const earlier = this.getById(id);
    if (earlier !== null) return `producer id ${JSON.stringify(id)} is already at offset ${earlier.offset}`;
    this.cut.freeId(id);
    return null;
  }

  /**
   * As embedded, but an event below the cut of a delete under way is not found: it is deleted on other nodes. Hint:
   * the in-memory tail, or the offset a generated id names, may still name it; one published anew is in producer_ids.
   */
  override getById(id: string): StoredEvent | null {
    const found = super.getById(id);
    const kept = this.keptFrom();
    if (found === null || found.offset >= kept) return found;
    const again = selectValue<number>(this.db, 'SELECT o FROM producer_ids WHERE k = ? AND o >= ?', id, kept);
    return again === undefined ? null : (this.readFrom(again, {}, 1, again)[0] ?? null);
  }

  /** The first offset this replica keeps: its first offset, or the cut of a delete still under way when higher. */
  keptFrom(): number {
    return this.cut.keptFrom();
  }

  /**
   * Follow a purge to `cut` in steps: from now on no offset below it is given out (the position passes it) and no id
   * below it is found; deleteCutStep deletes what lies there. Saved, so a restart goes on with it. Returns the number
   * of events held from keptFrom up to `cut`: what the steps delete beyond an earlier cut.
   */
  cutBelow(cut: number): number {
    const from = this.keptFrom();
    if (cut <= from) return 0;
    const held = this.recordsBelow(cut) - this.recordsBelow(from);
    this.cut.move(cut);
    return held;
  }

  /**
   * One step of the cut under way: delete the offsets below it from the lowest held, at most `limit` of them, in one
   * transaction (deleteBelowOffset); the count deleted, 0 when none is under way. Hint: from the lowest offset held,
   * so a replica that holds little below a far cut finishes in one step.
   */
  deleteCutStep(limit: number): number {
    const { at } = this.cut;
    if (at <= this.head.first) return 0;
    const lowest = this.noops.lowestHeld();
    return this.deleteBelowOffset(Math.min(at, Math.max(lowest ?? at, this.head.first) + limit));
  }

  /** Delete every event and no-op offset below `boundary` in one transaction (a step); the number of events deleted. */
  private deleteBelowOffset(boundary: number): number {
    if (boundary <= this.head.first) return 0;
    const next = Math.max(this.head.next, boundary);
    let deleted = 0;
    let noopsDeleted = 0;
    // Hint: the store's refusal (a full disk) comes at this outer commit too, outside deleteBelow's own.
    storeStep(
      this.db.transaction(() => {
        deleted = deleteBelow(this.db, this.meta, boundary, next);
        noopsDeleted = this.noops.deleteBelow(boundary);
      }),
    );
    this.noops.count -= noopsDeleted;
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
      this.noops.recordRange(from, next, reason);
      this.meta.set('next_offset', String(next));
    })();
    this.noops.count += next - from;
    this.head.next = next;
  }

  /** Whether this replica holds an event at an offset from `from` up to (not including) `to`. */
  holdsBetween(from: number, to: number): boolean {
    if (from >= to) return false;
    this.rows.flush();
    const sql = 'SELECT EXISTS(SELECT 1 FROM events WHERE offset >= ? AND offset < ?)';
    return selectValue<number>(this.db, sql, from, to) === 1;
  }

  /**
   * How many events this replica holds below `boundary`, counted on the shorter side of it (the type counters give the
   * total). Hint: a count reads every row it counts, and a delete of all but the newest asks for one.
   */
  recordsBelow(boundary: number): number {
    this.rows.flush();
    const { first, next } = this.head;
    const count = (sql: string) => selectValue<number>(this.db, `SELECT COUNT(*) FROM events WHERE ${sql}`, boundary);
    if (boundary - first <= next - boundary) return boundary <= first ? 0 : (count('offset < ?') ?? 0);
    const total = this.typeStats.list().reduce((sum, stat) => sum + stat.count, 0);
    return Math.max(0, total - (count('offset >= ?') ?? 0));
  }

  /** The first offset whose event is at or after `ts` (next offset when none): where a time-based delete cuts. */
  offsetAtOrAfter(ts: number): number {
    return this.reader.offsetAtOrAfter(ts);
  }

  /** Recorded no-op offsets from `fromOffset` on, ascending. */
  noopOffsets(fromOffset: number, limit: number): NoopOffset[] {
    return this.noops.list(fromOffset, limit);
  }

  /** Recorded no-op offsets retained. */
  noopCount(): number {
    return this.noops.count;
  }

  /** As embedded, with recorded no-op offsets not counted as events. */
  override stats(now: number): LogStats {
    const stats = super.stats(now);
    if (this.noops.count === 0) return stats;
    const from = Math.max(stats.first_offset, this.reader.offsetAtOrAfter(now - HOUR_MS));
    const recent = this.noops.countFrom(from);
    return {
      ...stats,
      total_events: Math.max(0, stats.total_events - this.noops.count),
      events_last_hour: Math.max(0, stats.events_last_hour - recent),
    };
  }
}
