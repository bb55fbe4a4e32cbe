import type Database from 'better-sqlite3';
import { COLUMNS, ROW_JSON_SQL, type Row, rowJson, rowJsonDay } from './eventRows.js';
import { recordChecksum } from './recordChecksum.js';
import { BOUND_LIMIT, selectTuples } from './sqlRows.js';

/** Rows per read of the scan: large enough that the statement's overhead vanishes, small enough to stay in cache. */
const PAGE_ROWS = 4096;

/**
 * The offset of the first record of `events` whose JSON does not match its checksum, or null when every checked record
 * matches (`INTEGRITY_CHECK=full`, after SQLite's check of the pages). Hint: SQLite formats each row as replay does;
 * a row it cannot format (a timestamp outside 1970–9999) is formatted here from its values.
 */
export function firstAlteredRecord(db: Database.Database): number | null {
  const page = db
    .prepare<unknown[], [number, string | null, number, number]>(
      `SELECT offset, ${ROW_JSON_SQL}, crc, ts FROM events WHERE offset > ? AND crc IS NOT NULL ORDER BY offset ${BOUND_LIMIT}`,
    )
    .raw();
  let after = 0;
  let day = rowJsonDay(-1);
  for (;;) {
    const rows = page.all(...day, after, PAGE_ROWS);
    for (const [offset, json, crc] of rows) {
      const text = json ?? rowJson(selectTuples<Row>(db, `SELECT ${COLUMNS} FROM events WHERE offset = ?`, offset)[0]!);
      if (recordChecksum(text) !== crc) return offset;
    }
    if (rows.length < PAGE_ROWS) return null;
    const last = rows[rows.length - 1]!;
    after = last[0];
    day = rowJsonDay(last[3]);
  }
}
