import { type Actor, createActor } from 'xstate';
import type { EventLog, LogStats } from '../persistence/eventLog.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { EventQuery } from '../protocol/eventQuery.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { ServerMessage } from '../protocol/serverMessages.js';
import type { SubmitRefusal } from '../protocol/submitRefusal.js';
import { BufferShare, subscriberLimits } from './bufferShare.js';
import { ClockWatch, newestTimestamp } from './clockWatch.js';
import { CommitRouter } from './commitRouter.js';
import { GroupCommit, type SubmitDone, type SubmitOutcome } from './groupCommit.js';
import { type PipelineOptions, SupervisorUnavailableError } from './pipelineOptions.js';
import type { PipelineHealth, PipelinePort, RouterStats, SubscriberHandle } from './pipelinePort.js';
import { routerStats } from './routerStats.js';
import { wallTimes } from './scheduler.js';
import { SessionFolding } from './sessionFolding.js';
import { SessionListing } from './sessionListing.js';
import { SessionReads } from './sessionReads.js';
import { type SessionView, VIEW_USERS } from './sessionView.js';
import { StepwiseRetention } from './stepwiseRetention.js';
import type { SubscriberSocket } from './subscriber.js';
import type { SubscriberMode } from './subscriberMachine.js';
import { listSubscribers, type SubscriberListing, subscriberFacts } from './subscriberSummary.js';
import { type Answer, type SupervisorEvent, type SupervisorParts, supervisorMachine } from './supervisor.js';

export type { SubmitOutcome } from './groupCommit.js';
export { type PipelineOptions, SupervisorUnavailableError } from './pipelineOptions.js';

/**
 * The actor system behind the PipelinePort: it builds the supervisor's parts, starts the root actor, and turns
 * each port call into one supervisor event (reads of plain figures aside).
 */
export class Pipeline implements PipelinePort {
  private readonly supervisor: Actor<typeof supervisorMachine>;
  private readonly parts: SupervisorParts;
  private readonly clock: ClockWatch;
  private stopped: Promise<void> | null = null;

  constructor(private readonly options: PipelineOptions) {
    const { log, logger, scheduler } = options;
    const head = log.headOffset();
    const counters = { delivered: 0, routed: 0, routedUpTo: head, lastCheckpoint: -Infinity, publishers: 0 };
    // Hint: told at once when the log's newest event is ahead of the clock at start (the clock stepped back since).
    this.clock = new ClockWatch(scheduler, logger, newestTimestamp(log));
    this.clock.check();
    const folding = { idleMs: options.sessionIdleMs, maxActive: options.maxActiveSessions };
    const sessions = new SessionFolding({ log, logger, scheduler, ...folding, parent: () => this.supervisor });
    // Hint: session_status is a projection; after a crash it lags the log until this fold catches it up.
    sessions.catchUp();
    const route = (records: readonly StoredEvent[]) => {
      this.clock.committed(records);
      this.supervisor.send({ type: 'ingest.committed', records });
    };
    const ingress = new GroupCommit({
      // Hint: the log, logger, scheduler, metrics and the pending bounds (maxPendingEvents, maxPendingBytes).
      ...options,
      // Hint: in cluster mode a commit's own records come back through the replica feed; routing them here would repeat them.
      committed: options.replicaFeed === undefined ? route : () => undefined,
      ...(options.maxInFlightCommits === undefined ? {} : { maxInFlight: options.maxInFlightCommits }),
    });
    const share = new BufferShare(options.subscriberBufferBytes, options.subscriberBufferTotalBytes ?? Infinity);
    const limits = subscriberLimits(options, share);
    const router = new CommitRouter(share);
    this.parts = {
      log,
      logger,
      scheduler,
      ingress,
      router,
      sessions,
      listing: new SessionListing(sessions, scheduler, () => this.supervisor.send({ type: 'sessions.listStep' })),
      reads: new SessionReads(sessions, scheduler, () => this.supervisor.send({ type: 'sessions.viewStep' })),
      retention: new StepwiseRetention(options, sessions, () => this.supervisor.send({ type: 'retention.step' })),
      limits,
      share,
      maxSubscribers: options.maxSubscribers,
      checkpointMs: options.checkpointMs,
      counters,
    };
    this.supervisor = createActor(supervisorMachine, {
      input: { parts: this.parts },
      ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
    });
    // Hint: without an error observer a failed root actor rethrows in a timer and takes Node down.
    this.supervisor.subscribe({ error: (error) => logger.error({ err: error }, 'supervisor failed') });
    this.supervisor.start();
    options.replicaFeed?.onApplied(route);
    options.replicaFeed?.onFollowedDelete((deleted) =>
      this.supervisor.send({ type: 'retention.followed', deleted, firstOffset: log.firstOffset() }),
    );
  }

  /** The log itself, for the server that opened it (and tests); src/http sees only the port. */
  get log(): EventLog {
    return this.options.log;
  }

  get epoch(): string {
    return this.options.log.epoch;
  }

  firstOffset(): number {
    return this.options.log.firstOffset();
  }

  get stopping(): boolean {
    return !this.supervisor.getSnapshot().matches('running');
  }

  submit(inputs: readonly EventInput[], done: (outcome: SubmitOutcome) => void): SubmitRefusal | null;
  submit<T>(inputs: readonly EventInput[], done: SubmitDone<T>, token: T): SubmitRefusal | null;
  submit(inputs: readonly EventInput[], done: SubmitDone<unknown>, token?: unknown): SubmitRefusal | null {
    return this.parts.ingress.submit(inputs, done, token);
  }

  publisherOpened(): void {
    this.parts.counters.publishers++;
  }

  publisherClosed(): void {
    this.parts.counters.publishers--;
  }

  openSubscriber(socket: SubscriberSocket): SubscriberHandle | null {
    const id = this.options.newSubscriberId();
    const accepted = this.ask<boolean>((answer) => ({ type: 'subscriber.open', id, socket, answer }));
    return accepted ? { id } : null;
  }

  subscriberMessage(subscriber: SubscriberHandle, text: string, maxJsonDepth: number): void {
    this.supervisor.send({ type: 'subscriber.message', id: subscriber.id, text, maxJsonDepth });
  }

  subscriberReply(subscriber: SubscriberHandle, message: ServerMessage): void {
    this.supervisor.send({ type: 'subscriber.reply', id: subscriber.id, message });
  }

  subscriberDrained(subscriber: SubscriberHandle): void {
    this.supervisor.send({ type: 'subscriber.drained', id: subscriber.id });
  }

  subscriberGone(subscriber: SubscriberHandle): void {
    this.supervisor.send({ type: 'subscriber.gone', id: subscriber.id });
  }

  sessionView(sessionId: string, users = VIEW_USERS): Promise<SessionView | null> {
    return this.request((answer) => ({ type: 'sessions.view', sessionId, users, answer }));
  }

  sessionList(status: string | undefined, limit: number): Promise<SessionView[]> {
    return this.request((answer) => ({ type: 'sessions.list', status, limit, answer }));
  }

  async retain(before: number | undefined): Promise<number> {
    await this.options.log.prepareRetention?.(before);
    return this.request((answer) => ({ type: 'retention.delete', before, answer }));
  }

  /** One sweep: keepalives, checkpoints, 4000 and 4008 closes, session folding and passivation; the clock watch. */
  sweep(): void {
    this.supervisor.send({ type: 'maintenance.tick' });
    this.clock.check();
  }

  stats(): RouterStats {
    return routerStats(this.supervisor.getSnapshot().context);
  }

  subscribers(limit: number): SubscriberListing {
    const { children } = this.supervisor.getSnapshot().context;
    const wall = wallTimes(this.options.scheduler);
    const facts = Array.from(children.values(), (child) => subscriberFacts(child.ref.getSnapshot(), wall));
    return listSubscribers(facts, this.options.log.headOffset(), this.parts.counters.routedUpTo, limit);
  }

  /** For /metrics: each subscriber's socket bound now (SUBSCRIBER_BUFFER_BYTES, or its share of the total). */
  subscriberBufferShare(): number {
    return this.parts.share.bytes;
  }

  /** For /metrics: ms the wall clock is behind the log's newest timestamp, which new events get meanwhile. */
  clockBehindMs(): number {
    return this.clock.behindMs();
  }

  /** For /metrics: session actors passivated since start. */
  sessionsPassivated(): number {
    return this.parts.sessions.passivations;
  }

  /** A subscriber actor's state, socket buffer and topic membership, for diagnostics and tests; undefined once gone. */
  inspectSubscriber(
    id: string,
  ): { readonly mode: SubscriberMode; readonly bufferedAmount: number; readonly onTopic: boolean } | undefined {
    const child = this.supervisor.getSnapshot().context.children.get(id);
    if (child === undefined) return undefined;
    const { value, context } = child.ref.getSnapshot();
    return { mode: value, bufferedAmount: child.socket.bufferedAmount(), onTopic: context.onTopic };
  }

  logStats(now: number): LogStats {
    return this.options.log.stats(now);
  }

  query(query: EventQuery): StoredEvent[] {
    return this.options.log.query(query);
  }

  getById(id: string): StoredEvent | null {
    return this.options.log.getById(id);
  }

  headOffset(): number {
    return this.options.log.headOffset();
  }

  health(): PipelineHealth {
    const { writable, reason } = this.options.log.health(); // only these: a log's health may say more
    return { connected: this.options.log.ping(), writable, reason };
  }

  /** Stop taking work, commit and ack what is pending, close subscriber sockets with 1001. Resolves when done. */
  shutdown(): Promise<void> {
    this.stopped ??= new Promise((resolve) => {
      const subscription = this.supervisor.subscribe((snapshot) => {
        if (!snapshot.matches('stopped')) return;
        subscription.unsubscribe();
        resolve();
      });
      this.supervisor.send({ type: 'shutdown' });
    });
    return this.stopped;
  }

  /** Send a request event whose answer may come on a later turn (work in bounded slices or steps). */
  private request<T>(make: (answer: Answer<T>) => SupervisorEvent): Promise<T> {
    return new Promise((settle, fail) => this.supervisor.send(make((r) => (r.ok ? settle(r.value) : fail(r.error)))));
  }

  /** Send a request event and return its answer; the supervisor answers synchronously while idle. */
  private ask<T>(make: (answer: Answer<T>) => SupervisorEvent): T {
    let result: Parameters<Answer<T>>[0] | undefined;
    this.supervisor.send(make((r) => (result = r)));
    if (result === undefined) throw new SupervisorUnavailableError('the supervisor did not answer');
    if (!result.ok) throw result.error;
    return result.value;
  }
}
