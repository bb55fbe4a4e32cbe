import { shown } from './optionChecks.js';
import type { SubscribedAck } from './subscriptionAck.js';
import type { EventRecord } from './types.js';

/**
 * What a `/ws/subscribe` frame holds, checked: the frames a subscriber acts on, `other` for those it has nothing to do
 * with (keepalive, pong, a status or type it does not know), and `invalid` for a frame that breaks the protocol,
 * with the reason.
 */
export type SubscriberFrame =
  | { readonly kind: 'ack'; readonly ack: SubscribedAck }
  | { readonly kind: 'records'; readonly records: readonly EventRecord[] }
  | { readonly kind: 'checkpoint'; readonly offset: number }
  | { readonly kind: 'retention'; readonly message: string }
  /** `retryable`: the server marked the refusal worth retrying (it closes with 1013 next). */
  | { readonly kind: 'error'; readonly message: string; readonly retryable: boolean }
  | { readonly kind: 'other' }
  | { readonly kind: 'invalid'; readonly reason: string };

type Fields = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An offset of the log: an integer from 1 to 2^53-1 (a float beyond that would name no one offset). */
export const isOffset = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;

const isCount = (value: unknown): value is number => value === 0 || isOffset(value);

/** A value for a reason, cut short: a frame is server text of any size. */
function got(value: unknown): string {
  const text = value === undefined ? 'nothing' : shown(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

const TEXT_FIELDS = ['id', 'event_type', 'source', 'timestamp'] as const;

/**
 * Why `value` is not an event record (the fields every record has, README "event record"), or null. Hint: event_type
 * is any string, not one of the 15 known, so a newer server's new type still reads (a filter on types is checked apart).
 */
export function recordProblem(value: unknown): string | null {
  if (!isObject(value)) return `a record must be a JSON object, got ${got(value)}`;
  if (!isOffset(value.offset)) return `offset: must be an integer from 1 to 2^53-1, got ${got(value.offset)}`;
  for (const key of TEXT_FIELDS)
    if (typeof value[key] !== 'string') return `${key}: must be a string, got ${got(value[key])}`;
  for (const key of ['session_id', 'user_id'] as const)
    if (value[key] !== null && typeof value[key] !== 'string')
      return `${key}: must be a string or null, got ${got(value[key])}`;
  if (!isObject(value.payload)) return `payload: must be a JSON object, got ${got(value.payload)}`;
  return null;
}

/** The records of a frame (one record, or a batch array), or why one of them is not a record. */
function readRecords(items: readonly unknown[]): SubscriberFrame {
  for (const [i, item] of items.entries()) {
    const problem = recordProblem(item);
    if (problem !== null) {
      const offset = isObject(item) && isOffset(item.offset) ? ` (offset ${item.offset})` : '';
      return { kind: 'invalid', reason: `record [${i}]${offset}: ${problem}` };
    }
  }
  // Hint: checked field by field above, so the cast holds; extra fields a newer server adds pass through.
  return { kind: 'records', records: items as readonly EventRecord[] };
}

/** An optional part of the ack: absent or null (a JSON encoder's None) is none. */
const absent = (value: unknown): value is undefined | null => value === undefined || value === null;

/** The ack, checked and normalized, or why it cannot be read (the subscriber needs its head and epoch). */
export function readAck(value: Fields): SubscriberFrame {
  const { subscriber_id, head_offset, epoch, from_offset, retention, beyond_head } = value;
  const invalid = (reason: string): SubscriberFrame => ({ kind: 'invalid', reason: `subscribe ack: ${reason}` });
  if (typeof subscriber_id !== 'string') return invalid(`subscriber_id: must be a string, got ${got(subscriber_id)}`);
  if (!isCount(head_offset)) return invalid(`head_offset: must be an integer ≥ 0, got ${got(head_offset)}`);
  if (typeof epoch !== 'string' || epoch === '') return invalid(`epoch: must be a non-empty string, got ${got(epoch)}`);
  const ack: { -readonly [K in keyof SubscribedAck]: SubscribedAck[K] } = {
    status: 'subscribed',
    subscriber_id,
    head_offset,
    epoch,
  };
  if (isCount(from_offset)) ack.from_offset = from_offset;
  if (!absent(retention)) {
    if (!isObject(retention)) return invalid(`retention: must be an object, got ${got(retention)}`);
    const first = retention.first_available_offset;
    if (retention.truncated === true && !isOffset(first))
      return invalid(`retention.first_available_offset: must be an offset, got ${got(first)}`);
    if (retention.truncated === true && isOffset(first))
      ack.retention = { truncated: true, first_available_offset: first, ...messageOf(retention) };
  }
  if (!absent(beyond_head)) {
    if (!isObject(beyond_head)) return invalid(`beyond_head: must be an object, got ${got(beyond_head)}`);
    const requested = beyond_head.requested_from_offset;
    ack.beyond_head = {
      requested_from_offset: isCount(requested) ? requested : head_offset + 1,
      ...messageOf(beyond_head),
    };
  }
  return { kind: 'ack', ack };
}

/** `{ message }` when `part` carries a string message, else nothing (a default takes its place). */
const messageOf = (part: Fields): { message?: string } =>
  typeof part.message === 'string' ? { message: part.message } : {};

/** The frame of a control message (one with `status` or `type`). */
function readControl(value: Fields): SubscriberFrame {
  const { status, type } = value;
  if (status === 'subscribed') return readAck(value);
  if (status === 'error') {
    const message = typeof value.message === 'string' ? value.message : `error ${got(value.message)}`;
    return { kind: 'error', message, retryable: value.retryable === true };
  }
  if (type === 'checkpoint')
    return isCount(value.offset)
      ? { kind: 'checkpoint', offset: value.offset }
      : { kind: 'invalid', reason: `checkpoint: offset must be an integer ≥ 0, got ${got(value.offset)}` };
  if (type === 'retention') return { kind: 'retention', message: messageOf(value).message ?? 'retention' };
  return { kind: 'other' };
}

/**
 * Read one frame of `/ws/subscribe`; never throws. Records come one per frame or as a `batch` array, and every one
 * must be a whole record: a frame with one that is not is `invalid` as a whole. Hint: before, such records were
 * filtered out or taken as they were; one at offset 1.5 made the real record 2 be dropped as a replay.
 */
export function readSubscriberFrame(text: string): SubscriberFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: `frame is not JSON: ${got(text)}` };
  }
  if (Array.isArray(value)) return readRecords(value);
  if (!isObject(value)) return { kind: 'invalid', reason: `frame is not a JSON object or array: ${got(value)}` };
  // Hint: every message the server sends but a record has a `status` or a `type`.
  if (value.status !== undefined || value.type !== undefined) return readControl(value);
  return readRecords([value]);
}
