import type Database from 'better-sqlite3';
import type { EventType } from '../protocol/eventTypes.js';
import type { LogStats, TypeStat } from './eventLog.js';
import { isCorruption, type LogDamage } from './logDamage.js';
import type { LogHead, LogMeta } from './logMeta.js';
import { scanReadable } from './readableRows.js';
import { selectTuples } from './sqlRows.js';

/** Meta key of the type_stats projection's high-water offset (written in the same transaction as the counters). */
export const TYPE_STATS_UPTO = 'type_stats_upto';

type Counter = { count: number; last_seen: number };

/**
 * The by-type counters of GET /stats: a projection of the log kept in `type_stats`, updated inside each commit and
 * checked against the log at open: counted again from the log when its recorded high-water offset is missing, ahead
 * of the head, or behind events in the log (see distrust).
 */
export class TypeStats {
  private readonly counters = new Map<EventType, Counter>();
  private readonly upsert: Database.Statement<[EventType, number, number]>;

  constructor(private readonly db: Database.Database) {
    this.upsert = db.prepare(
      'INSERT INTO type_stats(event_type, count, last_seen) VALUES (?, ?, ?) ' +
        'ON CONFLICT(event_type) DO UPDATE SET count = count + excluded.count, last_seen = MAX(last_seen, excluded.last_seen)',
    );
  }

  /**
   * Bring the table up to `head` from the log, from the high-water saved in `meta`; returns a notice when it had to
   * recompute or could not save. Never throws on a full disk.
   */
  catchUp(meta: LogMeta, head: number, damage: LogDamage): string | null {
    const saved = meta.get(TYPE_STATS_UPTO);
    const upTo = saved === undefined ? null : Number(saved);
    let notice: string | null = null;
    const apply = this.db.transaction(() => {
      const why = this.distrust(upTo, head);
      if (why !== null) {
        if (head > 0) notice = `type_stats recomputed from the log (${why})`;
        this.db.exec('DELETE FROM type_stats');
        this.addAll();
      }
      meta.set(TYPE_STATS_UPTO, String(head));
    });
    try {
      apply();
    } catch (error) {
      notice = `type_stats could not be caught up (${error instanceof Error ? error.message : String(error)}); served from a scan of the log this run`;
      this.reload(this.countReadable(head, damage));
      return notice;
    }
    this.reload();
    return notice;
  }

  /**
   * Why the table cannot be caught up from its high-water `upTo` (so it is counted again from the log), or null.
   * Hint: every commit moves the high-water with the counters, so events past it were appended by another version
   * on this file: one from before the high-water counted them without moving it (a downgrade to it doubled them
   * for good, probe), an older one did not count them. Only a count from the log is right for both.
   */
  private distrust(upTo: number | null, head: number): string | null {
    if (upTo === null) return 'no recorded high-water';
    if (upTo > head) return `high-water ${upTo} beyond head ${head}`;
    if (upTo === head || this.db.prepare('SELECT 1 FROM events WHERE offset > ? LIMIT 1').get(upTo) === undefined)
      return null;
    return `events past its high-water ${upTo} were appended by another version of the server`;
  }

  /**
   * The counters of every row the log can read, for this run. Hint: a damaged page (INTEGRITY_CHECK=off) failed the
   * aggregate, and the open with it; the rows are then counted one scan page at a time, past the damage (named).
   */
  private countReadable(head: number, damage: LogDamage): Row[] {
    try {
      return selectTuples<Row>(this.db, 'SELECT event_type, COUNT(*), MAX(ts) FROM events GROUP BY event_type');
    } catch (error) {
      if (!isCorruption(error)) throw error;
    }
    const counts = new Map<EventType, Row>();
    scanReadable<[number, EventType, number]>(this.db, 'offset, event_type, ts', 0, head, {
      rows: (rows) => {
        for (const [, type, ts] of rows) {
          const counter = counts.get(type) ?? counts.set(type, [type, 0, ts]).get(type)!;
          counter[1]++;
          counter[2] = Math.max(counter[2], ts);
        }
      },
      skipped: (last, next, error) => damage.skipped(last + 1, next === null ? head : next - 1, error),
    });
    return [...counts.values()];
  }

  private addAll(): void {
    const rows = selectTuples<Row>(this.db, 'SELECT event_type, COUNT(*), MAX(ts) FROM events GROUP BY event_type');
    for (const [type, count, lastSeen] of rows) this.upsert.run(type, count, lastSeen);
  }

  /** Add one commit's per-type counts (inside the commit's transaction). */
  add(perType: ReadonlyMap<EventType, number>, ts: number): void {
    for (const [type, count] of perType) this.upsert.run(type, count, ts);
    this.count(perType, ts);
  }

  /** Add one commit's per-type counts in memory only (the writer thread wrote them to the table). */
  count(perType: ReadonlyMap<EventType, number>, ts: number): void {
    for (const [type, count] of perType) {
      const stat = this.counters.get(type);
      if (stat) {
        stat.count += count;
        stat.last_seen = ts;
      } else this.counters.set(type, { count, last_seen: ts });
    }
  }

  /** Re-read the table (after a rollback or a delete), or adopt `rows`. */
  reload(
    rows: readonly Row[] = selectTuples<Row>(this.db, 'SELECT event_type, count, last_seen FROM type_stats'),
  ): void {
    this.counters.clear();
    for (const [type, count, lastSeen] of rows) this.counters.set(type, { count, last_seen: lastSeen });
  }

  /** Non-empty counters, most frequent first. */
  list(): TypeStat[] {
    return [...this.counters]
      .filter(([, stat]) => stat.count > 0)
      .map(([event_type, stat]) => ({ event_type, count: stat.count, last_seen: stat.last_seen }))
      .sort((a, b) => b.count - a.count || a.event_type.localeCompare(b.event_type));
  }
}

/** A counter row: event type, count, newest timestamp. */
type Row = [EventType, number, number];

export const HOUR_MS = 3_600_000;

/**
 * GET /stats of a log with `head` and these counters; `offsetAtOrAfter(ts)` finds the first offset committed at or
 * after ts. Retained offsets are always one contiguous range (deletes remove a time prefix), so counts are arithmetic.
 */
export function logStats(
  head: LogHead,
  offsetAtOrAfter: (ts: number) => number,
  by_type: readonly TypeStat[],
  epoch: string,
  now: number,
): LogStats {
  const last = head.next - 1;
  const total = Math.max(0, last - head.first + 1);
  const lastHour = total === 0 ? 0 : Math.max(0, last - Math.max(head.first, offsetAtOrAfter(now - HOUR_MS)) + 1);
  return {
    total_events: total,
    events_last_hour: lastHour,
    by_type,
    head_offset: last,
    first_offset: head.first,
    epoch,
  };
}
