import { formatTimestamp, type StoredEvent } from '../protocol/eventRecord.js';
import type { EventType } from '../protocol/eventTypes.js';
import { verifyRecord } from './recordChecksum.js';

/** An events row as better-sqlite3 returns it in raw mode, in COLUMNS order (event_type is only ever written from a validated input). */
export type Row = [number, string, EventType, string, string | null, string | null, string, number, number | null];

/** The events columns, in Row order. */
export const COLUMNS = 'offset, id, event_type, source, session_id, user_id, payload, ts, crc';
/** Values per events row (COLUMNS), as the row writers bind them. */
export const ROW_PARAMS = 9;

/** A raw row as a StoredEvent, to be served: only once it matches its checksum (else a ChecksumMismatch is thrown). */
export function servedEvent(row: Row): StoredEvent {
  if (row[8] !== null) verifyRecord(rowJson(row), row[8], row[0]);
  return toEvent(row);
}

/** A raw row as a StoredEvent, unchecked (for derived state, such as the index's keys; reads use servedEvent). */
export function toEvent(row: Row): StoredEvent {
  return {
    offset: row[0],
    id: row[1],
    event_type: row[2],
    source: row[3],
    session_id: row[4],
    user_id: row[5],
    payloadJson: row[6],
    ts: row[7],
  };
}

/** Characters a JSON string may hold unescaped, in the ASCII range (as recordJson's). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function quote(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

/**
 * A raw row as its contract JSON (replay's hot path): recordJson's output, built straight from the row without a
 * StoredEvent in between (a property test holds the two equal).
 */
export function rowJson(row: Row): string {
  return (
    '{"id":' +
    quote(row[1]) +
    ',"offset":' +
    row[0] +
    ',"event_type":"' +
    row[2] +
    '","source":"' +
    row[3] +
    '","session_id":' +
    (row[4] === null ? 'null' : quote(row[4])) +
    ',"user_id":' +
    (row[5] === null ? 'null' : quote(row[5])) +
    ',"payload":' +
    row[6] +
    ',"timestamp":"' +
    formatTimestamp(row[7]) +
    '"}'
  );
}

/** The last offset recordJson can format as `YYYY-MM-DDTHH:MM:SS.sssZ` (9999-12-31T23:59:59.999Z); SQLite's strftime agrees up to here. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;

/** Milliseconds in a day (UTC days: no leap seconds in epoch time). */
const DAY_MS = 86_400_000;

/**
 * rowJson as one SQL expression over an events row, or NULL where its timestamp is outside 1970–9999 (the caller
 * then uses rowJson). It takes two parameters first, `rowJsonDay(ts)` of a nearby row: rows of that day reuse its
 * date text, since strftime was ~40% of the expression's cost (measured), and the time of day is integer arithmetic.
 * Hint: the row's JSON is built inside SQLite, so replay gets one string per row (or one frame per page) instead of
 * eight values; `json_quote` escapes exactly as JSON.stringify does (checked for every code point).
 */
export const ROW_JSON_SQL =
  `iif(ts BETWEEN 0 AND ${LAST_FOUR_DIGIT_YEAR_MS}, format('{"id":%s,"offset":%d,"event_type":"%s","source":"%s",` +
  `"session_id":%s,"user_id":%s,"payload":%s,"timestamp":"%sT%02d:%02d:%02d.%03dZ"}', json_quote(id), offset, ` +
  `event_type, source, json_quote(session_id), json_quote(user_id), payload, iif(ts / ${DAY_MS} = ?, ?, ` +
  `strftime('%Y-%m-%d', ts / 1000, 'unixepoch')), ts / 3600000 % 24, ts / 60000 % 60, ts / 1000 % 60, ts % 1000), NULL)`;

/**
 * rowJsonDay of the first row at or after an offset (the parameter), as SQL: for threads that read pages without
 * this module (the reader thread). A unit test holds the two equal.
 */
export const ROW_JSON_DAY_SQL =
  `SELECT iif(ts BETWEEN 0 AND ${LAST_FOUR_DIGIT_YEAR_MS}, ts / ${DAY_MS}, -1), iif(ts BETWEEN 0 AND ` +
  `${LAST_FOUR_DIGIT_YEAR_MS}, strftime('%Y-%m-%d', ts / ${DAY_MS} * 86400, 'unixepoch'), '') FROM events ` +
  'WHERE offset >= ? ORDER BY offset LIMIT 1';

/** ROW_JSON_SQL's two leading parameters for a page whose rows are near `ts`: its UTC day and that day's date text. */
export function rowJsonDay(ts: number): [number, string] {
  if (!(ts >= 0 && ts <= LAST_FOUR_DIGIT_YEAR_MS)) return [-1, ''];
  const day = Math.floor(ts / DAY_MS);
  return [day, new Date(day * DAY_MS).toISOString().slice(0, 10)];
}
