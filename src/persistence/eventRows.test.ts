import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { offsetOfRecordJson } from '../protocol/eventRecord.js';
import { EVENT_TYPES } from '../protocol/eventTypes.js';
import { COLUMNS, ROW_JSON_DAY_SQL, ROW_JSON_SQL, type Row, rowJson, rowJsonDay } from './eventRows.js';

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '"quoted"',
    'back\\slash',
    'tab\there',
    'line\nbreak',
    '\u0001\u001f\u007f',
    'ünï 😀',
    ',"offset":9,',
  ),
);

const row = fc.record({
  offset: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  id: text,
  event_type: fc.constantFrom(...EVENT_TYPES),
  source: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,20}$/),
  session_id: fc.option(text, { nil: null }),
  user_id: fc.option(text, { nil: null }),
  payload: fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
  // Hint: around the edges of the range SQLite formats (1970 to 9999), and beyond them on both sides.
  ts: fc.oneof(
    fc.integer({ min: -1_000_000_000_000, max: 300_000_000_000_000 }),
    fc.constantFrom(-1, 0, 999, 1000, 253_402_300_799_999, 253_402_300_800_000),
  ),
});

describe('ROW_JSON_SQL', () => {
  it('is rowJson computed by SQLite for rows dated 1970–9999, and NULL (use rowJson) for any other', () => {
    const db = new Database(':memory:');
    db.exec(
      'CREATE TABLE events (offset INTEGER PRIMARY KEY, id TEXT NOT NULL, event_type TEXT NOT NULL, source TEXT NOT NULL, session_id TEXT, user_id TEXT, payload TEXT NOT NULL, ts INTEGER NOT NULL, crc INTEGER)',
    );
    const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)');
    const read = db.prepare(`SELECT ${ROW_JSON_SQL}, ${COLUMNS} FROM events WHERE offset = ?`).raw(true);
    try {
      fc.assert(
        // Hint: the day parameters come from the row itself, from a row a day away, or from an out-of-range one.
        fc.property(row, fc.constantFrom(0, 86_400_000, -86_400_000, -1e15), (r, nearby) => {
          db.exec('DELETE FROM events');
          insert.run(r.offset, r.id, r.event_type, r.source, r.session_id, r.user_id, r.payload, r.ts);
          const [json, ...stored] = read.get(...rowJsonDay(r.ts + nearby), r.offset) as [string | null, ...Row];
          const inRange = r.ts >= 0 && r.ts <= 253_402_300_799_999;
          // Hint: compare with rowJson of the row as stored (SQLite replaces lone surrogates on the way in).
          expect(json).toBe(inRange ? rowJson(stored) : null);
        }),
        { numRuns: 1000 },
      );
    } finally {
      db.close();
    }
  });
});

describe('ROW_JSON_DAY_SQL', () => {
  it('is rowJsonDay of the first row at or after the offset, computed by SQLite, for any timestamp', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE events (offset INTEGER PRIMARY KEY, ts INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO events VALUES (?, ?)');
    const day = db.prepare(ROW_JSON_DAY_SQL).raw(true);
    try {
      fc.assert(
        fc.property(row, fc.nat({ max: 3 }), (r, before) => {
          db.exec('DELETE FROM events');
          insert.run(r.offset, r.ts);
          // Hint: asked from the row's own offset or from a few offsets below it (the next row at or after).
          expect(day.get(Math.max(1, r.offset - before))).toEqual(rowJsonDay(r.ts));
        }),
        { numRuns: 1000 },
      );
    } finally {
      db.close();
    }
  });
});

describe('offsetOfRecordJson', () => {
  it('reads back the offset of any record rowJson builds, whatever its id holds', () => {
    fc.assert(
      fc.property(row, (r) => {
        const stored: Row = [r.offset, r.id, r.event_type, r.source, r.session_id, r.user_id, r.payload, 0, null];
        expect(offsetOfRecordJson(rowJson(stored))).toBe(r.offset);
      }),
    );
  });
});
