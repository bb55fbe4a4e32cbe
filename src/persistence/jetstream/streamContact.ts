import { JetStreamUnavailableError } from './jetStreamOptions.js';
import type { ReplicaApplier } from './replicaApplier.js';
import type { ReplicaFeed } from './replicaFeed.js';

type Applier = Pick<ReplicaApplier, 'followStream' | 'refusal'>;

/** One stream request at a time per applier, and the one that waits to start after it. */
interface Asking {
  current: Promise<boolean> | null;
  next: Promise<boolean> | null;
}
const asking = new WeakMap<Applier, Asking>();

/**
 * The answer of a stream state request sent after this call. Hint: many subscribers moving to a node at once share
 * requests, but none shares one sent before its own message came (that answer could predate the records it has).
 */
function askStream(applier: Applier): Promise<boolean> {
  const state = asking.get(applier) ?? { current: null, next: null };
  asking.set(applier, state);
  const start = (): Promise<boolean> => {
    const asked = applier.followStream(true).finally(() => {
      if (state.current === asked) state.current = null;
    });
    state.current = asked;
    return asked;
  };
  if (state.current === null) return start();
  state.next ??= state.current.then(() => {
    state.next = null;
    return start();
  });
  return state.next;
}

/**
 * The highest offset that exists, asked of the stream now (its state is noted as this node's known head), for a
 * subscriber asking beyond what this node has seen. Rejects with JetStreamUnavailableError, naming why, while the
 * stream cannot answer or is another log: this node's own view may be stale then, so it must not be guessed from.
 */
export async function confirmStreamHead(
  parts: { readonly applier: Applier; readonly feed: Pick<ReplicaFeed, 'knownHead'> },
  connected: boolean,
): Promise<number> {
  const { applier, feed } = parts;
  // Hint: followStream asks for the stream's state (1 s timeout) and notes its last sequence in the feed.
  const answered = connected && (await askStream(applier));
  if (answered && applier.refusal === null) return feed.knownHead();
  const reason = applier.refusal ?? (connected ? 'the stream did not answer' : 'the NATS cluster is unreachable');
  throw new JetStreamUnavailableError(reason);
}
