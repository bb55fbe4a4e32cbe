import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from './support/childServer.js';
import { ClusterNodes, logDigest } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { allEvents, eventBody, postEvents, stats, waitFor } from './support/pipelineRest.js';

async function remove(base: string, before?: string) {
  const query = before === undefined ? '' : `?before=${encodeURIComponent(before)}`;
  const res = await fetch(`${base}/events${query}`, { method: 'DELETE' });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as unknown };
}

/** Wait until both nodes applied the same head, then return it. */
async function settled(x: ChildServer, y: ChildServer): Promise<number> {
  let head = 0;
  await waitFor(async () => {
    const [hx, hy] = [(await stats(x.base)).head_offset, (await stats(y.base)).head_offset];
    head = hx;
    return hx === hy;
  }, 'both nodes at the same head');
  return head;
}

// Real processes: one nats-server with JetStream (R1 streams) and two pipeline nodes on each stream.
describe('cluster mode: retention through the stream', () => {
  let nats: NatsCluster;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await NatsCluster.start(1);
    nc = await connect({ servers: nats.url.split(',') });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('refuses a DELETE on a stream that denies purges, naming the reason, and deletes nothing', async () => {
    const nodes = new ClusterNodes(nats, 'NOPURGE', 1);
    try {
      const p = await nodes.start('p');
      expect((await postEvents(p.base, [eventBody(), eventBody(), eventBody()])).status).toBe(201);
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.update('NOPURGE', { deny_purge: true })).config.deny_purge).toBe(true);
      const refused = await remove(p.base);
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual({ detail: expect.stringMatching(/deny_purge/) });
      expect((refused.body as { detail: string }).detail).toMatch(/nothing was deleted/);
      expect((await allEvents(p.base)).map((r) => r.offset)).toEqual([1, 2, 3]);
      expect((await jsm.streams.info('NOPURGE')).state).toMatchObject({ first_seq: 1, messages: 3 });
    } finally {
      await nodes.stop();
    }
  }, 30_000);

  it('refuses a DELETE while the NATS cluster is down (503, nothing deleted); a node restarted meanwhile converges', async () => {
    const own = await NatsCluster.start(1);
    const nodes = new ClusterNodes(own, 'OUTAGE', 1);
    try {
      const a = await nodes.start('a');
      const b = await nodes.start('b');
      expect((await postEvents(a.base, [eventBody(), eventBody(), eventBody()])).status).toBe(201);
      await settled(a, b);
      await own.kill(0);
      const refused = await remove(a.base);
      expect(refused).toMatchObject({ status: 503, retryAfter: '1' });
      expect((refused.body as { detail: string }).detail).toMatch(/nothing was deleted/);
      expect((await allEvents(a.base)).map((r) => r.offset)).toEqual([1, 2, 3]);
      // Node A is restarted before NATS comes back: nothing of the refused DELETE may be waiting anywhere.
      await nodes.kill('a');
      await own.restart(0);
      const restarted = await nodes.start('a');
      await waitFor(async () => (await stats(restarted.base)).head_offset === 3, 'node A back on the stream');
      expect(await logDigest(restarted.base)).toEqual(await logDigest(b.base));
      expect((await logDigest(b.base)).count).toBe(3);
      // The DELETE retried once NATS is back: purged, and node B follows.
      expect(await remove(restarted.base)).toMatchObject({ status: 200, body: { deleted: 3 } });
      await waitFor(async () => (await stats(b.base)).first_offset === 4, 'node B follows the purge');
      expect(await logDigest(b.base)).toEqual(await logDigest(restarted.base));
    } finally {
      await nodes.stop();
      await own.stop();
    }
  }, 60_000);
});
