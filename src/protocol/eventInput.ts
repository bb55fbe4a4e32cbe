import * as v from 'valibot';
import { SOURCE_CHARACTERS, SOURCE_MAX_CHARS, SOURCE_PATTERN } from './eventSource.js';
import { EVENT_TYPES, type EventType, eventTypeNamed, unknownEventType } from './eventTypes.js';
import type { ParseResult } from './issue.js';
import { issuesFromValibot } from './issuesFromValibot.js';
import { tooDeepAt } from './jsonDepth.js';
import { legacyEventKind } from './legacyIssueKinds.js';
import { NON_FINITE_MESSAGE, nulledValueIn } from './nulledValues.js';
import { KEY_MAX_CHARS, optionalKey, pattern, wellFormed } from './optionalKey.js';

/** Limits that come from configuration (MAX_PAYLOAD_KEYS, MAX_PAYLOAD_BYTES, MAX_JSON_DEPTH). */
export interface PayloadLimits {
  readonly maxPayloadKeys: number;
  readonly maxPayloadBytes: number;
  /** Containers may nest this deep in an event, counting the event object itself as 1. */
  readonly maxJsonDepth: number;
}

/** A validated event, ready to append. `payloadJson` is the payload serialized once. */
export interface EventInput {
  /** Producer id that makes the publish idempotent; absent means the server assigns one. */
  readonly id: string | null;
  readonly event_type: EventType;
  readonly source: string;
  readonly session_id: string | null;
  readonly user_id: string | null;
  readonly payloadJson: string;
}

const PRODUCER_ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;

/** True for a JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The valibot schema for one event as producers send it (extra fields are ignored, as before). */
export const EventInputSchema = v.object(
  {
    event_type: v.picklist(EVENT_TYPES, (issue) => unknownEventType(issue.input)),
    source: v.pipe(
      v.string('must be a string'),
      v.minLength(1, 'must not be empty'),
      v.maxLength(SOURCE_MAX_CHARS, `must be at most ${SOURCE_MAX_CHARS} characters`),
      wellFormed,
      pattern(SOURCE_PATTERN, SOURCE_CHARACTERS),
      v.metadata({ pattern: SOURCE_PATTERN.source }),
    ),
    session_id: optionalKey(KEY_MAX_CHARS, 'stored'),
    user_id: optionalKey(KEY_MAX_CHARS, 'stored'),
    payload: v.optional(v.nullable(v.custom<Record<string, unknown>>(isPlainObject, 'must be a JSON object'))),
    id: v.optional(
      v.nullable(
        v.pipe(
          v.string('must be a string'),
          v.minLength(1, 'must not be empty'),
          v.maxLength(100, 'must be at most 100 characters'),
          wellFormed,
          pattern(PRODUCER_ID_PATTERN, 'may contain only letters, digits, "_", ".", ":" and "-"'),
          v.metadata({ pattern: PRODUCER_ID_PATTERN.source }),
        ),
      ),
    ),
  },
  'event must be a JSON object',
);

/** The schema's output shape. */
type EventShape = v.InferOutput<typeof EventInputSchema>;

const optionalText = (value: unknown, max: number) =>
  value === undefined ||
  value === null ||
  (typeof value === 'string' && value.length >= 1 && value.length <= max && value.isWellFormed());

/**
 * The schema's accept path as plain checks: the same rules as EventInputSchema, about 10× cheaper per event
 * (valibot measured ~2.5 µs/event on the ingest profile). Null means "not obviously valid": the caller then runs
 * the schema, which decides and explains. A property test holds the two in agreement.
 */
export function fastEventShape(raw: unknown): EventShape | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const event_type = fastValidType(r);
  if (event_type === undefined) return null;
  return {
    event_type,
    source: r.source as string,
    session_id: r.session_id as string | null | undefined,
    user_id: r.user_id as string | null | undefined,
    payload: r.payload as Record<string, unknown> | null | undefined,
    id: r.id as string | null | undefined,
  };
}

/**
 * fastEventShape's input for the fast `/ws/publish` reader's fields, built directly (no shape object in between:
 * one object less per event on the ingest path), or null when fastEventShape would answer null.
 */
export function fastEventInput(fields: Record<string, unknown>, payloadJson: string): EventInput | null {
  const event_type = fastValidType(fields);
  if (event_type === undefined) return null;
  return eventInputOf(fields as Omit<EventShape, 'event_type' | 'payload'>, event_type, payloadJson);
}

/** fastEventShape's checks: the event type as the one interned name when every field passes, else undefined. */
function fastValidType(r: Record<string, unknown>): EventType | undefined {
  const { source, session_id, user_id, payload, id } = r;
  const event_type = eventTypeNamed(r.event_type);
  if (event_type === undefined) return undefined;
  if (
    typeof source !== 'string' ||
    source.length < 1 ||
    source.length > SOURCE_MAX_CHARS ||
    !SOURCE_PATTERN.test(source)
  )
    return undefined;
  if (!optionalText(session_id, 200) || !optionalText(user_id, 200)) return undefined;
  if (!(payload === undefined || payload === null || isPlainObject(payload))) return undefined;
  if (
    !(
      id === undefined ||
      id === null ||
      (typeof id === 'string' && id.length >= 1 && id.length <= 100 && PRODUCER_ID_PATTERN.test(id))
    )
  )
    return undefined;
  return event_type;
}

/**
 * Validate one untrusted event; issues name the field and the reason, and an issue with the event as a whole has the
 * field '' (the caller names it: `body`, `message`, or a batch's `[3]`).
 */
export function parseEventInput(raw: unknown, limits: PayloadLimits): ParseResult<EventInput> {
  // Hint: v.object accepts arrays (typeof [] is 'object') and would report "field required" for every key.
  if (Array.isArray(raw)) {
    const kind = { rule: 'type', expected: 'model', input: raw } as const;
    return { ok: false, issues: [{ field: '', message: 'event must be a JSON object', kind }] };
  }
  // Hint: before anything recursive (valibot, JSON.stringify): 10,000 levels overflow the stack there.
  const unstorable = unstorableIn(raw, limits.maxJsonDepth);
  if (unstorable !== undefined) {
    // Hint: a number found first may sit beside a branch too deep to recurse into; tooDeepAt is iterative.
    const deep = tooDeepAt(raw, limits.maxJsonDepth);
    if (deep !== null)
      return {
        ok: false,
        issues: [
          {
            field: deep === 'body' ? '' : deep,
            message: `nests deeper than ${limits.maxJsonDepth} levels (MAX_JSON_DEPTH)`,
          },
        ],
      };
    // Hint: of the fields that may hold a number, only the payload is stored and the ref echoed; one in a field no
    // rule reads (a producer's own `timestamp: 1e400`) is ignored with it, as the old service ignored it.
    const nulled = nulledValueIn(isPlainObject(raw) ? { payload: raw.payload, ref: raw.ref } : raw);
    if (nulled !== null) return { ok: false, issues: [{ field: nulled.path, message: NON_FINITE_MESSAGE }] };
  }
  const fast = fastEventShape(raw);
  if (fast !== null) return checkPayload(fast, limits);
  const result = v.safeParse(EventInputSchema, raw);
  if (!result.success) return { ok: false, issues: issuesFromValibot(result.issues, '', legacyEventKind) };
  return checkPayload(result.output, limits);
}

/**
 * Why a parsed event cannot be stored as sent: containers nesting deeper than `max` (the value itself is level 1), or
 * a number JSON.parse read as ±Infinity (`1e400`), which JSON.stringify would store as null. Recursion is bounded by
 * `max`, so it cannot overflow; it allocates nothing, which keeps it cheap on the ingest path (tooDeepAt and
 * nulledValueIn then name the field).
 */
function unstorableIn(value: unknown, max: number): 'depth' | 'number' | undefined {
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'number' && !Number.isFinite(value) ? 'number' : undefined;
  }
  if (max === 0) return 'depth';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableIn(value[i], max - 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const found = unstorableIn(record[key], max - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The configured payload limits, applied to a shape-valid event; serializes the payload once. */
function checkPayload(event: EventShape, limits: PayloadLimits): ParseResult<EventInput> {
  const payload = event.payload ?? {};
  const keyCount = Object.keys(payload).length;
  if (keyCount > limits.maxPayloadKeys) {
    return {
      ok: false,
      issues: [
        {
          field: 'payload',
          message: `has ${keyCount} keys; at most ${limits.maxPayloadKeys} allowed`,
          kind: { rule: 'validator', input: payload },
        },
      ],
    };
  }
  const payloadJson = JSON.stringify(payload);
  // Hint: length counts UTF-16 units; the byte count only matters near the limit.
  if (payloadJson.length * 3 > limits.maxPayloadBytes) {
    const bytes = Buffer.byteLength(payloadJson, 'utf8');
    if (bytes > limits.maxPayloadBytes) {
      return {
        ok: false,
        issues: [
          {
            field: 'payload',
            message: `is ${bytes} bytes serialized; at most ${limits.maxPayloadBytes} allowed`,
            kind: { rule: 'validator', input: payload },
          },
        ],
      };
    }
  }
  return { ok: true, value: eventInputOf(event, event.event_type, payloadJson) };
}

/** The stored form of a valid event: absent optional fields as null, the payload as its JSON text. */
export function eventInputOf(
  event: Omit<EventShape, 'event_type' | 'payload'>,
  event_type: EventType,
  payloadJson: string,
): EventInput {
  return {
    id: event.id ?? null,
    event_type,
    source: event.source,
    session_id: event.session_id ?? null,
    user_id: event.user_id ?? null,
    payloadJson,
  };
}
