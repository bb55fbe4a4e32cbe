import { type EventInput, type PayloadLimits, parseEventInput } from './eventInput.js';
import { type Issue, type ParseResult, previewValue } from './issue.js';
import { lossyIntegerIn, lossyIntegerPath } from './lossyIntegers.js';
import { parseIsoTimestamp } from './timestamp.js';

/**
 * A row of the FastAPI service's `events` table as SQLite gives it back. Any column may hold any type (SQLite does
 * not enforce declared types), so each is checked here. `payload` is the JSON text its `json.dumps` wrote (NULL or
 * empty read as `{}` there); `timestamp` its `datetime.isoformat()` of a UTC time, with microseconds.
 */
export interface LegacyRow {
  readonly rowid: number;
  readonly id: unknown;
  readonly event_type: unknown;
  readonly source: unknown;
  readonly session_id: unknown;
  readonly user_id: unknown;
  readonly payload: unknown;
  readonly timestamp: unknown;
}

/** A legacy event as the log takes it: its input (its id kept as a producer's) and its time in epoch milliseconds. */
export interface LegacyEvent {
  readonly input: EventInput & { readonly id: string };
  readonly ts: number;
  /** It had an empty `session_id` or `user_id`, which the FastAPI service took and this log holds as null. */
  readonly emptied: boolean;
}

/**
 * Publish limits do not apply: the FastAPI service accepted these events under its own (MAX_PAYLOAD_KEYS and
 * MAX_PAYLOAD_BYTES are configurable there too), and a record already in a log is never checked against them. Depth is
 * bounded by MAX_JSON_DEPTH's largest value, so the checks that recurse cannot overflow the stack.
 */
const LEGACY_LIMITS: PayloadLimits = {
  maxPayloadKeys: Number.POSITIVE_INFINITY,
  maxPayloadBytes: Number.POSITIVE_INFINITY,
  maxJsonDepth: 1_000,
};

/** The fraction of a time's seconds, in the extended or basic format, after `.` or `,` (as parseIsoTimestamp reads). */
const SECONDS_FRACTION = /[Tt ]\d{2}(:?)\d{2}\1\d{2}[.,](\d+)/;

/**
 * A legacy timestamp in epoch microseconds, or null when it is not ISO 8601. Hint: the order to carry events over in;
 * the text does not sort (Python's isoformat drops a zero fraction: `10:00:00Z` sorts after `10:00:00.5Z`), and
 * milliseconds alone would tie events the FastAPI service told apart.
 */
export function legacyMicros(timestamp: unknown): number | null {
  if (typeof timestamp !== 'string') return null;
  const ms = parseIsoTimestamp(timestamp);
  if (ms === null) return null;
  const fraction = SECONDS_FRACTION.exec(timestamp)?.[2] ?? '';
  return ms * 1000 + Number(fraction.slice(3, 6).padEnd(3, '0'));
}

/** The payload's JSON text as the FastAPI service served it (NULL or empty: `{}`), or why it cannot be stored. */
function payloadOf(value: unknown): { readonly value: unknown } | Issue {
  if (value === null || value === '') return { value: {} };
  if (typeof value !== 'string') return { field: 'payload', message: `is not JSON text but ${previewValue(value)}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    return { field: 'payload', message: `is not valid JSON (${error instanceof Error ? error.message : error})` };
  }
  const lossy = lossyIntegerIn(value);
  if (lossy === null) return { value: parsed };
  const path = lossyIntegerPath(parsed, lossy);
  return {
    field: path === '' ? 'payload' : `payload.${path}`,
    message: `is the integer ${lossy}, which this log (JSON numbers as 64-bit floats) would hold as ${Number(lossy)}`,
  };
}

/** The time of a legacy row in epoch milliseconds (microseconds cut), or why it has none this log can hold. */
function timeOf(value: unknown): number | Issue {
  const ms = typeof value === 'string' ? parseIsoTimestamp(value) : null;
  if (ms === null) return { field: 'timestamp', message: `is not an ISO 8601 time: ${previewValue(value)}` };
  return ms < 0 ? { field: 'timestamp', message: `is before 1970, which this log cannot hold: ${value}` } : ms;
}

/**
 * A row of the FastAPI service's `events` table as an event of this log, checked by the rules every publish meets
 * (event type, source, keys, id, payload an object), or every reason it cannot be stored as it was.
 */
export function parseLegacyRow(row: LegacyRow): ParseResult<LegacyEvent> {
  const issues: Issue[] = [];
  if (typeof row.id !== 'string') issues.push({ field: 'id', message: `is ${previewValue(row.id)}, not text` });
  const ts = timeOf(row.timestamp);
  if (typeof ts !== 'number') issues.push(ts);
  const payload = payloadOf(row.payload);
  if ('field' in payload) issues.push(payload);
  const emptied = row.session_id === '' || row.user_id === '';
  const parsed = parseEventInput(
    {
      id: typeof row.id === 'string' ? row.id : null,
      event_type: row.event_type,
      source: row.source,
      session_id: row.session_id === '' ? null : row.session_id,
      user_id: row.user_id === '' ? null : row.user_id,
      payload: 'field' in payload ? {} : payload.value,
    },
    LEGACY_LIMITS,
  );
  if (!parsed.ok) issues.push(...parsed.issues);
  if (!parsed.ok || issues.length > 0 || typeof ts !== 'number' || typeof row.id !== 'string')
    return { ok: false, issues };
  return { ok: true, value: { input: { ...parsed.value, id: row.id }, ts, emptied } };
}
