import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { eventBody, postEvents, waitFor } from './support/pipelineRest.js';

/** An event the stream can never take (its max_msg_size lowered after the node started) fails at once, named. */
describe('cluster mode: an event too large for the stream', () => {
  let nats: NatsCluster;
  let nodes: ClusterNodes;
  beforeAll(async () => {
    nats = await NatsCluster.start(1);
    nodes = new ClusterNodes(nats, 'SIZED', 1);
  });
  afterAll(async () => {
    await nodes?.stop();
    await nats?.stop();
  });

  it('is refused with 503 and a log line naming its size and the stream’s reason, not resent until the deadline', async () => {
    const node = await nodes.start('s', { NATS_PUBLISH_TIMEOUT_MS: '600000' });
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.update('SIZED', { max_msg_size: 1_000 });
    } finally {
      await nc.close();
    }
    // Hint: with a 10-minute publish timeout, only the fail-at-once path answers within the test's time.
    const refused = await postEvents(node.base, eventBody({ payload: { text: 'x'.repeat(2_000) } }));
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ detail: 'storage unavailable; not committed, retry' });
    await waitFor(
      () => node.output().includes('too large (the stream refuses it: message size exceeds maximum allowed)'),
      'the log line naming the size',
    );
    expect(node.output()).toMatch(/the event's stream message \(\d+ bytes before its headers\) is too large/);
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
  }, 30_000);
});
