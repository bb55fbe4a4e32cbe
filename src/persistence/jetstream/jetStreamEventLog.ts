import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { nuid } from '@nats-io/transport-node';
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
import { encodeCommit, encodeRetention } from './commitMessage.js';
import type { JetStreamOptions } from './jetStreamOptions.js';
import { openReplica } from './openReplica.js';
import { ReplicaApplier } from './replicaApplier.js';
import { type AppliedListener, type AppliedMessage, type ApplyClock, ReplicaFeed } from './replicaFeed.js';
import { openStream } from './streamSetup.js';
import { commitSubject } from './streamSubjects.js';

/** Options for a node's JetStream log: the replica's (as for the embedded log, without the epoch) and the cluster's. */
export type JetStreamEventLogOptions = Omit<SqliteEventLogOptions, 'now'> & {
  readonly now: () => number;
  readonly jetstream: JetStreamOptions;
};

/** How long a commit waits for its PubAck, then for this node's replica to apply it. */
const PUBLISH_TIMEOUT_MS = 10_000;
const APPLY_TIMEOUT_MS = 10_000;

interface Parts {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly replica: SqliteEventLog;
  readonly feed: ReplicaFeed;
  readonly applier: ReplicaApplier;
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
    const clock: ApplyClock = { ts: null };
    const onNotice = options.onNotice ?? (() => undefined);
    let opened: ReturnType<typeof openReplica>;
    try {
      opened = openReplica({ ...options, now: () => clock.ts ?? options.now() }, stream.epoch);
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
    const applier = new ReplicaApplier({ js: stream.js, stream: options.jetstream.stream, sink: feed, onNotice });
    const head = (await stream.jsm.streams.info(options.jetstream.stream)).state.last_seq;
    applier.start();
    await feed.waitFor(head);
    feed.savePosition();
    return new JetStreamEventLog({ nc: stream.nc, js: stream.js, replica, feed, applier }, options);
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
    // Hint: every event leaves with its id, so replicas agree and a re-applied message appends nothing.
    const withIds = groups.map((group) =>
      group.map((input) => (input.id === null ? { ...input, id: this.options.newId() } : input)),
    );
    return (await this.publish(encodeCommit({ ts: this.options.now(), groups: withIds }))).outcomes;
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

  /** Publish one message (acked by a quorum), then wait until this node's replica has applied it. */
  private async publish(payload: string): Promise<AppliedMessage> {
    if (this.closed) throw new LogWriteError('log is closed');
    const { feed, js } = this.parts;
    const msgId = nuid.next();
    const applied = feed.expect(msgId);
    try {
      await js.publish(commitSubject(this.options.jetstream.stream), payload, {
        msgID: msgId,
        timeout: PUBLISH_TIMEOUT_MS,
      });
    } catch (error) {
      feed.forget(msgId);
      throw new LogWriteError('the JetStream cluster did not acknowledge the commit', { cause: error });
    }
    return await withTimeout(applied, APPLY_TIMEOUT_MS, () => {
      feed.forget(msgId);
      return new LogWriteError('committed to the stream but not yet applied on this node; retry with ids');
    });
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

/** `promise`, or a rejection with `onTimeout()` after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
