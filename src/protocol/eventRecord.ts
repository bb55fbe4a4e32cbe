import type { EventType } from './eventTypes.js';

/** A committed event as the log stores it; `payloadJson` is kept serialized so fan-out never re-stringifies. */
export interface StoredEvent {
  readonly offset: number;
  readonly id: string;
  readonly event_type: EventType;
  readonly source: string;
  readonly session_id: string | null;
  readonly user_id: string | null;
  readonly payloadJson: string;
  /** Milliseconds since the Unix epoch, non-decreasing in offset. */
  readonly ts: number;
}

/** The event record of the wire contract. */
export interface EventRecord {
  readonly id: string;
  readonly offset: number;
  readonly event_type: EventType;
  readonly source: string;
  readonly session_id: string | null;
  readonly user_id: string | null;
  readonly payload: Record<string, unknown>;
  readonly timestamp: string;
}

let lastTs = Number.NaN;
let lastIso = '';

/** ISO 8601 UTC with a trailing Z, as the contract requires. */
export function formatTimestamp(ts: number): string {
  // Hint: a group commit stamps every record with one ts, so the last conversion is nearly always reusable.
  if (ts !== lastTs) {
    lastIso = new Date(ts).toISOString();
    lastTs = ts;
  }
  return lastIso;
}

/** Characters a JSON string may hold unescaped, in the ASCII range (no quote, backslash or control). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON string literal; ids and keys are nearly always plain ASCII, which needs no escaping pass. */
export function quote(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

/** Serialize a stored event to the contract's JSON without re-parsing its payload. */
export function recordJson(event: StoredEvent): string {
  return (
    '{"id":' +
    quote(event.id) +
    ',"offset":' +
    event.offset +
    ',"event_type":"' +
    event.event_type +
    '","source":"' +
    event.source +
    '","session_id":' +
    (event.session_id === null ? 'null' : quote(event.session_id)) +
    ',"user_id":' +
    (event.user_id === null ? 'null' : quote(event.user_id)) +
    ',"payload":' +
    event.payloadJson +
    ',"timestamp":"' +
    formatTimestamp(event.ts) +
    '"}'
  );
}

/** Serialize several stored events as one JSON array. */
export function recordsJson(events: readonly StoredEvent[]): string {
  let out = '[';
  for (let i = 0; i < events.length; i++) {
    if (i > 0) out += ',';
    out += recordJson(events[i]!);
  }
  return `${out}]`;
}

/** The contract record as a plain object (for tests and non-hot paths). */
export function toRecord(event: StoredEvent): EventRecord {
  return JSON.parse(recordJson(event)) as EventRecord;
}

const OFFSET_KEY = ',"offset":';

/**
 * The offset of a record's contract JSON (`{"id":<string>,"offset":N,…`). Hint: the first `,"offset":` is the key,
 * since inside the id literal every quote is escaped.
 */
export function offsetOfRecordJson(json: string): number {
  const at = json.indexOf(OFFSET_KEY) + OFFSET_KEY.length;
  return Number.parseInt(json.slice(at, json.indexOf(',', at)), 10);
}
