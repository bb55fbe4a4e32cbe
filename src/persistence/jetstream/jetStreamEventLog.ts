import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventFilter } from '../../protocol/eventFilter.js';
import type { EventInput } from '../../protocol/eventInput.js';
import type { EventQuery } from '../../protocol/eventQuery.js';
import type { StoredEvent } from '../../protocol/eventRecord.js';
import {
  type EventLog,
  type GroupOutcome,
  type LogHealth,
  type LogStats,
  LogWriteError,
  type SessionStatusRow,
} from '../eventLog.js';
import type { SqliteEventLog, SqliteEventLogOptions } from '../sqliteEventLog.js';
import { encodeRetention, splitCommit } from './commitMessage.js';
import type { JetStreamOptions } from './jetStreamOptions.js';
import { openReplica } from './openReplica.js';
import { ReplicaApplier } from './replicaApplier.js';
import { type AppliedListener, type AppliedMessage, ApplyClock, ReplicaFeed } from './replicaFeed.js';
import { StreamPublisher } from './streamPublisher.js';
import { openStream } from './streamSetup.js';
import { commitSubject } from './streamSubjects.js';

/** Options for a node's JetStream log: the replica's (as for the embedded log, without the epoch) and the cluster's. */
export type JetStreamEventLogOptions = Omit<SqliteEventLogOptions, 'now'> & {
  readonly now: () => number;
  readonly jetstream: JetStreamOptions;
};

const CONSUMER_TIMEOUT_MS = 1_000;
/** nats-server's default max_payload, used until the server has told us its own. */
const DEFAULT_MAX_PAYLOAD = 1_048_576;
interface Parts {
  readonly nc: NatsConnection;
  readonly replica: SqliteEventLog;
  readonly feed: ReplicaFeed;
  readonly applier: ReplicaApplier;
  readonly publisher: StreamPublisher;
}

/**
 * The cluster log: JetStream holds the commits, and this node's SQLite replica serves every read. A commit is
 * published as one stream message (ids and timestamp decided here), acked by a quorum (PubAck), and resolved once
 * this node's replica has applied it, with the outcomes the replica computed; every node applies the same messages
 * in the same order, so offsets are identical everywhere. Reads never touch the network.
 */
export class JetStreamEventLog implements EventLog {
  readonly epoch: string;
  private connected = true;
  private closed = false;

  private constructor(
    private readonly parts: Parts,
    private readonly options: JetStreamEventLogOptions,
  ) {
    this.epoch = parts.replica.epoch;
    void this.watchConnection();
  }

  /** Connect, open the stream and the replica, and catch the replica up to the stream's head at open. */
  static async open(options: JetStreamEventLogOptions): Promise<JetStreamEventLog> {
    const stream = await openStream(options.jetstream, options.newEpoch);
    const clock = new ApplyClock();
    const onNotice = options.onNotice ?? (() => undefined);
    let opened: ReturnType<typeof openReplica>;
    try {
      const replicaClock = { now: () => clock.ts ?? options.now(), newId: () => clock.nextId() };
      opened = openReplica({ ...options, ...replicaClock }, stream.epoch);
    } catch (error) {
      await stream.nc.close();
      throw error;
    }
    const { replica, appliedSeq } = opened;
    const feed = new ReplicaFeed(replica, {
      databasePath: options.path,
      epoch: stream.epoch,
      appliedSeq,
      clock,
      now: options.now,
      onNotice,
    });
    // Hint: its own client with short API timeouts, so a consumer asked of a stream without a leader (mid-election)
    // fails fast and is asked again, instead of waiting out the default 5 s.
    const applierJs = jetstream(stream.nc, { timeout: CONSUMER_TIMEOUT_MS });
    const applierJsm = await jetstreamManager(stream.nc, { timeout: CONSUMER_TIMEOUT_MS, checkAPI: false });
    const applier = new ReplicaApplier({
      js: applierJs,
      jsm: applierJsm,
      stream: options.jetstream.stream,
      sink: feed,
      onNotice,
    });
    const head = (await stream.jsm.streams.info(options.jetstream.stream)).state.last_seq;
    applier.start();
    await feed.waitFor(head);
    feed.savePosition();
    const subject = commitSubject(options.jetstream.stream);
    const publisher = new StreamPublisher(stream.js, subject, feed, applier, options.jetstream.publishTimeoutMs);
    return new JetStreamEventLog({ nc: stream.nc, replica, feed, applier, publisher }, options);
  }

  /** Where records applied from the stream go (every node's live routing); see Pipeline's `replicaFeed`. */
  onApplied(listener: AppliedListener): void {
    this.parts.feed.onApplied(listener);
  }

  /** The last stream sequence this node's replica applied. */
  appliedSeq(): number {
    return this.parts.feed.appliedSeq;
  }

  async commit(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> {
    if (groups.every((group) => group.length === 0)) return groups.map(() => ({ ok: true, records: [], appended: [] }));
    // Hint: ids are generated here, once, so every replica gives the same event the same id.
    const ids: string[] = [];
    for (const group of groups) for (const input of group) if (input.id === null) ids.push(this.options.newId());
    const outcomes: GroupOutcome[] = [];
    const message = { ts: this.options.now(), groups, ids };
    for (const payload of splitCommit(message, this.parts.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD))
      outcomes.push(...(await this.publish(payload)).outcomes);
    return outcomes;
  }

  /** Retention through the stream: every replica deletes at the same point; resolves with this replica's count. */
  async retain(before: number | undefined): Promise<number> {
    return (await this.publish(encodeRetention({ ts: this.options.now(), deleteBefore: before ?? null }))).deleted;
  }

  appendGroups(): GroupOutcome[] {
    throw new LogWriteError('the JetStream log appends only through commit()');
  }

  /**
   * The synchronous retention call (DELETE /events): the command is published and applied by every replica in
   * stream order, after this returns, so the count is not known yet and is reported as 0.
   */
  deleteBefore(before: number | undefined): number {
    this.retain(before).catch((error: unknown) =>
      this.options.onNotice?.(`retention command failed: ${error instanceof Error ? error.message : String(error)}`),
    );
    return 0;
  }

  private publish(payload: string): Promise<AppliedMessage> {
    if (this.closed) return Promise.reject(new LogWriteError('log is closed'));
    return this.parts.publisher.publish(payload);
  }

  headOffset(): number {
    return this.parts.replica.headOffset();
  }

  firstOffset(): number {
    return this.parts.replica.firstOffset();
  }

  readFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): StoredEvent[] {
    return this.parts.replica.readFrom(fromOffset, filter, limit, upTo);
  }

  readJsonFrom(
    fromOffset: number,
    filter: EventFilter,
    limit: number,
    upTo?: number,
  ): { records: string[]; lastOffset: number | null } {
    return this.parts.replica.readJsonFrom(fromOffset, filter, limit, upTo);
  }

  query(query: EventQuery): StoredEvent[] {
    return this.parts.replica.query(query);
  }

  getById(id: string): StoredEvent | null {
    return this.parts.replica.getById(id);
  }

  stats(now: number): LogStats {
    return this.parts.replica.stats(now);
  }

  saveSessionStatuses(rows: readonly SessionStatusRow[], foldedUpTo?: number): void {
    this.parts.replica.saveSessionStatuses(rows, foldedUpTo);
  }

  sessionsFoldedUpTo(): number {
    return this.parts.replica.sessionsFoldedUpTo();
  }

  noteSessionsFolded(upTo: number): void {
    this.parts.replica.noteSessionsFolded(upTo);
  }

  listSessions(status: string | undefined, limit: number): SessionStatusRow[] {
    return this.parts.replica.listSessions(status, limit);
  }

  /** Offsets the replica serves from memory until its derived index has them (index build lag). */
  unindexedCount(): number {
    return this.parts.replica.unindexedCount();
  }

  indexTail(): void {
    this.parts.replica.indexTail();
  }

  ping(): boolean {
    return this.parts.replica.ping();
  }

  health(): LogHealth {
    if (this.closed) return { writable: false, reason: 'log is closed' };
    if (!this.connected) return { writable: false, reason: 'the NATS cluster is unreachable; reads are served' };
    return this.parts.replica.health();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { applier, feed, nc, replica } = this.parts;
    feed.close();
    void applier.stop();
    void nc.close().catch(() => undefined);
    replica.close();
  }

  /** Track reachability for health(), and recreate the consumer after a reconnect (see ReplicaApplier). */
  private async watchConnection(): Promise<void> {
    for await (const status of this.parts.nc.status()) {
      if (status.type === 'disconnect') this.connected = false;
      if (status.type === 'reconnect') {
        this.connected = true;
        this.parts.applier.restart();
      }
    }
  }
}
