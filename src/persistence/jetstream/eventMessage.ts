import type { EventInput } from '../../protocol/eventInput.js';
import { isEventType } from '../../protocol/eventTypes.js';

/**
 * One event as it travels through the stream: one stream message per event, so its stream sequence is its offset on
 * every node. The id travels in the body (and as Nats-Msg-Id, for JetStream's dedupe), with whether the producer gave
 * it; the timestamp is the publishing node's clock for the whole commit.
 */
export interface EventMessage {
  readonly ts: number;
  /** True when `input.id` is the producer's id; false when the publishing node made it. */
  readonly producer: boolean;
  readonly input: EventInput & { readonly id: string };
}

/**
 * The header carrying a message's floor: the publishing node's first retained offset when it planned the message. The
 * stream holds nothing below it, so every replica deletes below it before applying the message, and so decides its
 * producer id on the same records whether or not it had followed the purge yet. Hint: a header, not a body field, so
 * a node of an earlier version still reads the message as the same event; it ignores the floor, so it may make a
 * republish after a purge a no-op where others store it, which the replica audit of a current node reports.
 */
export const FLOOR_HEADER = 'Pipeline-Floor';

/** A stored message's Nats-Msg-Id (null when none) and floor (1 when none or unreadable), from its headers. */
export function messageHeaders(headers: { get(name: string): string } | undefined): {
  msgId: string | null;
  floor: number;
} {
  const msgId = headers?.get('Nats-Msg-Id') ?? '';
  const floor = Number(headers?.get(FLOOR_HEADER) || Number.NaN);
  return { msgId: msgId === '' ? null : msgId, floor: Number.isSafeInteger(floor) && floor >= 1 ? floor : 1 };
}

/** Thrown when a stream message is not an event this code wrote (a foreign publisher on the subject). */
export class EventMessageError extends Error {
  override readonly name = 'EventMessageError';
}

/**
 * Thrown for a message another version of this pipeline wrote in a layout this build cannot read: the earlier
 * one-message-per-commit layout (`{"v":1,…}`), a later version number, or this version with other fields. Why
 * (probe): such messages were recorded as no-ops like a foreign publisher's, so a node silently lost every event a
 * build of another layout wrote to the stream while staying ready; they stop the replica instead (ReplicaFeed).
 */
export class OtherLayoutError extends EventMessageError {}

/** The body's layout version (the first element); v1 was the earlier one-message-per-commit layout. */
const VERSION = 2;
/** Fields of this version's body. */
const FIELDS = 9;

/** Throws OtherLayoutError when `raw` is a message body of this pipeline in a layout other than this build's. */
function checkLayout(raw: unknown): void {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && typeof Reflect.get(raw, 'v') === 'number')
    throw new OtherLayoutError(
      `layout v${Reflect.get(raw, 'v')} ({"v":…}, the earlier one-message-per-commit layout); this build reads v${VERSION}`,
    );
  if (!Array.isArray(raw) || !Number.isSafeInteger(raw[0])) return;
  if (raw[0] !== VERSION) throw new OtherLayoutError(`layout v${raw[0]}; this build reads v${VERSION}`);
  if (raw.length !== FIELDS)
    throw new OtherLayoutError(`layout v${VERSION} with ${raw.length} fields; this build reads ${FIELDS}`);
}

/** Serialize compactly: a positional array, the payload kept as its JSON text. */
export function encodeEvent(message: EventMessage): string {
  const { ts, producer, input } = message;
  return JSON.stringify([
    VERSION,
    ts,
    input.id,
    producer ? 1 : 0,
    input.event_type,
    input.source,
    input.session_id,
    input.user_id,
    input.payloadJson,
  ]);
}

const nullableText = (value: unknown): value is string | null => value === null || typeof value === 'string';

/** Parse a stream message body back into an event; throws EventMessageError naming why for anything else. */
export function decodeEvent(text: string): EventMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new EventMessageError('not JSON', { cause: error });
  }
  checkLayout(raw);
  if (!Array.isArray(raw)) throw new EventMessageError('not an event message of this pipeline');
  const [, ts, id, producer, type, source, session, user, payload] = raw as unknown[];
  if (typeof ts !== 'number' || typeof id !== 'string' || id === '' || (producer !== 0 && producer !== 1))
    throw new EventMessageError('timestamp, id or producer flag has the wrong type');
  if (!isEventType(type)) throw new EventMessageError(`unknown event type ${JSON.stringify(type)}`);
  if (typeof source !== 'string' || typeof payload !== 'string' || !nullableText(session) || !nullableText(user))
    throw new EventMessageError('event fields have the wrong types');
  return {
    ts,
    producer: producer === 1,
    input: { id, event_type: type, source, session_id: session, user_id: user, payloadJson: payload },
  };
}
