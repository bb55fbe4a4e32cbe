import type { StoredEvent } from '../../protocol/eventRecord.js';
import { decodeEvent, type EventMessage, EventMessageError, OtherLayoutError } from './eventMessage.js';

/** What a replica holds at one offset: the event applied there, a recorded no-op, or nothing (deleted, not applied). */
export type ReplicaSlot =
  | { readonly kind: 'record'; readonly record: StoredEvent }
  | { readonly kind: 'noop'; readonly reason: string }
  | { readonly kind: 'none' };

const FIELDS = ['id', 'event_type', 'source', 'session_id', 'user_id', 'payloadJson'] as const;

/** The first field of `record` that differs from the message's event, or null. */
function differingField(record: StoredEvent, message: EventMessage): string | null {
  const event = message.input;
  for (const field of FIELDS) if (record[field] !== event[field]) return field === 'payloadJson' ? 'payload' : field;
  // Hint: a replica keeps time non-decreasing by offset, so its timestamp may be later than the publisher's, never earlier.
  return record.ts < message.ts ? 'timestamp' : null;
}

/** The offset a no-op's reason says producer id `id` (as JSON) was at when it was applied, or null. */
function offsetNamed(reason: string, id: string): number | null {
  const prefix = `producer id ${id} is already at offset `;
  return reason.startsWith(prefix) ? Number(reason.slice(prefix.length)) || null : null;
}

/**
 * How the replica's `slot` at offset `seq` differs from the stream's message there (`data`, its body), or null when
 * it is what applying that message makes: the same event, or a no-op for a message that is no event of this code or
 * whose producer id the replica holds at an earlier offset, or held when it applied it (the no-op's reason names the id
 * and that offset: retention may have deleted that record since), at or above the message's `floor` (below it the
 * publisher had deleted it, so the id was free again). `offsetOf` reads a producer id's offset now. Hint (probe): a
 * node of a version that ignored the floor recorded such a message as a duplicate, and this audit passed it.
 */
export function auditEntry(
  seq: number,
  data: Uint8Array,
  slot: ReplicaSlot,
  offsetOf: (id: string) => number | null,
  floor = 1,
): string | null {
  if (slot.kind === 'none') return null;
  let message: EventMessage;
  try {
    message = decodeEvent(new TextDecoder().decode(data));
  } catch (error) {
    if (!(error instanceof EventMessageError)) throw error;
    if (error instanceof OtherLayoutError)
      return `the stream holds a message of another version there (${error.message})`;
    return slot.kind === 'noop' ? null : `the stream holds no event there, the replica event ${slot.record.id}`;
  }
  const id = JSON.stringify(message.input.id);
  if (slot.kind === 'noop') {
    const earlier = message.producer ? (offsetOf(message.input.id) ?? offsetNamed(slot.reason, id)) : null;
    const duplicate = earlier !== null && earlier < seq && earlier >= floor;
    return duplicate ? null : `the stream holds event ${id} there, the replica a no-op`;
  }
  const field = differingField(slot.record, message);
  if (field === null) return null;
  return field === 'id'
    ? `the stream holds event ${id} there, the replica event ${JSON.stringify(slot.record.id)}`
    : `event ${id} differs in its ${field}`;
}
