import { formatTimestamp, type StoredEvent } from '../protocol/eventRecord.js';
import type { EventType } from '../protocol/eventTypes.js';

/** An events row as better-sqlite3 returns it in raw mode, in COLUMNS order (event_type is only ever written from a validated input). */
export type Row = [number, string, EventType, string, string | null, string | null, string, number];

/** The events columns, in Row order. */
export const COLUMNS = 'offset, id, event_type, source, session_id, user_id, payload, ts';

/** A raw row as a StoredEvent. */
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
