import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamUnavailableError } from './jetStreamOptions.js';
import type { ReplicaApplier } from './replicaApplier.js';
import type { ReplicaFeed } from './replicaFeed.js';

/** Tell `onChange` of each disconnect (false) and reconnect (true) of `nc`, until it closes. */
export async function watchConnection(nc: NatsConnection, onChange: (connected: boolean) => void): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect') onChange(false);
    if (status.type === 'reconnect') onChange(true);
  }
}

/**
 * The highest offset that exists, asked of the stream now (its state is noted as this node's known head), for a
 * subscriber asking beyond what this node has seen. Rejects with JetStreamUnavailableError, naming why, while the
 * stream cannot answer or is another log: this node's own view may be stale then, so it must not be guessed from.
 */
export async function confirmStreamHead(
  parts: {
    readonly applier: Pick<ReplicaApplier, 'followStream' | 'replaced'>;
    readonly feed: Pick<ReplicaFeed, 'knownHead'>;
  },
  connected: boolean,
): Promise<number> {
  const { applier, feed } = parts;
  // Hint: followStream asks for the stream's state (1 s timeout) and notes its last sequence in the feed.
  const answered = connected && (await applier.followStream(true));
  if (answered && applier.replaced === null) return feed.knownHead();
  const reason = applier.replaced ?? (connected ? 'the stream did not answer' : 'the NATS cluster is unreachable');
  throw new JetStreamUnavailableError(reason);
}
