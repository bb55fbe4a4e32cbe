import type { EventInput } from '../../protocol/eventInput.js';
import { type EventLog, type GroupOutcome, type LogHealth, type LogStats, LogWriteError } from '../eventLog.js';
import type { SqliteEventLogOptions } from '../sqliteEventLog.js';
import { ClusterWrites, type WriteParts } from './clusterWrites.js';
import type { DeletedListener } from './cutSteps.js';
import type { JetStreamOptions } from './jetStreamOptions.js';
import { NatsConnectionState } from './natsConnection.js';
import { openReplica, underReplicaLock } from './openReplica.js';
import type { AppliedListener } from './replicaFeed.js';
import { ReplicaReads } from './replicaReads.js';
import { confirmStreamHead } from './streamContact.js';
import { openStream } from './streamSetup.js';
import { startWriteParts } from './writeParts.js';

/** Options for a node's JetStream log: the replica's (as for the embedded log, without the epoch) and the cluster's. */
export type JetStreamEventLogOptions = Omit<SqliteEventLogOptions, 'now' | 'newId'> & {
  readonly now: () => number;
  /** Ids for events sent without one, made before the stream assigns the offset (so they cannot name it). */
  readonly newId: () => string;
  readonly jetstream: JetStreamOptions;
};

// Hint: commits in flight (one at a time left the loop idle); commits sharing a producer id plan in turn (ClusterWrites).
const CONCURRENT_COMMITS = 8;

/**
 * The cluster log: JetStream holds the events, one stream message per event, and this node's SQLite replica serves
 * every read. An event's stream sequence is its offset on every node. A commit is planned against the replica (producer
 * ids), published, acked by a quorum (PubAck), and resolved once this node's replica has applied it (ClusterWrites).
 * Reads never touch the network.
 */
export class JetStreamEventLog extends ReplicaReads implements EventLog {
  readonly epoch: string;
  /** For the pipeline's GroupCommit (maxInFlightCommits); records are routed from the feed, in stream order. */
  readonly concurrentCommits = CONCURRENT_COMMITS;
  private readonly connection: NatsConnectionState;
  private closed = false;
  private readonly writes: ClusterWrites;
  readonly keepLock = (): void => this.parts.replica.keepLock();

  private constructor(
    private readonly parts: WriteParts,
    options: JetStreamEventLogOptions,
    /** The stream's last sequence when this node started: /readiness says "catching up" until it is applied. */
    private readonly startSeq: number,
  ) {
    super(parts.replica);
    this.epoch = parts.replica.epoch;
    const onNotice = options.onNotice ?? (() => undefined);
    this.writes = new ClusterWrites(parts, options.jetstream.stream, options.now, options.newId, onNotice);
    // Hint: reachability for health() and commits; the consumer is recreated after a reconnect (see ReplicaApplier).
    this.connection = new NatsConnectionState(parts.nc, onNotice, () => parts.applier.restart());
  }

  /** Lock DATABASE_PATH, connect, open stream and replica, apply from its head + 1 without waiting (see /readiness). */
  static async open(options: JetStreamEventLogOptions): Promise<JetStreamEventLog> {
    const { onNotice = () => undefined } = options;
    return underReplicaLock(options, async (lock) => {
      const stream = await openStream(options.jetstream, options.newEpoch, onNotice);
      let replica: ReturnType<typeof openReplica> | null = null;
      try {
        replica = openReplica({ ...options, lock }, stream.epoch);
        const parts = await startWriteParts(stream, replica, options.jetstream, onNotice);
        return new JetStreamEventLog(parts, options, parts.startSeq);
      } catch (error) {
        replica?.close();
        await stream.nc.close();
        throw error;
      }
    });
  }

  /** The NATS server this node is (or was last) connected to, `host:port` (for the `listening` line). */
  get natsServer(): string {
    return this.connection.server;
  }

  /** For /metrics: the NATS connection, the stream's usability and the replica's lag, as known now (nothing is asked). */
  clusterFigures() {
    const { applier, feed, audit } = this.parts;
    return {
      ...audit.figures(),
      natsConnected: this.connection.connected,
      natsServer: this.connection.server,
      streamProblem: applier.refusal ?? applier.unavailable,
      replicaLag: feed.knownHead() - feed.appliedSeq,
      lostWithoutPurge: feed.unmarked.current(),
    };
  }

  /** The replica's figures, and what the stream lost without a recorded purge while it has (see UnmarkedLosses). */
  override stats(now: number): LogStats {
    const stats = super.stats(now);
    const lost = this.parts.feed.unmarked.current();
    return lost === null ? stats : { ...stats, lost_without_purge: lost };
  }

  /** Where records applied from the stream go (every node's live routing); see Pipeline's `replicaFeed`. */
  onApplied(listener: AppliedListener): void {
    this.parts.feed.onApplied(listener);
  }

  /** Who hears of events deleted because the stream was purged elsewhere (the session actors are reset). */
  onFollowedDelete(listener: DeletedListener): void {
    this.parts.feed.onDeleted(listener);
  }

  /** The last stream sequence this node's replica applied. */
  appliedSeq(): number {
    return this.parts.feed.appliedSeq;
  }

  /** Refused at once (nothing sent) while the stream cannot hold the log or NATS is disconnected (not just slow). */
  commit(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> {
    const refused = this.closed ? 'log is closed' : (this.parts.applier.refusal ?? this.connection.refusal);
    if (refused === null) return this.writes.commit(groups);
    return Promise.reject(new LogWriteError(refused, { refusal: true }));
  }

  /** DELETE /events, first step: the stream's purge, refused at once (nothing deleted) while NATS is unreachable. */
  prepareRetention(before: number | undefined): Promise<void> {
    const up = this.connection.connected;
    const refused = this.closed ? 'log is closed' : up ? null : 'the NATS cluster is unreachable';
    if (refused !== null) return Promise.reject(new LogWriteError(`${refused}; nothing was deleted, retry`));
    return this.writes.retention.purge(before);
  }

  appendGroups(): GroupOutcome[] {
    throw new LogWriteError('the JetStream log appends only through commit()');
  }

  /** DELETE /events, second step: from this replica (a real count), as far as the stream was purged. */
  deleteBefore(before: number | undefined): number {
    if (this.closed) throw new LogWriteError('log is closed');
    return this.writes.retention.deleteBefore(before);
  }

  /** The same in bounded steps (StepwiseRetention): where this replica's delete cuts, which begins it. */
  retentionBoundary(before: number | undefined): number {
    if (this.closed) throw new LogWriteError('log is closed');
    return this.writes.retention.boundary(before);
  }

  /** One step of that delete (the replica's first offset moves up); the count deleted. */
  deleteStep(_boundary: number, limit: number): number {
    if (this.closed) throw new LogWriteError('log is closed');
    return this.writes.retention.step(limit);
  }

  /** The stream's last sequence as last seen: a subscriber moving from a node that is ahead starts where it asked. */
  knownHead(): number {
    return this.parts.feed.knownHead();
  }

  /** The stream's last sequence, asked now (a subscriber asked beyond knownHead); rejects while it cannot answer. */
  confirmKnownHead(): Promise<number> {
    return confirmStreamHead(this.parts, this.connection.connected && !this.closed);
  }

  health(): LogHealth {
    const { applier } = this.parts;
    const reason = this.closed
      ? 'log is closed'
      : (applier.refusal ?? this.connection.unreachable ?? applier.unavailable);
    if (reason !== null) return { writable: false, reason };
    const applied = this.parts.feed.appliedSeq;
    const catchingUp = `catching up with the stream: at offset ${applied} of ${this.startSeq}`;
    if (applied < this.startSeq) return { writable: false, reason: catchingUp + applier.consumerNotices.cause };
    return this.writes.health(() => this.parts.replica.health());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { applier, feed, nc, replica, publisher } = this.parts;
    feed.close();
    publisher.close();
    this.writes.close();
    void applier.stop();
    void nc.close().catch(() => undefined);
    replica.close();
  }
}
