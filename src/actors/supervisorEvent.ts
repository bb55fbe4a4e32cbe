import type { ActorRefFrom } from 'xstate';
import type { EventLog } from '../persistence/eventLog.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { ServerMessage } from '../protocol/serverMessages.js';
import type { BufferShare } from './bufferShare.js';
import type { CommitRouter } from './commitRouter.js';
import type { GroupCommit } from './groupCommit.js';
import type { Logger } from './logger.js';
import type { Scheduler } from './scheduler.js';
import type { SessionFolding } from './sessionFolding.js';
import type { SessionListing } from './sessionListing.js';
import type { SessionReads } from './sessionReads.js';
import type { SessionView, UserWindow } from './sessionView.js';
import type { StepwiseRetention } from './stepwiseRetention.js';
import type { SubscriberLimits, SubscriberSocket } from './subscriber.js';
import type { Confirmation } from './subscriberCommands.js';
import type { subscriberMachine } from './subscriberMachine.js';
import type { PendingStart } from './subscriberProtocol.js';

/** A subscriber actor, as its supervisor holds it. */
export type SubscriberRef = ActorRefFrom<typeof subscriberMachine>;

/** Plain counters the supervisor keeps for /stats and the sweep. */
export interface SupervisorCounters {
  delivered: number;
  routed: number;
  /** Highest offset routed: live subscribers have been sent every match up to it. */
  routedUpTo: number;
  /** The monotonic reading at the last checkpoint sweep (-Infinity: the first sweep sends them). */
  lastCheckpoint: number;
  publishers: number;
}

/** The parts the supervisor owns and drives: ingress, router, session folding, and what its children share. */
export interface SupervisorParts {
  readonly log: EventLog;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly ingress: GroupCommit;
  readonly router: CommitRouter;
  readonly sessions: SessionFolding;
  /** GET /sessions, its views built in bounded slices between other work. */
  readonly listing: SessionListing;
  readonly reads: SessionReads;
  /** DELETE /events, in bounded steps between other work. */
  readonly retention: StepwiseRetention;
  readonly limits: SubscriberLimits;
  /** Each subscriber's socket bound, resized as subscribers come and go (MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES). */
  readonly share: BufferShare;
  readonly maxSubscribers: number;
  readonly checkpointMs: number;
  readonly counters: SupervisorCounters;
}

/** A subscriber child: its actor and its socket. */
export interface Child {
  readonly ref: SubscriberRef;
  readonly socket: SubscriberSocket;
}

/** The supervisor's context: its parts, and its subscriber children by id. */
export interface SupervisorContext {
  readonly parts: SupervisorParts;
  /** Hint: mutated in place by the supervisor's own actions; copying it per connection would be O(n²). */
  readonly children: Map<string, Child>;
}

/** An answer to a request event: the value, or the error the work threw. */
export type Answer<T> = (
  result: { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown },
) => void;

/** Everything the supervisor handles: one message per group commit, per connection event, per sweep, per request. */
export type SupervisorEvent =
  | { readonly type: 'ingest.committed'; readonly records: readonly StoredEvent[] }
  | {
      readonly type: 'subscriber.open';
      readonly id: string;
      readonly socket: SubscriberSocket;
      readonly answer: Answer<boolean>;
    }
  | { readonly type: 'subscriber.message'; readonly id: string; readonly text: string; readonly maxJsonDepth: number }
  | { readonly type: 'subscriber.reply'; readonly id: string; readonly message: ServerMessage }
  /** The log answered for a subscription that waited for it to confirm its from_offset. */
  | ({ readonly type: 'subscriber.confirmed'; readonly id: string; readonly outcome: Confirmation } & PendingStart)
  | { readonly type: 'subscriber.drained'; readonly id: string }
  | { readonly type: 'subscriber.gone'; readonly id: string }
  | { readonly type: 'maintenance.tick' }
  | {
      readonly type: 'sessions.view';
      readonly sessionId: string;
      readonly users: UserWindow;
      readonly answer: Answer<SessionView | null>;
    }
  /** The next bounded slice of the session read under way (see SessionReads). */
  | { readonly type: 'sessions.viewStep' }
  | {
      readonly type: 'sessions.list';
      readonly status: string | undefined;
      readonly limit: number;
      readonly answer: Answer<SessionView[]>;
    }
  /** The next bounded slice of the listing under way (see SessionListing). */
  | { readonly type: 'sessions.listStep' }
  | { readonly type: 'retention.delete'; readonly before: number | undefined; readonly answer: Answer<number> }
  /** The next bounded step of the delete under way (see StepwiseRetention). */
  | { readonly type: 'retention.step' }
  /** Cluster mode: this replica followed a purge made elsewhere (the stream's first sequence moved). */
  | { readonly type: 'retention.followed'; readonly deleted: number; readonly firstOffset: number }
  | { readonly type: 'shutdown' }
  | { readonly type: 'ingress.closed' }
  /** A subscriber actor reached `closed`; its output is its subscriber id (every one has the same actor id). */
  | { readonly type: 'xstate.done.actor.subscriber'; readonly actorId: string; readonly output: string }
  | { readonly type: `xstate.error.actor.${string}`; readonly actorId: string; readonly error: unknown };
