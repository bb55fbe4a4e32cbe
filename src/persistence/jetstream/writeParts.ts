import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { SqliteReplicaLog } from '../sqliteReplicaLog.js';
import type { WriteParts } from './clusterWrites.js';
import type { JetStreamOptions } from './jetStreamOptions.js';
import { ReplicaAhead } from './replicaAhead.js';
import { ReplicaApplier } from './replicaApplier.js';
import { ReplicaAudit } from './replicaAudit.js';
import { ReplicaFeed } from './replicaFeed.js';
import { StreamPublisher } from './streamPublisher.js';
import type { OpenedStream } from './streamSetup.js';
import { eventSubject } from './streamSubjects.js';

const CONSUMER_TIMEOUT_MS = 1_000;
const AUDIT_PER_SECOND = 100;

/**
 * A node's parts on an opened stream and replica: the feed (guarded: it deletes only as far as the stream's purge
 * marks allow), the applier (started, applying from the replica's head + 1), the publisher and the audit. `startSeq`
 * is the stream's last sequence at start, noted as known to exist, and held against the replica's head (ReplicaAhead).
 */
export async function startWriteParts(
  stream: OpenedStream,
  replica: SqliteReplicaLog,
  options: JetStreamOptions,
  onNotice: (message: string) => void,
): Promise<WriteParts & { readonly startSeq: number }> {
  const start = await stream.jsm.streams.info(options.stream);
  const startSeq = start.state.last_seq;
  const js = jetstream(stream.nc, { timeout: CONSUMER_TIMEOUT_MS });
  const jsm = await jetstreamManager(stream.nc, { timeout: CONSUMER_TIMEOUT_MS, checkAPI: false });
  const { marks } = stream;
  let applier: ReplicaApplier | null = null;
  // Hint: from the recorded cut, not the replica's first offset, which may have passed it holding nothing there: a
  // floor (its publishes') from the first offset would make the other nodes delete what they kept.
  const permit = Math.min(replica.keptFrom(), marks.openedCut);
  const feed = new ReplicaFeed(replica, { onNotice, onFailure: () => applier?.restart(), permit });
  feed.noteLast(startSeq);
  // Hint: a node started on a replica beyond its stream is not ready, from its first answer on.
  const ahead = new ReplicaAhead(options.stream);
  ahead.observe(replica.headOffset(), start);
  // Hint: short API timeouts, so asking a leaderless stream (mid-election) fails fast and asks again, not after 5 s.
  applier = new ReplicaApplier({
    js,
    jsm,
    stream: options.stream,
    marks: { read: () => marks.read(jsm), raise: (cut: number) => marks.raise(cut) },
    sink: feed,
    onNotice,
    origin: { epoch: stream.epoch, created: stream.created, description: stream.description },
    ahead,
  });
  applier.start();
  const publisher = new StreamPublisher(stream.nc, eventSubject(options.stream), {
    ...(options.publishTimeoutMs === undefined ? {} : { deadlineMs: options.publishTimeoutMs }),
  });
  const audit = new ReplicaAudit({
    jsm: stream.jsm,
    stream: options.stream,
    replica,
    appliedSeq: () => feed.appliedSeq,
    perSecond: options.auditPerSecond ?? AUDIT_PER_SECOND,
    onNotice,
    ahead: () => ahead.confirmed,
    askStream: () => applier.askStream(true),
  });
  audit.start();
  return { nc: stream.nc, jsm: stream.jsm, replica, feed, applier, publisher, audit, marks, startSeq };
}
