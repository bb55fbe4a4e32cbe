import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { COLUMNS, type Row, toEvent } from './eventRows.js';
import { LogMeta } from './logMeta.js';
import { RowWriter } from './rowWriter.js';
import { SCHEMA_SQL } from './schema.js';
import { selectTuples, selectValue } from './sqlRows.js';
import { TYPE_STATS_UPTO, TypeStats } from './typeStats.js';

function open(): { db: Database.Database; meta: LogMeta; stats: TypeStats; rows: RowWriter } {
  const db = new Database(':memory:');
  db.exec(SCHEMA_SQL);
  const meta = new LogMeta(db);
  const stats = new TypeStats(db);
  return { db, meta, stats, rows: new RowWriter(db, stats, meta) };
}

function event(offset: number, ts: number): StoredEvent {
  return {
    offset,
    id: `e${offset}`,
    event_type: offset % 3 === 0 ? 'quiz_started' : 'answer_submitted',
    source: 'lms',
    session_id: offset % 2 === 0 ? 's' : null,
    user_id: null,
    payloadJson: `{"n":${offset}}`,
    ts,
  };
}

describe('RowWriter', () => {
  it('writes every row of a commit exactly once, however the rows fall across multi-row INSERTs and flushes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 130 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (runs, withIds) => {
          const { db, meta, stats, rows } = open();
          const written: StoredEvent[] = [];
          db.transaction(() => {
            rows.begin();
            for (const run of runs) {
              for (let i = 0; i < run; i++) {
                const e = event(written.length + 1, 7);
                rows.write(e, withIds ? e.id : null);
                written.push(e);
              }
              // Hint: a flush mid-commit (a group with producer ids) must make every row so far readable.
              rows.flush();
              expect(selectValue<number>(db, 'SELECT COUNT(*) FROM events')).toBe(written.length);
            }
            expect(rows.finish(written.length + 1, 7)).toBe(written.length > 0);
          })();
          expect(selectTuples<Row>(db, `SELECT ${COLUMNS} FROM events ORDER BY offset`).map(toEvent)).toEqual(written);
          expect(selectValue<number>(db, 'SELECT COUNT(*) FROM producer_ids')).toBe(withIds ? written.length : 0);
          if (written.length > 0) {
            expect(meta.get('next_offset')).toBe(String(written.length + 1));
            expect(meta.get('last_ts')).toBe('7');
            expect(meta.get(TYPE_STATS_UPTO)).toBe(String(written.length));
          } else expect(meta.get('next_offset')).toBeUndefined();
          const counted = stats.list().reduce((sum, stat) => sum + stat.count, 0);
          expect(counted).toBe(written.length);
          db.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('adds one commit of type counts to the table and to memory, and begin() forgets a rolled-back commit', () => {
    const { db, stats, rows } = open();
    const fail = db.transaction(() => {
      rows.begin();
      rows.write(event(1, 5), null);
      throw new Error('rolled back');
    });
    expect(() => fail()).toThrow('rolled back');
    db.transaction(() => {
      rows.begin();
      rows.write(event(1, 5), null);
      rows.write(event(2, 5), null);
      rows.write(event(3, 5), null);
      rows.finish(4, 5);
    })();
    const expected = [
      { event_type: 'answer_submitted', count: 2, last_seen: 5 },
      { event_type: 'quiz_started', count: 1, last_seen: 5 },
    ];
    expect(stats.list()).toEqual(expected);
    stats.reload();
    expect(stats.list()).toEqual(expected);
    db.close();
  });
});
