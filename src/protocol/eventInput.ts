import * as v from 'valibot';
import { EVENT_TYPES, type EventType } from './eventTypes.js';
import type { Issue, ParseResult } from './issue.js';

/** Limits that come from configuration (MAX_PAYLOAD_KEYS, MAX_PAYLOAD_BYTES). */
export interface PayloadLimits {
  readonly maxPayloadKeys: number;
  readonly maxPayloadBytes: number;
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

const SOURCE_PATTERN = /^[A-Za-z0-9_.-]+$/;
const PRODUCER_ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const optionalKey = (max: number, name: string) =>
  v.optional(
    v.nullable(
      v.pipe(
        v.string(`${name} must be a string`),
        v.maxLength(max, (issue) => `must be at most ${max} characters (got ${issue.received.replace(/^\D*/, '')})`),
      ),
    ),
  );

/** The valibot schema for one event as producers send it (extra fields are ignored, as before). */
export const EventInputSchema = v.object(
  {
    event_type: v.picklist(
      EVENT_TYPES,
      (issue) => `unknown event type ${JSON.stringify(issue.input)}; allowed: ${EVENT_TYPES.join(', ')}`,
    ),
    source: v.pipe(
      v.string('is required and must be a string'),
      v.minLength(1, 'must not be empty'),
      v.maxLength(100, 'must be at most 100 characters'),
      v.regex(SOURCE_PATTERN, 'may contain only letters, digits, "_", "." and "-"'),
    ),
    session_id: optionalKey(200, 'session_id'),
    user_id: optionalKey(200, 'user_id'),
    payload: v.optional(v.nullable(v.custom<Record<string, unknown>>(isPlainObject, 'must be a JSON object'))),
    id: v.optional(
      v.nullable(
        v.pipe(
          v.string('must be a string'),
          v.minLength(1, 'must not be empty'),
          v.maxLength(100, 'must be at most 100 characters'),
          v.regex(PRODUCER_ID_PATTERN, 'may contain only letters, digits, "_", ".", ":" and "-"'),
        ),
      ),
    ),
  },
  'event must be a JSON object',
);

function issuePath(issue: v.BaseIssue<unknown>): string {
  return issue.path?.map((item) => String(item.key)).join('.') ?? '';
}

/** Validate one untrusted event; issues name the field and the reason. */
export function parseEventInput(raw: unknown, limits: PayloadLimits): ParseResult<EventInput> {
  // Hint: v.object accepts arrays (typeof [] is 'object') and would report "field required" for every key.
  if (Array.isArray(raw)) return { ok: false, issues: [{ field: 'body', message: 'event must be a JSON object' }] };
  const result = v.safeParse(EventInputSchema, raw);
  if (!result.success) {
    const issues: Issue[] = result.issues.map((issue) => ({
      field: issuePath(issue) || (issue.kind === 'schema' && issue.type === 'object' ? 'body' : 'body'),
      // Hint: a missing required key reports valibot's type message; say "is required" plainly.
      message: issue.input === undefined && issue.path ? 'field required' : issue.message,
    }));
    return { ok: false, issues };
  }
  const event = result.output;
  const payload = event.payload ?? {};
  const keyCount = Object.keys(payload).length;
  if (keyCount > limits.maxPayloadKeys) {
    return {
      ok: false,
      issues: [{ field: 'payload', message: `has ${keyCount} keys; at most ${limits.maxPayloadKeys} allowed` }],
    };
  }
  const payloadJson = JSON.stringify(payload);
  // Hint: length counts UTF-16 units; the byte count only matters near the limit.
  if (payloadJson.length * 3 > limits.maxPayloadBytes) {
    const bytes = Buffer.byteLength(payloadJson, 'utf8');
    if (bytes > limits.maxPayloadBytes) {
      return {
        ok: false,
        issues: [{ field: 'payload', message: `is ${bytes} bytes serialized; at most ${limits.maxPayloadBytes} allowed` }],
      };
    }
  }
  return {
    ok: true,
    value: {
      id: event.id ?? null,
      event_type: event.event_type,
      source: event.source,
      session_id: event.session_id ?? null,
      user_id: event.user_id ?? null,
      payloadJson,
    },
  };
}
