import type { LogStats } from '../persistence/eventLog.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { EventQuery } from '../protocol/eventQuery.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { ServerMessage } from '../protocol/serverMessages.js';
import type { SubmitRefusal } from '../protocol/submitRefusal.js';
import type { SubmitDone, SubmitOutcome } from './groupCommit.js';
import type { SessionView, UserWindow } from './sessionView.js';
import type { SubscriberSocket } from './subscriber.js';
import type { SubscriberListing } from './subscriberSummary.js';

export type { SubmitDone, SubmitOutcome } from './groupCommit.js';
export type { SessionView, UserWindow } from './sessionView.js';
export type { SubscriberSocket } from './subscriber.js';
export type { SubscriberListing, SubscriberSummary } from './subscriberSummary.js';

/** A subscriber connection as src/http holds it: only its id; everything else lives in its actor. */
export interface SubscriberHandle {
  readonly id: string;
}

/** Counters for /stats `router`. */
export interface RouterStats {
  active_subscribers: number;
  lagging_subscribers: number;
  replaying_subscribers: number;
  active_sessions: number;
  publishers: number;
  events_delivered: number;
  events_routed: number;
  group_commits: number;
  /** Events accepted and not yet committed (the old service's router queue). */
  queue_size: number;
  /** Their payloads' bytes as JSON, against MAX_PENDING_BYTES. */
  queue_bytes: number;
}

/** The log's readiness as /readiness reports it. */
export interface PipelineHealth {
  readonly connected: boolean;
  readonly writable: boolean;
  readonly reason: string | null;
}

/** Everything src/http may ask of the actor system: no log, registry or supervisor handles leak out. */
export interface PipelinePort {
  /** The log's epoch (changes when the log is replaced). */
  readonly epoch: string;
  /** The lowest offset still stored (the head + 1 when none is); retention moves it up. */
  firstOffset(): number;
  /** True once shutdown began: new publishes and subscribers are refused. */
  readonly stopping: boolean;
  /**
   * Queue one producer batch for the next group commit; `done` runs after the commit (with `token`, when given, so a
   * caller needs no closure per batch). Null when queued, else why it was refused.
   */
  submit(inputs: readonly EventInput[], done: (outcome: SubmitOutcome) => void): SubmitRefusal | null;
  submit<T>(inputs: readonly EventInput[], done: SubmitDone<T>, token: T): SubmitRefusal | null;
  /** A /ws/publish connection opened or closed (for /stats). */
  publisherOpened(): void;
  publisherClosed(): void;
  /** Register a new /ws/subscribe connection; null when at MAX_SUBSCRIBERS or stopping. */
  openSubscriber(socket: SubscriberSocket): SubscriberHandle | null;
  /** One text message from a subscriber. */
  subscriberMessage(subscriber: SubscriberHandle, text: string, maxJsonDepth: number): void;
  /** A reply decided at the socket edge (message too large, not UTF-8). */
  subscriberReply(subscriber: SubscriberHandle, message: ServerMessage): void;
  /** The subscriber's socket drained. */
  subscriberDrained(subscriber: SubscriberHandle): void;
  /** The subscriber's socket is gone (closed by either side). */
  subscriberGone(subscriber: SubscriberHandle): void;
  /**
   * GET /sessions/{session_id} with the user ids in `users` (VIEW_USERS by default); null when the log has no events
   * for it. A session folded from the log is folded in bounded slices with other work served in between. Rejects with
   * SupervisorUnavailableError at shutdown (retry).
   */
  sessionView(sessionId: string, users?: UserWindow): Promise<SessionView | null>;
  /**
   * GET /sessions: the rows are read at once, their views built in bounded slices with other work served in between;
   * resolves after the last. Rejects with SupervisorUnavailableError when the server shuts down first (retry).
   */
  sessionList(status: string | undefined, limit: number): Promise<SessionView[]>;
  /**
   * Retention: delete events older than `before` (all when undefined), in bounded steps with other work served in
   * between; resolves with the count after the last. Rejects with RetentionRefusedError (the log's store refuses it,
   * nothing deleted) or LogWriteError (retry): its message says what earlier steps deleted, if any.
   */
  retain(before: number | undefined): Promise<number>;
  /** /stats `router` figures. */
  stats(): RouterStats;
  /** GET /subscribers: every subscriber counted by mode, the `limit` most lagging listed with their lag. */
  subscribers(limit: number): SubscriberListing;
  /** /stats log figures. */
  logStats(now: number): LogStats;
  query(query: EventQuery): StoredEvent[];
  getById(id: string): StoredEvent | null;
  headOffset(): number;
  health(): PipelineHealth;
}
