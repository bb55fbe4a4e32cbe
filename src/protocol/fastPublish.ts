import { canonicalObjectEnd, canonicalStringEnd } from './canonicalJson.js';
import { type EventInput, fastEventInput, type PayloadLimits } from './eventInput.js';

const FIELDS = ['event_type', 'source', 'session_id', 'user_id', 'payload', 'id'] as const;
type Field = (typeof FIELDS)[number];
const PLACEHOLDER_PAYLOAD = {};

/**
 * The field named by text[start, end), compared in place. Hint: keying `values` by a fresh slice of the message
 * made V8 internalize six new strings per event (measured ~0.35 µs each), most of this function's cost.
 */
function fieldAt(text: string, start: number, end: number): Field | undefined {
  for (const field of FIELDS) if (field.length === end - start && text.startsWith(field, start)) return field;
  return undefined;
}

/**
 * A string value of the message as a string of its own. Hint: V8 makes a slice of 13 or more characters a view that
 * keeps the whole message alive; a session or user id kept as a Map key (the session registry, the unindexed tail)
 * then pinned its whole publish message for as long as it was kept (2,000 keys of 30 characters sliced from 50 KB
 * messages held 100 MB). Concatenating flattens into a new string, so its slice no longer points into the message
 * (about 45 ns; shorter slices are copies already). Only the two ids the server keeps get one: the event type is
 * interned (eventTypeNamed), and the source and a producer's id are written to the log and dropped.
 */
function ownText(text: string, start: number, end: number): string {
  return end - start < 13 ? text.slice(start, end) : ` ${text.slice(start, end)}`.slice(1);
}

/**
 * The fields read so far; undefined until seen. One fixed shape, so storing by field name stays a fast store. The
 * payload is held as PLACEHOLDER_PAYLOAD (its text goes separately), so the object is checked as it is, not copied.
 */
type Values = Record<Exclude<Field, 'payload'>, string | null | undefined> & { payload: object | null | undefined };

/** Where a scan is in the text: eventAt reads from `at` and leaves it just past the event. */
interface Cursor {
  at: number;
}

/**
 * A one-event `/ws/publish` message read without JSON.parse, or null (take the general path, which then decides and
 * explains). Only the common shape: one object of the six event fields, no whitespace or escapes, and a canonical
 * payload (see canonicalJson), whose text becomes `payloadJson` as is. A property test holds that whenever this
 * answers, the general path accepts the message with exactly this input.
 */
export function fastSingleEvent(text: string, limits: PayloadLimits): EventInput | null {
  const cursor = { at: 0 };
  const input = eventAt(text, cursor, limits);
  return input !== null && cursor.at === text.length ? input : null;
}

/** A batch read by fastEventBatch: its events, and the envelope's `ref` (undefined for a bare array). */
export interface FastBatch {
  readonly inputs: EventInput[];
  readonly ref: number | undefined;
}

const ENVELOPE_START = '{"ref":';
const ENVELOPE_EVENTS = ',"events":';

/**
 * A `/ws/publish` batch read the same way, or null for anything else (an empty array included): an array of events
 * (`[event,event,…]`, each as fastSingleEvent reads one), or the SDK's envelope `{"ref":N,"events":[…]}` with a
 * plain non-negative integer `ref` first. Hint: the general path parses the whole message, then serializes every
 * payload again; for canonical text that is the text itself.
 */
export function fastEventBatch(text: string, limits: PayloadLimits): FastBatch | null {
  if (text.charCodeAt(0) === 0x5b /* [ */) {
    const cursor = { at: 0 };
    const inputs = eventsAt(text, cursor, limits);
    return inputs !== null && cursor.at === text.length ? { inputs, ref: undefined } : null;
  }
  if (!text.startsWith(ENVELOPE_START)) return null;
  const digits = ENVELOPE_START.length;
  let i = digits;
  while (i - digits < 16 && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
  // Hint: up to 15 digits and no leading zero, so Number() gives exactly what JSON.parse would.
  if (i === digits || i - digits > 15 || (text.charCodeAt(digits) === 0x30 && i - digits > 1)) return null;
  if (!text.startsWith(ENVELOPE_EVENTS, i)) return null;
  const cursor = { at: i + ENVELOPE_EVENTS.length };
  const inputs = eventsAt(text, cursor, limits);
  if (inputs === null || cursor.at !== text.length - 1 || text.charCodeAt(cursor.at) !== 0x7d /* } */) return null;
  return { inputs, ref: Number(text.slice(digits, i)) };
}

/** A non-empty array of events at `cursor.at`; the cursor ends just past it. */
function eventsAt(text: string, cursor: Cursor, limits: PayloadLimits): EventInput[] | null {
  if (text.charCodeAt(cursor.at) !== 0x5b /* [ */) return null;
  cursor.at++;
  const inputs: EventInput[] = [];
  for (;;) {
    const input = eventAt(text, cursor, limits);
    if (input === null) return null;
    inputs.push(input);
    const c = text.charCodeAt(cursor.at);
    cursor.at++;
    if (c === 0x5d /* ] */) return inputs;
    if (c !== 0x2c /* , */) return null;
  }
}

/** The event object at `cursor.at`; on success the cursor is just past it. */
function eventAt(text: string, cursor: Cursor, limits: PayloadLimits): EventInput | null {
  // Hint: nesting counts from the event (level 1, its payload 2) in every form, as over REST: an array or envelope
  // around it adds nothing (decodePublishMessage bounds the message as a whole).
  const maxDepth = limits.maxJsonDepth;
  let i = cursor.at;
  if (maxDepth < 1 || text.charCodeAt(i) !== 0x7b /* { */) return null;
  const values: Values = {
    event_type: undefined,
    source: undefined,
    session_id: undefined,
    user_id: undefined,
    payload: undefined,
    id: undefined,
  };
  let payloadJson = '{}';
  let payloadKeys = 0;
  i++;
  for (;;) {
    const keyEnd = canonicalStringEnd(text, i);
    if (keyEnd < 0 || text.charCodeAt(keyEnd) !== 0x3a /* : */) return null;
    const key = fieldAt(text, i + 1, keyEnd - 1);
    if (key === undefined || values[key] !== undefined) return null;
    i = keyEnd + 1;
    if (text.startsWith('null', i)) {
      values[key] = null;
      i += 4;
    } else if (key === 'payload') {
      if (maxDepth < 2) return null;
      const object = canonicalObjectEnd(text, i, maxDepth - 2);
      if (object.end < 0) return null;
      payloadJson = text.slice(i, object.end);
      payloadKeys = object.keys;
      values.payload = PLACEHOLDER_PAYLOAD;
      i = object.end;
    } else {
      const end = canonicalStringEnd(text, i);
      if (end < 0) return null;
      values[key] =
        key === 'session_id' || key === 'user_id' ? ownText(text, i + 1, end - 1) : text.slice(i + 1, end - 1);
      i = end;
    }
    const c = text.charCodeAt(i);
    if (c === 0x7d /* } */) {
      cursor.at = i + 1;
      return accept(values, payloadJson, payloadKeys, limits);
    }
    if (c !== 0x2c /* , */) return null;
    i++;
  }
}

/** The fields read, checked exactly as the general path checks a shape-valid event. */
function accept(values: Values, payloadJson: string, payloadKeys: number, limits: PayloadLimits): EventInput | null {
  // Hint: near the limits the general path words the refusal; 3 bytes per UTF-16 unit bounds the UTF-8 size.
  if (payloadKeys > limits.maxPayloadKeys || payloadJson.length * 3 > limits.maxPayloadBytes) return null;
  return fastEventInput(values, payloadJson);
}
