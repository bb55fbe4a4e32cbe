import { duplicateFlags } from './duplicateFlags.js';
import { PublishProtocolError, PublishTimeoutError } from './errors.js';
import type { PublishAck } from './types.js';

/** What a caller is waiting for: one `publish` (one event) or one `publishBatch` (all or nothing). */
export interface Unit {
  /** Each event serialized once, with its producer id. */
  readonly events: readonly string[];
  readonly ids: readonly string[];
  readonly bytes: number;
  /** Never merged with other units (after a rejection, to find the bad unit; after duplicates, to learn offsets). */
  readonly solo: boolean;
  readonly deadline: number;
  resolve(acks: PublishAck[]): void;
  reject(error: Error): void;
}

/** One `/ws/publish` message on the wire. */
export interface Message {
  readonly ref: number;
  readonly units: readonly Unit[];
  readonly eventCount: number;
}

/** Limits on one message. */
export interface BatchLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

/** Take the units of the next message off the front of `queue` (at least one; solo units travel alone). */
export function takeMessage(queue: Unit[], limits: BatchLimits): Unit[] {
  const first = queue.shift();
  if (first === undefined) return [];
  const taken = [first];
  if (first.solo) return taken;
  let events = first.events.length;
  let bytes = first.bytes;
  while (queue.length > 0) {
    const next = queue[0]!;
    if (next.solo || events + next.events.length > limits.maxEvents || bytes + next.bytes > limits.maxBytes) break;
    taken.push(queue.shift()!);
    events += next.events.length;
    bytes += next.bytes;
  }
  return taken;
}

/** The message text: `{"ref":N,"events":[…]}`, built from the already serialized events. */
export function messageText(ref: number, units: readonly Unit[]): string {
  let out = `{"ref":${ref},"events":[`;
  let first = true;
  for (const unit of units) {
    for (const event of unit.events) {
      out += first ? event : `,${event}`;
      first = false;
    }
  }
  return `${out}]}`;
}

/** A batch ack as the server sends it, read and checked by replyShape (positive integer offsets, one id per event). */
export interface BatchAck {
  readonly count: number;
  readonly event_ids: readonly string[];
  readonly first_offset: number;
  readonly last_offset: number;
  readonly duplicates?: number;
  /** Each event's offset, when they are not contiguous or some are duplicates (absent from older servers). */
  readonly offsets?: readonly number[];
  /** Fields of the message's events that the server does not read (a typo such as `sessionId`). */
  readonly ignored?: readonly string[];
}

/**
 * Resolve every unit of `message` from its ack (one that fits it: ackMismatch), each event with its own id: event i
 * is at `offsets[i]` when the ack lists them, else at `first_offset + i`. Without `offsets` (an older server), the
 * offsets are known to be contiguous only when nothing was a duplicate (an earlier attempt may have committed some
 * events at older offsets); otherwise returns false and the caller resends the events one per message, which the
 * server answers with each original offset.
 */
export function settleFromAck(message: Message, ack: BatchAck): boolean {
  const listed = ack.offsets?.length === message.eventCount ? ack.offsets : undefined;
  const contiguous =
    ack.count === message.eventCount &&
    (ack.duplicates ?? 0) === 0 &&
    ack.last_offset - ack.first_offset + 1 === ack.count;
  const exact = listed !== undefined || contiguous || (message.eventCount === 1 && ack.count === 1);
  if (!exact) return false;
  let index = 0;
  const ignored = ack.ignored;
  const duplicate = duplicateFlags(message.eventCount, ack.duplicates, listed);
  for (const unit of message.units) {
    const acks: PublishAck[] = [];
    for (let i = 0; i < unit.events.length; i++, index++) {
      const id = unit.ids[i]!;
      const offset = listed === undefined ? ack.first_offset + index : listed[index]!;
      const plain: PublishAck = ignored === undefined ? { id, offset } : { id, offset, ignored };
      acks.push(duplicate?.[index] === true ? { ...plain, duplicate: true } : plain);
    }
    unit.resolve(acks);
  }
  return true;
}

/**
 * Split units into single-event solo units whose acks (without `duplicate`) are gathered back into each unit. Hint: a
 * single-event solo unit goes as it is, so units never nest more than one level deep (wrapped again at each resend,
 * against a server whose acks did not fit, one unit nested a level per round trip until its rejection overflowed the
 * stack).
 */
export function splitToSolo(units: readonly Unit[]): Unit[] {
  const out: Unit[] = [];
  for (const unit of units) {
    if (unit.solo && unit.events.length === 1) {
      out.push(unit);
      continue;
    }
    const acks: PublishAck[] = new Array<PublishAck>(unit.events.length);
    let left = unit.events.length;
    let failed = false;
    for (const [i, event] of unit.events.entries()) {
      out.push({
        events: [event],
        ids: [unit.ids[i]!],
        bytes: event.length,
        solo: true,
        deadline: unit.deadline,
        resolve: ([ack]) => {
          // Hint: the first send stored some of these events, so each reads as a duplicate now: the flag cannot say.
          const { duplicate: _unknown, ...known } = ack!;
          acks[i] = known;
          if (--left === 0 && !failed) unit.resolve(acks);
        },
        reject: (error) => {
          if (failed) return;
          failed = true;
          unit.reject(forWhole(error, unit));
        },
      });
    }
  }
  return out;
}

/**
 * A part's error for the whole unit: one that lists its events' ids lists all of the unit's. Hint: the part's ids
 * alone told a caller of publishBatch to publish only one of its events again.
 */
function forWhole(error: Error, unit: Unit): Error {
  if (error instanceof PublishProtocolError) return new PublishProtocolError(error.problem, error.field, unit.ids);
  if (error instanceof PublishTimeoutError) return new PublishTimeoutError(error.message, unit.ids);
  return error;
}

/** Mark whole units solo so each travels in a message of its own (to find which one the server refuses). */
export function asSolo(units: readonly Unit[]): Unit[] {
  return units.map((unit) =>
    unit.solo
      ? unit
      : {
          events: unit.events,
          ids: unit.ids,
          bytes: unit.bytes,
          deadline: unit.deadline,
          solo: true,
          resolve: (acks: PublishAck[]) => unit.resolve(acks),
          reject: (error: Error) => unit.reject(error),
        },
  );
}

/** Append a producer id to a serialized event object (cheaper than copying the object to add it). */
export function withId(json: string, id: string): string {
  // Hint: generated ids are nanoid characters, which need no escaping.
  return json === '{}' ? `{"id":"${id}"}` : `${json.slice(0, -1)},"id":"${id}"}`;
}
