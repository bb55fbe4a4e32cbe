import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { allEvents, eventBody, getJson, postEvents, waitFor } from './support/pipelineRest.js';

/**
 * Which log a stream is: its epoch changes when the stream is made again, even from its exported config, and stays
 * across restarts otherwise.
 */
describe('cluster mode: the identity of the stream', () => {
  let nats: NatsCluster;
  let nodes: ClusterNodes;
  beforeAll(async () => {
    nats = await NatsCluster.start(1);
  });
  afterAll(async () => {
    await nodes?.stop();
    await nats?.stop();
  });

  const withManager = async <T>(use: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>) => {
    const nc = await connect({ servers: nats.url });
    try {
      return await use(await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
  };
  const epochOf = async (base: string) => (await getJson<{ epoch: string }>(`${base}/health`)).body.epoch;
  const offsets = async (base: string) => (await allEvents(base)).map((record) => record.offset);

  it('gives a stream recreated from its exported config a new epoch, and keeps the epoch of an unchanged one', async () => {
    nodes = new ClusterNodes(nats, 'EPOCHS', 1);
    let node = await nodes.start('e');
    expect((await postEvents(node.base, [eventBody(), eventBody()])).status).toBe(201);
    const first = await epochOf(node.base);
    await nodes.kill('e');
    node = await nodes.start('e');
    expect(await epochOf(node.base)).toBe(first);
    expect(await offsets(node.base)).toEqual([1, 2]);
    await nodes.kill('e');

    const exported = (await withManager((jsm) => jsm.streams.info('EPOCHS'))).config;
    await withManager(async (jsm) => {
      await jsm.streams.delete('EPOCHS');
      await jsm.streams.add(exported);
    });
    node = await nodes.start('e');
    expect(await epochOf(node.base)).not.toBe(first);
    // Hint: the log is written asynchronously, so the notice may follow the first answer.
    await waitFor(() => node.output().includes(`belonged to epoch ${first}; rebuilding it`), 'the rebuild notice');
    expect(await offsets(node.base)).toEqual([]);
    await nodes.kill('e');
    await nodes.stop();
  }, 60_000);

  it('keeps the epoch a stream made by an earlier version kept in its description', async () => {
    nodes = new ClusterNodes(nats, 'LEGACY', 1);
    const description = 'event-pipeline log, epoch legacy0';
    await withManager((jsm) =>
      jsm.streams.add({ name: 'LEGACY', subjects: ['LEGACY.>'], description, duplicate_window: nanos(600_000) }),
    );
    let node = await nodes.start('l');
    expect(await epochOf(node.base)).toBe('legacy0');
    expect((await postEvents(node.base, eventBody())).status).toBe(201);
    await nodes.kill('l');
    node = await nodes.start('l');
    expect(await epochOf(node.base)).toBe('legacy0');
    expect(await offsets(node.base)).toEqual([1]);
    expect((await withManager((jsm) => jsm.streams.info('LEGACY'))).config.description).toBe(description);
    await nodes.stop();
  }, 60_000);
});
