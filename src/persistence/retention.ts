import type Database from 'better-sqlite3';
import type { EventType } from '../protocol/eventTypes.js';
import type { LogMeta } from './logMeta.js';
import { selectTuples, selectValue } from './sqlRows.js';

/**
 * Below this share of the log, producer ids are deleted through the deleted events' ids (one key probe each, ~1.3 µs)
 * rather than by scanning producer_ids for `o < boundary` (~57 ns a row, but every row: 570 ms at ten million).
 */
const PROBE_SHARE = 1 / 16;

/**
 * Delete every event below `boundary`, with its producer ids and its share of the type counters, in one transaction
 * (IMMEDIATE: it reads before it writes, and the writer thread may commit in between); next_offset is saved with it
 * so offsets are never reused. Returns the number of events deleted.
 */
export function deleteBelow(db: Database.Database, meta: LogMeta, boundary: number, nextOffset: number): number {
  return db
    .transaction(() => {
      const counts = selectTuples<[EventType, number]>(
        db,
        'SELECT event_type, COUNT(*) FROM events WHERE offset < ? GROUP BY event_type',
        boundary,
      );
      const decrement = db.prepare<[number, EventType]>('UPDATE type_stats SET count = count - ? WHERE event_type = ?');
      for (const [type, count] of counts) decrement.run(count, type);
      const first = selectValue<number | null>(db, 'SELECT MIN(offset) FROM events') ?? boundary;
      // Hint: a producer id's key is its event's id, so the two deletes remove the same rows (o < boundary either way).
      if (boundary - first < (nextOffset - first) * PROBE_SHARE)
        db.prepare<[number, number]>(
          'DELETE FROM producer_ids WHERE k IN (SELECT id FROM events WHERE offset < ?) AND o < ?',
        ).run(boundary, boundary);
      else db.prepare<[number]>('DELETE FROM producer_ids WHERE o < ?').run(boundary);
      const deleted = db.prepare<[number]>('DELETE FROM events WHERE offset < ?').run(boundary).changes;
      meta.set('next_offset', String(nextOffset));
      return deleted;
    })
    .immediate();
}
