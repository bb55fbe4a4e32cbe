import type Database from 'better-sqlite3';
import { BOUND_LIMIT, selectTuples, selectValue } from './sqlRows.js';

/** A recorded no-op offset, as readers can list them. */
export interface NoopOffset {
  readonly offset: number;
  readonly reason: string;
}

/**
 * A replica's recorded no-op offsets (`noop_offsets`): offsets whose stream message appends nothing (a producer id
 * already stored, a message this code did not write, one lost from the stream unapplied), each with its reason, so
 * none is a silent hole. Counted in memory, since /stats subtracts them from the events on every call.
 */
export class ReplicaNoops {
  /** Recorded no-op offsets still retained (all lie at or above the replica's first offset). */
  count: number;
  /** The lowest one when the replica opened, or null. */
  readonly lowestAtOpen: number | null;
  private readonly insert: Database.Statement<[number, string]>;

  constructor(private readonly db: Database.Database) {
    db.exec('CREATE TABLE IF NOT EXISTS noop_offsets (offset INTEGER PRIMARY KEY, reason TEXT NOT NULL)');
    this.insert = db.prepare('INSERT OR REPLACE INTO noop_offsets(offset, reason) VALUES (?, ?)');
    const [counted] = selectTuples<[number, number | null]>(db, 'SELECT COUNT(*), MIN(offset) FROM noop_offsets');
    this.count = counted?.[0] ?? 0;
    this.lowestAtOpen = counted?.[1] ?? null;
  }

  /** Record `offset` (inside the caller's transaction). */
  record(offset: number, reason: string): void {
    this.insert.run(offset, reason);
    this.count++;
  }

  /** Record every offset from `from` up to (not including) `to`, in one statement (inside the caller's transaction). */
  recordRange(from: number, to: number, reason: string): void {
    this.db
      .prepare<[number, number, string]>(
        'WITH RECURSIVE r(o) AS (SELECT ? UNION ALL SELECT o + 1 FROM r WHERE o + 1 < ?) ' +
          'INSERT OR REPLACE INTO noop_offsets(offset, reason) SELECT o, ? FROM r',
      )
      .run(from, to, reason);
  }

  /** Delete those below `boundary` (inside the caller's transaction); the count (subtract it from `count` once committed). */
  deleteBelow(boundary: number): number {
    return this.db.prepare<[number]>('DELETE FROM noop_offsets WHERE offset < ?').run(boundary).changes;
  }

  /** Those from `fromOffset` on, ascending. */
  list(fromOffset: number, limit: number): NoopOffset[] {
    return selectTuples<[number, string]>(
      this.db,
      `SELECT offset, reason FROM noop_offsets WHERE offset >= ? ORDER BY offset ${BOUND_LIMIT}`,
      fromOffset,
      limit,
    ).map(([offset, reason]) => ({ offset, reason }));
  }

  /** How many lie at or above `offset`. */
  countFrom(offset: number): number {
    return selectValue<number>(this.db, 'SELECT COUNT(*) FROM noop_offsets WHERE offset >= ?', offset) ?? 0;
  }

  /** The lowest offset held in `events` or here, or null when both are empty. */
  lowestHeld(): number | null {
    return (
      selectValue<number | null>(
        this.db,
        'SELECT MIN(o) FROM (SELECT MIN(offset) AS o FROM events UNION ALL SELECT MIN(offset) FROM noop_offsets)',
      ) ?? null
    );
  }
}
