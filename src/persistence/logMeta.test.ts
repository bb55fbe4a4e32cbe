import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openMeta } from './logMeta.js';
import { SCHEMA_SQL } from './schema.js';

function database(): Database.Database {
  const db = new Database(':memory:');
  db.exec(SCHEMA_SQL);
  return db;
}

describe('openMeta', () => {
  it('makes the epoch once and keeps it', () => {
    const db = database();
    let made = 0;
    const newEpoch = () => `epoch-${++made}`;
    expect(openMeta(db, newEpoch).epoch).toBe('epoch-1');
    expect(openMeta(db, newEpoch).epoch).toBe('epoch-1');
    expect(made).toBe(1);
    db.close();
  });

  it('reads an empty log as next 1, first 1', () => {
    const db = database();
    expect(openMeta(db, () => 'e').head).toEqual({ next: 1, first: 1, lastTs: 0 });
    db.close();
  });

  it('never reuses an offset: next is past both the saved next_offset and the newest row, and lastTs never goes back', () => {
    const db = database();
    const insert = db.prepare("INSERT INTO events VALUES (?, 'id', 'quiz_started', 'lms', NULL, NULL, '{}', ?, NULL)");
    insert.run(4, 100);
    insert.run(5, 200);
    const { meta } = openMeta(db, () => 'e');
    expect(openMeta(db, () => 'e').head).toEqual({ next: 6, first: 4, lastTs: 200 });
    meta.set('next_offset', '9');
    meta.set('last_ts', '300');
    expect(openMeta(db, () => 'e').head).toEqual({ next: 9, first: 4, lastTs: 300 });
    db.exec('DELETE FROM events');
    // Hint: everything deleted: the log continues after the saved offset and is empty from there.
    expect(openMeta(db, () => 'e').head).toEqual({ next: 9, first: 9, lastTs: 300 });
    db.close();
  });

  it('removes the space probe after writing it', () => {
    const db = database();
    const { meta } = openMeta(db, () => 'e');
    meta.probeSpace();
    expect(meta.get('space_probe')).toBeUndefined();
    db.close();
  });
});
