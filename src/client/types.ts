import type { EventFilter } from '../protocol/eventFilter.js';
import type { EventRecord } from '../protocol/eventRecord.js';
import type { EventType } from '../protocol/eventTypes.js';

export type { EventFilter, EventRecord, EventType };

/** An event to publish, as `POST /events` and `/ws/publish` take it. */
export interface PublishEvent {
  readonly event_type: EventType;
  readonly source: string;
  readonly session_id?: string | null;
  readonly user_id?: string | null;
  readonly payload?: Record<string, unknown>;
  /** Producer id (1–100 of `[A-Za-z0-9_.:-]`); the client assigns one when absent, so every retry is idempotent. */
  readonly id?: string;
}

/** The server's acknowledgement of one committed event. */
export interface PublishAck {
  readonly id: string;
  readonly offset: number;
  /**
   * Present when the server read the message carrying this event and named fields it does not read (not stored):
   * a typo such as `sessionId` shows up here. The message may have carried other events of the same publisher.
   */
  readonly ignored?: readonly string[];
  /**
   * Present when the server already stored an event with this id: nothing new was stored, and `offset` is the stored
   * event's (an earlier publish of the same id, or this publish's own first send when its ack was lost with its
   * connection). Absent when this publish stored it, and when an older server's ack of several events (it lists no
   * offsets) counts duplicates without saying which.
   */
  readonly duplicate?: true;
}

/** Where a subscriber is: the last offset handled and the log epoch it belongs to. */
export interface Position {
  readonly offset: number;
  readonly epoch: string | null;
}
