import { quote, type StoredEvent } from './eventRecord.js';
import type { BatchPublishAck, ErrorMessage, PublishAck } from './serverMessages.js';

/** How a publish ended, as the pipeline reports it (structurally its SubmitOutcome). */
export type PublishOutcome =
  | { readonly ok: true; readonly records: readonly StoredEvent[]; readonly appended: readonly StoredEvent[] }
  | { readonly ok: false; readonly conflict: { readonly id: string; readonly index?: number } }
  | { readonly ok: false; readonly message: string };

/**
 * The reply to a publish, before a transport renders it: committed (200 when every event was a duplicate, else
 * 201), or refused with an HTTP status, the field at fault (if any) and the reason.
 */
export type PublishReply =
  | {
      readonly kind: 'committed';
      readonly status: 200 | 201;
      readonly records: readonly StoredEvent[];
      readonly duplicates: number;
    }
  | { readonly kind: 'refused'; readonly status: 409 | 503; readonly field: string | null; readonly message: string };

/** The producer ids of the events a publish submitted, in order (null: the server makes one). */
export type SubmittedIds = readonly { readonly id: string | null }[];

/**
 * The 409 for a producer id that names other content. Hint: the log reports the first event of the batch whose id
 * conflicts; an earlier event of the same batch with that id means the batch holds two different events with it
 * (the same content would have been a repeat), which is no clash with anything stored: say so, naming both.
 */
function conflictReply(
  conflict: { readonly id: string; readonly index?: number },
  submitted: SubmittedIds,
): PublishReply {
  const id = JSON.stringify(conflict.id);
  const at = conflict.index ?? -1;
  const first = at > 0 ? submitted.findIndex((input) => input.id === conflict.id) : -1;
  if (first >= 0 && first < at) {
    const message = `the batch holds two different events with id ${id} ([${first}] and [${at}]); nothing was stored`;
    return { kind: 'refused', status: 409, field: null, message };
  }
  return { kind: 'refused', status: 409, field: 'id', message: `event id ${id} already exists with different content` };
}

/** The transport-neutral reply to a publish outcome; `submitted` are the events it submitted (for a 409's words). */
export function publishReply(outcome: PublishOutcome, submitted: SubmittedIds = []): PublishReply {
  if (outcome.ok) {
    const duplicates = outcome.records.length - outcome.appended.length;
    // Hint: a producer id seen before returns its original record with 200; anything newly appended is a 201.
    return {
      kind: 'committed',
      status: outcome.appended.length === 0 ? 200 : 201,
      records: outcome.records,
      duplicates,
    };
  }
  if ('conflict' in outcome) return conflictReply(outcome.conflict, submitted);
  return { kind: 'refused', status: 503, field: null, message: outcome.message };
}

/** `body` with `ignored` (when it names any field) and then `ref` (when the producer sent one) added last. */
function ackWith<T extends object>(body: T, ignored: readonly string[], ref: unknown): T {
  return withRef(ignored.length > 0 ? { ...body, ignored } : body, ref);
}

/** `body` with `ref` added last, when the producer sent one. */
export function withRef<T extends object>(body: T, ref: unknown): T & { readonly ref?: unknown } {
  return ref === undefined ? body : { ...body, ref };
}

/** A `/ws/publish` reply and the highest offset it acknowledges (0 for an error). */
export interface WsPublishAck {
  readonly message: PublishAck | BatchPublishAck | ErrorMessage;
  readonly offset: number;
}

/**
 * The `/ws/publish` rendering of a publish reply: an ack for one event or for a batch, or an error. An ack names the
 * `ignored` fields of the message's events (see ignoredEventFields).
 */
export function wsPublishAck(
  reply: PublishReply,
  isBatch: boolean,
  ref: unknown,
  ignored: readonly string[] = [],
): WsPublishAck {
  if (reply.kind === 'refused') {
    const message = reply.field === null ? reply.message : `${reply.field}: ${reply.message}`;
    const error: ErrorMessage =
      reply.status === 409 ? { status: 'error', message, code: 409 } : { status: 'error', message, retryable: true };
    return { message: withRef(error, ref), offset: 0 };
  }
  const { records, duplicates } = reply;
  const first = records[0]!;
  const last = records[records.length - 1]!.offset;
  if (!isBatch) {
    return {
      message: ackWith(
        { status: 'ok', event_id: first.id, offset: first.offset, duplicate: duplicates > 0 },
        ignored,
        ref,
      ),
      offset: last,
    };
  }
  const ack: BatchPublishAck = {
    status: 'ok',
    count: records.length,
    event_ids: records.map((r) => r.id),
    first_offset: first.offset,
    last_offset: last,
    duplicates,
  };
  const offsets = scatteredOffsets(records, duplicates);
  // Hint: a duplicate keeps its older offset, so the last event's offset is not always the highest acknowledged.
  const highest = offsets === null ? last : offsets.reduce((a, b) => Math.max(a, b));
  return { message: ackWith(offsets === null ? ack : { ...ack, offsets }, ignored, ref), offset: highest };
}

/**
 * Each record's offset, in order, unless they are `first_offset`, `first_offset + 1`, … and none is a duplicate (the
 * common case: no array is built). Hint: a duplicate lists them even when contiguous, because an ack without
 * `offsets` from an older server says nothing about where its duplicates are, so a producer could not tell the two.
 */
function scatteredOffsets(records: readonly StoredEvent[], duplicates: number): number[] | null {
  const first = records[0]!.offset;
  let contiguous = duplicates === 0;
  for (let i = 1; contiguous && i < records.length; i++) contiguous = records[i]!.offset === first + i;
  return contiguous ? null : records.map((r) => r.offset);
}

/**
 * A `/ws/publish` ack as its JSON text: `JSON.stringify(wsPublishAck(publishReply(outcome), isBatch, ref).message)`.
 * The one-event ok ack (every ack of single-event producers) is written as text, with no reply or ack object in
 * between; a property test holds the two equal.
 */
export function wsPublishAckText(
  outcome: PublishOutcome,
  isBatch: boolean,
  ref: unknown,
  ignored: readonly string[] = [],
  submitted: SubmittedIds = [],
): WsPublishAckText {
  if (outcome.ok && !isBatch && outcome.records.length > 0) {
    const { records, appended } = outcome;
    const first = records[0]!;
    const text =
      '{"status":"ok","event_id":' +
      quote(first.id) +
      ',"offset":' +
      first.offset +
      (records.length > appended.length ? ',"duplicate":true' : ',"duplicate":false') +
      (ignored.length > 0 ? `,"ignored":${JSON.stringify(ignored)}` : '') +
      (ref === undefined ? '}' : `,"ref":${JSON.stringify(ref)}}`);
    return { text, offset: records[records.length - 1]!.offset };
  }
  const ack = wsPublishAck(publishReply(outcome, submitted), isBatch, ref, ignored);
  return { text: JSON.stringify(ack.message), offset: ack.offset };
}

/** A `/ws/publish` reply's text and the highest offset it acknowledges (0 for an error). */
export interface WsPublishAckText {
  readonly text: string;
  readonly offset: number;
}
