import { createActor, type Actor } from 'xstate';
import { LogWriteError, type EventLog, type GroupOutcome } from '../persistence/eventLog.js';
import type { EventInput } from '../protocol/eventInput.js';
import { recordJson, type StoredEvent } from '../protocol/eventRecord.js';
import type { Logger } from './logger.js';
import { SessionRegistry } from './sessionRegistry.js';
import { Subscriber, type SubscriberLimits, type SubscriberSocket } from './subscriber.js';
import { SubscriberIndex } from './subscriberIndex.js';
import { handleSubscriberMessage } from './subscriberProtocol.js';
import { supervisorMachine, type SupervisedWork } from './supervisor.js';

/** How a submitted batch ended: committed (with records), rejected (conflict), or not committed (retryable). */
export type SubmitOutcome =
  | GroupOutcome
  | { readonly ok: false; readonly retryable: true; readonly message: string };

/** Pipeline tuning, from configuration. */
export interface PipelineOptions {
  readonly log: EventLog;
  readonly logger: Logger;
  readonly now: () => number;
  readonly newSubscriberId: () => string;
  readonly maxPendingEvents: number;
  readonly maxSubscribers: number;
  readonly subscriberBufferBytes: number;
  readonly slowConsumerTimeoutMs: number;
  readonly keepaliveMs: number;
  readonly checkpointMs: number;
  readonly subscribeTimeoutMs: number;
  readonly sessionIdleMs: number;
  readonly maxActiveSessions: number;
  /** Schedules the group commit for the end of this I/O phase (setImmediate in production). */
  readonly schedule?: (fn: () => void) => void;
}

/** Longest synchronous session-fold slice; longer folds continue after pending I/O. */
const FOLD_SLICE_MS = 2;

interface Pending {
  readonly inputs: readonly EventInput[];
  readonly done: (outcome: SubmitOutcome) => void;
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
}

/**
 * The actor system's plain-data core: a group-commit ingress, the subscriber index and the session registry,
 * driven by the supervisor actor (one message per group commit, never one per event).
 */
export class Pipeline implements SupervisedWork {
  readonly sessions: SessionRegistry;
  readonly supervisor: Actor<typeof supervisorMachine>;
  private readonly index = new SubscriberIndex<Subscriber>();
  private readonly subscribers = new Map<string, Subscriber>();
  private pending: Pending[] = [];
  private pendingEvents = 0;
  private scheduled = false;
  private lastCheckpoint = 0;
  private stopped = false;
  private folding = false;
  private drained: Promise<void> | null = null;
  private resolveDrained: () => void = () => {};
  publishers = 0;
  private readonly counters = { delivered: 0, routed: 0, commits: 0 };
  private readonly schedule: (fn: () => void) => void;
  private readonly subscriberLimits: SubscriberLimits;

  constructor(private readonly options: PipelineOptions) {
    this.schedule = options.schedule ?? setImmediate;
    this.subscriberLimits = { bufferBytes: options.subscriberBufferBytes, replayPage: 1000, replaySliceMs: 20 };
    this.sessions = new SessionRegistry({
      log: options.log,
      now: options.now,
      idleMs: options.sessionIdleMs,
      maxActive: options.maxActiveSessions,
      logger: options.logger,
    });
    // Hint: session_status is a projection; after a crash it lags the log until this fold catches it up.
    this.catchUpSessions();
    this.supervisor = createActor(supervisorMachine, { input: { work: this } });
    // Hint: without an error observer a failed root actor rethrows in a timer and takes Node down.
    this.supervisor.subscribe({ error: (error) => options.logger.error({ err: error }, 'supervisor failed') });
    this.supervisor.start();
  }

  private catchUpSessions(): void {
    try {
      const folded = this.sessions.catchUp();
      if (folded > 0) this.options.logger.info({ sessions: folded }, 'session_status caught up from the log');
    } catch (error) {
      // Hint: a log that cannot be written (full disk) still serves; the next start catches up again.
      this.options.logger.error({ err: error }, 'session_status catch-up failed; it is retried at the next start');
    }
  }

  /** True once shutdown began: new publishes and subscribers are refused. */
  get stopping(): boolean {
    return this.stopped || this.drained !== null;
  }

  get log(): EventLog {
    return this.options.log;
  }

  /** Queue one producer batch for the next group commit; `done` runs after the commit. False when over the bound. */
  submit(inputs: readonly EventInput[], done: (outcome: SubmitOutcome) => void): boolean {
    if (this.stopped) return false;
    if (this.pendingEvents + inputs.length > this.options.maxPendingEvents && this.pendingEvents > 0) return false;
    this.pending.push({ inputs, done });
    this.pendingEvents += inputs.length;
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => {
        this.scheduled = false;
        this.supervisor.send({ type: 'ingest.flush' });
      });
    }
    return true;
  }

  commitPending(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingEvents = 0;
    let outcomes: GroupOutcome[];
    try {
      outcomes = this.options.log.appendGroups(batch.map((p) => p.inputs));
    } catch (error) {
      this.options.logger.error({ err: error }, 'group commit failed');
      const message = error instanceof LogWriteError ? 'storage unavailable; not committed, retry' : 'internal error; not committed, retry';
      for (const p of batch) safeCall(() => p.done({ ok: false, retryable: true, message }), this.options.logger);
      return;
    }
    this.counters.commits++;
    const appended: StoredEvent[] = [];
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      safeCall(() => batch[i]!.done(outcome), this.options.logger);
      if (outcome.ok) for (const record of outcome.appended) appended.push(record);
    }
    if (appended.length === 0) return;
    // Offsets were assigned group by group, so `appended` is already in offset order.
    this.route(appended);
    this.sessions.applyBatch(appended);
  }

  private route(records: readonly StoredEvent[]): void {
    const touched: Subscriber[] = [];
    for (const record of records) {
      this.index.forEachMatch(record, (subscriber) => {
        // Hint: a from_offset beyond the head goes live at once, but must not get the offsets before it.
        if (subscriber.mode !== 'live' || record.offset < subscriber.nextOffset) return;
        if (subscriber.outbox.length === 0) touched.push(subscriber);
        subscriber.outbox.push(record);
      });
    }
    const last = records[records.length - 1]!.offset;
    // Serialize each record once per commit, however many subscribers it goes to.
    const cache = new Map<StoredEvent, string>();
    const json = (record: StoredEvent) => {
      let text = cache.get(record);
      if (text === undefined) {
        text = recordJson(record);
        cache.set(record, text);
      }
      return text;
    };
    for (const subscriber of touched) {
      this.counters.routed += subscriber.outbox.length;
      try {
        subscriber.flushOutbox(last, json);
      } catch (error) {
        this.options.logger.error({ err: error, subscriber_id: subscriber.id }, 'subscriber delivery failed; closing');
        this.closeSubscriber(subscriber, 1011, 'internal error');
      }
    }
  }

  /** Register a new /ws/subscribe connection; it awaits its config message. Null when at MAX_SUBSCRIBERS. */
  openSubscriber(socket: SubscriberSocket): Subscriber | null {
    if (this.subscribers.size >= this.options.maxSubscribers || this.stopped) return null;
    const subscriber = new Subscriber(this.options.newSubscriberId(), socket, {
      log: this.options.log,
      limits: this.subscriberLimits,
      now: this.options.now,
      delivered: (n) => (this.counters.delivered += n),
      defer: (fn) => setImmediate(() => safeCall(fn, this.options.logger)),
    });
    subscriber.actor.subscribe({
      error: (error) => {
        this.options.logger.error({ err: error, subscriber_id: subscriber.id }, 'subscriber actor failed; closing');
        this.closeSubscriber(subscriber, 1011, 'internal error');
      },
    });
    subscriber.actor.start();
    this.subscribers.set(subscriber.id, subscriber);
    this.supervisor.send({ type: 'subscriber.opened', id: subscriber.id });
    return subscriber;
  }

  attachSubscriber(id: string): void {
    this.options.logger.info({ subscriber_id: id }, 'subscriber connected');
  }

  /** The socket is gone (closed by either side): forget the subscriber. */
  subscriberGone(subscriber: Subscriber): void {
    this.supervisor.send({ type: 'subscriber.closed', id: subscriber.id, reason: 'socket closed' });
  }

  detachSubscriber(id: string, reason: string): void {
    const subscriber = this.subscribers.get(id);
    if (subscriber === undefined) return;
    this.subscribers.delete(id);
    this.index.remove(subscriber);
    subscriber.actor.send({ type: 'subscriber.close' });
    subscriber.actor.stop();
    this.options.logger.info({ subscriber_id: id, reason }, 'subscriber disconnected');
  }

  private closeSubscriber(subscriber: Subscriber, code: number, reason: string): void {
    if (subscriber.mode === 'closed') return;
    this.detachSubscriber(subscriber.id, reason);
    try {
      subscriber.socket.end(code, reason);
    } catch {
      // The socket may already be closed; nothing left to do.
    }
  }

  /** Handle one text message from a subscriber: its config first, then ping / update_filters. */
  onSubscriberMessage(subscriber: Subscriber, text: string, maxJsonDepth: number): void {
    handleSubscriberMessage(subscriber, text, { log: this.options.log, now: this.options.now, maxJsonDepth, reindex: (s) => this.index.add(s) });
  }

  sweep(): void {
    const now = this.options.now();
    const checkpointDue = now - this.lastCheckpoint >= this.options.checkpointMs;
    if (checkpointDue) this.lastCheckpoint = now;
    const head = this.options.log.headOffset();
    for (const subscriber of [...this.subscribers.values()]) {
      if (subscriber.mode === 'awaitingConfig' && now - subscriber.openedAt > this.options.subscribeTimeoutMs) {
        this.closeSubscriber(subscriber, 4000, 'no subscribe message within 10 s');
        continue;
      }
      if (subscriber.stalledSince !== null && now - subscriber.stalledSince > this.options.slowConsumerTimeoutMs) {
        this.closeSubscriber(subscriber, 4008, `slow consumer; resume with from_offset=${subscriber.nextOffset}`);
        continue;
      }
      if (checkpointDue && subscriber.checkpoints && subscriber.mode !== 'awaitingConfig') {
        subscriber.sendControl({ type: 'checkpoint', offset: subscriber.mode === 'live' ? head : subscriber.nextOffset - 1 });
      }
      if (now - subscriber.lastActivity >= this.options.keepaliveMs) subscriber.sendControl({ type: 'keepalive' });
    }
    this.foldSessionsSliced();
    this.options.log.saveSessionStatuses(this.sessions.passivateIdle());
  }

  /** Fold pending session records (one message per session) and persist status changes. */
  foldSessions(): void {
    this.options.log.saveSessionStatuses(this.sessions.foldPending(Number.POSITIVE_INFINITY));
  }

  /** Fold in slices of at most FOLD_SLICE_MS, yielding to I/O between slices so delivery latency stays low. */
  private foldSessionsSliced(): void {
    if (this.folding) return;
    this.folding = true;
    const step = () => {
      try {
        const deadline = performance.now() + FOLD_SLICE_MS;
        this.options.log.saveSessionStatuses(this.sessions.foldPending(deadline));
        if (this.sessions.hasPending() && !this.stopped) {
          setImmediate(step);
          return;
        }
      } catch (error) {
        this.report(error, 'session fold');
      }
      this.folding = false;
    };
    step();
  }

  report(error: unknown, during: string): void {
    this.options.logger.error({ err: error, during }, 'supervised work failed; continuing');
  }

  /** Retention: delete events older than `before` (all when undefined). Sessions refold from what remains. */
  deleteBefore(before: number | undefined): number {
    const deleted = this.options.log.deleteBefore(before);
    // Session state is a fold over the log; after a delete, in-memory folds may count events that are gone.
    if (deleted > 0) this.options.log.saveSessionStatuses(this.sessions.stopAll());
    return deleted;
  }

  /** /stats `router` figures. */
  stats(): RouterStats {
    let lagging = 0;
    let replaying = 0;
    for (const subscriber of this.subscribers.values()) {
      if (subscriber.mode === 'lagging') lagging++;
      else if (subscriber.mode === 'replaying') replaying++;
    }
    return {
      active_subscribers: this.subscribers.size,
      lagging_subscribers: lagging,
      replaying_subscribers: replaying,
      active_sessions: this.sessions.size,
      publishers: this.publishers,
      events_delivered: this.counters.delivered,
      events_routed: this.counters.routed,
      group_commits: this.counters.commits,
      queue_size: this.pendingEvents,
    };
  }

  /** Stop taking work, commit and ack what is pending, close subscriber sockets with 1001. Resolves when done. */
  shutdown(): Promise<void> {
    if (this.drained === null) {
      this.drained = new Promise((resolve) => (this.resolveDrained = resolve));
      this.supervisor.send({ type: 'shutdown' });
    }
    return this.drained;
  }

  drain(): void {
    try {
      this.commitPending();
      this.stopped = true;
      for (const subscriber of [...this.subscribers.values()]) this.closeSubscriber(subscriber, 1001, 'server shutting down');
      this.options.log.saveSessionStatuses(this.sessions.stopAll());
    } finally {
      this.resolveDrained();
    }
  }
}

function safeCall(fn: () => void, logger: Logger): void {
  try {
    fn();
  } catch (error) {
    logger.error({ err: error }, 'callback failed');
  }
}
