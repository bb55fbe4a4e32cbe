// The cluster harness lives with the benchmarks (which start the same cluster) so both build from one copy.
export { NatsCluster, type NatsNode } from '../../bench/lib/natsCluster.js';

import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** Run `use` with a JetStream manager on its own connection to `url`, closed after. */
export async function withManager<T>(url: string, use: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: url });
  try {
    return await use(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}
