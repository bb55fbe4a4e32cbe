import type { EventFilter } from './eventFilter.js';

/** The filter as acks echo it: every field present, null when unset. */
export interface FilterDescription {
  readonly event_types: readonly string[] | null;
  readonly session_id: string | null;
  readonly user_id: string | null;
  readonly source: string | null;
}

/** `/ws/publish` ack of a single event. `ref` echoes the producer's, when it sent one. */
export interface PublishAck {
  readonly status: 'ok';
  readonly event_id: string;
  readonly offset: number;
  readonly duplicate: boolean;
  /** Fields of the event no rule reads (not stored); only when there are some. */
  readonly ignored?: readonly string[];
  readonly ref?: unknown;
}

/** `/ws/publish` ack of an array or `{ref, events}` message. */
export interface BatchPublishAck {
  readonly status: 'ok';
  readonly count: number;
  readonly event_ids: readonly string[];
  readonly first_offset: number;
  readonly last_offset: number;
  readonly duplicates: number;
  /**
   * Each event's offset, in the message's order (a duplicate's original one), when they are not `first_offset` to
   * `last_offset` in order or some event is a duplicate; absent otherwise, when event i is at `first_offset + i`.
   */
  readonly offsets?: readonly number[];
  /** Fields of the events no rule reads (not stored), once each; only when there are some. */
  readonly ignored?: readonly string[];
  readonly ref?: unknown;
}

/** An error reply on either socket. `retryable` marks a refusal worth retrying; `code` an HTTP-like status. */
export interface ErrorMessage {
  readonly status: 'error';
  readonly message: string;
  readonly retryable?: true;
  readonly code?: 409 | 429;
  readonly ref?: unknown;
}

/** `/ws/subscribe` ack of the subscribe message. */
export interface SubscribedMessage {
  readonly status: 'subscribed';
  readonly subscriber_id: string;
  readonly filters: FilterDescription;
  readonly head_offset: number;
  readonly epoch: string;
  /** The offset replay starts from, when the client asked for one (moved to the head + 1 when beyond it). */
  readonly from_offset?: number;
  readonly retention?: { readonly truncated: true; readonly first_available_offset: number; readonly message: string };
  readonly beyond_head?: { readonly requested_from_offset: number; readonly message: string };
  /** Keys the message carried that the protocol does not know. */
  readonly ignored?: readonly string[];
}

/** `/ws/subscribe` ack of update_filters. */
export interface FiltersUpdatedMessage {
  readonly status: 'filters_updated';
  readonly filters: FilterDescription;
  readonly ignored?: readonly string[];
}

/** Everything this subscriber was sent, or replay has passed, up to `offset`. */
export interface CheckpointMessage {
  readonly type: 'checkpoint';
  readonly offset: number;
}

/**
 * Retention deleted offsets a connected subscriber had not been sent yet (it was replaying or lagging): they are gone
 * from the log, and delivery goes on at `first_available_offset`. Never a silent gap.
 */
export interface RetentionMessage {
  readonly type: 'retention';
  readonly truncated: true;
  readonly first_available_offset: number;
  readonly message: string;
}

/** Sent to an idle subscriber so proxies keep the connection open. */
export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

/** The answer to `{type: "ping"}`. */
export interface PongMessage {
  readonly type: 'pong';
}

/** Every control message the server sends (event records go out as their own JSON, not listed here). */
export type ServerMessage =
  | PublishAck
  | BatchPublishAck
  | ErrorMessage
  | SubscribedMessage
  | FiltersUpdatedMessage
  | CheckpointMessage
  | RetentionMessage
  | KeepaliveMessage
  | PongMessage;

/** True for an error reply (any other message a server sends has no `status: "error"`). */
export function isErrorMessage(message: ServerMessage): message is ErrorMessage {
  return 'status' in message && message.status === 'error';
}

/**
 * How /ws/subscribe ends a connection whose subscribe message it refused, after the error naming why. Hint: the old
 * service sent its error and returned, and its uvicorn (0.40) then dropped the TCP connection (1006); a connection
 * left open only waited for the 4000 close 10 s later.
 */
export const SUBSCRIBE_REFUSED = { code: 1008, reason: 'subscribe message refused; nothing was subscribed' } as const;

/** An error reply; `extra` adds retryable, code or ref. */
export function errorMessage(message: string, extra?: Omit<ErrorMessage, 'status' | 'message'>): ErrorMessage {
  return extra === undefined ? { status: 'error', message } : { status: 'error', message, ...extra };
}

/** The filter as acks echo it: every field present, null when unset. */
export function describeFilter(filter: EventFilter): FilterDescription {
  return {
    event_types: filter.event_types ?? null,
    session_id: filter.session_id ?? null,
    user_id: filter.user_id ?? null,
    source: filter.source ?? null,
  };
}

/** The update_filters ack, listing `ignored` keys only when there are some. */
export function filtersUpdated(filter: EventFilter, ignored: readonly string[]): FiltersUpdatedMessage {
  const filters = describeFilter(filter);
  return ignored.length > 0 ? { status: 'filters_updated', filters, ignored } : { status: 'filters_updated', filters };
}

/** A checkpoint at `offset`. */
export function checkpoint(offset: number): CheckpointMessage {
  return { type: 'checkpoint', offset };
}

/** Offsets from `from` up to `first` - 1 were deleted before this subscriber reached them. */
export function retentionGap(from: number, first: number): RetentionMessage {
  const deleted = first - 1 === from ? `offset ${from} was` : `offsets ${from}-${first - 1} were`;
  const message = `${deleted} deleted by retention before this subscriber reached them; delivery goes on at ${first}`;
  return { type: 'retention', truncated: true, first_available_offset: first, message };
}

/** The keepalive message (one shared object: it is only ever serialized). */
export const KEEPALIVE: KeepaliveMessage = { type: 'keepalive' };

/** The pong message. */
export const PONG: PongMessage = { type: 'pong' };
