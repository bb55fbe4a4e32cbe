import { recordJson, type StoredEvent } from '../protocol/eventRecord.js';
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

/** A raw row as its contract JSON (replay's hot path). */
export function rowJson(row: Row): string {
  return recordJson(toEvent(row));
}
