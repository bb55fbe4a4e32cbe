import { TOO_MANY_INVALID_MESSAGES } from '../protocol/wsPublishLimits.js';
import type { BatchAck } from './publishBatcher.js';

/**
 * A `/ws/publish` reply read at the edge. `ref` undefined: the reply names no message, so it answers the oldest one
 * awaiting an answer (replies come in message order; some errors have no ref to echo). `invalid`: it breaks the
 * protocol (not a JSON object, a field missing or of the wrong type); the message it answers is not acknowledged.
 */
export type PublishReply =
  | { readonly kind: 'ack'; readonly ref: number | undefined; readonly ack: BatchAck }
  | {
      readonly kind: 'error';
      readonly ref: number | undefined;
      readonly message: string;
      readonly retryable: boolean;
      readonly code: number | null;
    }
  /** The server's notice about the connection (too many invalid messages; its close follows): answers no message. */
  | { readonly kind: 'notice'; readonly message: string }
  | { readonly kind: 'invalid'; readonly ref: number | undefined; readonly problem: ReplyProblem };

/** What is wrong with a reply: the field at fault (null: the reply as a whole) and why, for an error message. */
export interface ReplyProblem {
  readonly field: string | null;
  readonly problem: string;
}

type Fields = Readonly<Record<string, unknown>>;

/** Read one reply frame's text. Never throws: text that is not JSON is a reply that breaks the protocol too. */
export function readReplyText(text: string): PublishReply {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid(undefined, null, `the reply is not JSON: ${shown(text)}`);
  }
  return readReply(value);
}

/** Read a parsed reply into its typed shape. Never throws, whatever the value. */
export function readReply(value: unknown): PublishReply {
  if (!isFields(value)) return invalid(undefined, null, `the reply is ${shown(value)}, not a JSON object`);
  const { ref, status } = value;
  // Hint: the SDK sends positive integers; anything else echoed is no ref of its messages.
  if (ref !== undefined && !isOffset(ref)) return invalid(undefined, 'ref', expected('ref', 'a positive integer', ref));
  if (status === 'error') return readError(value, ref);
  if (status !== 'ok') return invalid(ref, 'status', expected('status', '"ok" or "error"', status));
  // Hint: the one-event form answers a bare event, which the SDK never sends; read it anyway (it names one event).
  const ack = 'event_id' in value && !('count' in value) ? readSingleAck(value) : readBatchAck(value);
  return 'problem' in ack ? { kind: 'invalid', ref, problem: ack } : { kind: 'ack', ref, ack };
}

function readError(value: Fields, ref: number | undefined): PublishReply {
  const { message, retryable, code } = value;
  if (typeof message !== 'string') return invalid(ref, 'message', expected('message', 'a string', message));
  if (ref === undefined && message.startsWith(TOO_MANY_INVALID_MESSAGES)) return { kind: 'notice', message };
  if (!optional(retryable, (v) => typeof v === 'boolean'))
    return invalid(ref, 'retryable', expected('retryable', 'true or false', retryable));
  if (!optional(code, Number.isSafeInteger)) return invalid(ref, 'code', expected('code', 'an integer', code));
  return { kind: 'error', ref, message, retryable: retryable === true, code: typeof code === 'number' ? code : null };
}

function readBatchAck(value: Fields): BatchAck | ReplyProblem {
  const { count, event_ids, first_offset, last_offset, duplicates, offsets, ignored } = value;
  if (!isOffset(count)) return problem('count', 'a positive integer', count);
  if (!isStrings(event_ids) || event_ids.length !== count)
    return problem('event_ids', `an array of ${several(count, 'string')} (one per event, as count says)`, event_ids);
  if (!isOffset(first_offset)) return problem('first_offset', 'a positive integer', first_offset);
  if (!isOffset(last_offset)) return problem('last_offset', 'a positive integer', last_offset);
  if (!optional(duplicates, (v) => isCount(v) && v <= count))
    return problem('duplicates', `an integer from 0 to ${count} (count)`, duplicates);
  if (!optional(offsets, (v) => isOffsets(v) && v.length === count))
    return problem('offsets', `an array of ${several(count, 'positive integer')} (one per event)`, offsets);
  if (!optional(ignored, isStrings)) return problem('ignored', 'an array of strings', ignored);
  return {
    count,
    event_ids,
    first_offset,
    last_offset,
    ...(isCount(duplicates) ? { duplicates } : {}),
    ...(isOffsets(offsets) ? { offsets } : {}),
    ...(isStrings(ignored) ? { ignored } : {}),
  };
}

function readSingleAck(value: Fields): BatchAck | ReplyProblem {
  const { event_id, offset, duplicate, ignored } = value;
  if (typeof event_id !== 'string') return problem('event_id', 'a string', event_id);
  if (!isOffset(offset)) return problem('offset', 'a positive integer', offset);
  if (!optional(duplicate, (v) => typeof v === 'boolean')) return problem('duplicate', 'true or false', duplicate);
  if (!optional(ignored, isStrings)) return problem('ignored', 'an array of strings', ignored);
  const ack = { count: 1, event_ids: [event_id], first_offset: offset, last_offset: offset };
  return { ...ack, duplicates: duplicate === true ? 1 : 0, ...(isStrings(ignored) ? { ignored } : {}) };
}

/** What a message sent: its event count and, unit by unit, the events' producer ids. */
export interface SentMessage {
  readonly eventCount: number;
  readonly units: readonly { readonly ids: readonly string[] }[];
}

/**
 * Whether a well-formed ack fits the message it answers: null when it does, else the field at fault. Hint: the ids
 * are the SDK's own (the server stores an event under its producer id), so an ack naming others is for other events,
 * and its offsets are not theirs.
 */
export function ackMismatch(ack: BatchAck, message: SentMessage): ReplyProblem | null {
  const { eventCount } = message;
  if (ack.count !== eventCount)
    return problem('count', `${eventCount} (the message held ${several(eventCount, 'event')})`, ack.count);
  let index = 0;
  for (const unit of message.units)
    for (const id of unit.ids) {
      const named = ack.event_ids[index];
      if (named !== id) return problem(`event_ids[${index}]`, `${shown(id)} (the id sent)`, named);
      index++;
    }
  if (ack.offsets === undefined && eventCount === 1 && ack.last_offset !== ack.first_offset)
    return problem('last_offset', `${ack.first_offset} (first_offset: the message held one event)`, ack.last_offset);
  return null;
}

/** A value, briefly and with control characters escaped, for an error message (no deep walk: a reply may nest deep). */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function several(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function expected(field: string, what: string, value: unknown): string {
  return `${field}: expected ${what}, got ${shown(value)}`;
}

function problem(field: string, what: string, value: unknown): ReplyProblem {
  return { field, problem: expected(field, what, value) };
}

function invalid(ref: number | undefined, field: string | null, text: string): PublishReply {
  return { kind: 'invalid', ref, problem: { field, problem: text } };
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An offset, a count or a ref: a positive safe integer. */
function isOffset(value: unknown): value is number {
  return isCount(value) && value >= 1;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isOffsets(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(isOffset);
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Absent (or null, which some encoders write for absent) or passing `check`. */
function optional(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || value === null || check(value);
}
