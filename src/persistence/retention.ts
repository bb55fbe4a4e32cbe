import type Database from 'better-sqlite3';
import type { EventType } from '../protocol/eventTypes.js';
import type { LogMeta } from './logMeta.js';
import { selectTuples } from './sqlRows.js';

/**
 * Delete every event below `boundary`, with its producer ids and its share of the type counters, in one
 * transaction (IMMEDIATE: it reads before it writes, and the writer thread may commit in between); next_offset is saved with it so offsets are never reused. Returns the number of events deleted.
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
      const deleted = db.prepare<[number]>('DELETE FROM events WHERE offset < ?').run(boundary).changes;
      db.prepare<[number]>('DELETE FROM producer_ids WHERE o < ?').run(boundary);
      meta.set('next_offset', String(nextOffset));
      return deleted;
    })
    .immediate();
}
