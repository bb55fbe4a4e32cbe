import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from './support/childServer.js';
import { type Acked, SteadyProducer } from './support/clusterLoad.js';
import { ClusterNodes, logDifference, logDigest } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { allEvents, getJson, stats, waitFor } from './support/pipelineRest.js';
import { closeAll, subscribe, type WireRecord, type WsClient } from './support/wsClient.js';

const STREAM = 'EVENTS';
/**
 * Between a failover and the next kill each producer waits this long after an ack: publishing goes on while the
 * replaced server catches up, without the back-to-back load that took most of this file's CPU (alone: 27 s unpaced,
 * 14-15 s paced, `/usr/bin/time npx vitest run` of this file). Each kill still comes at full speed.
 */
const CATCH_UP_GAP_MS = 25;

/** Every acked record is in the log at its acked offset, and the log's offsets are 1..head with no gap. */
async function expectAllAcked(base: string, acked: readonly Acked[]): Promise<number> {
  const records = await allEvents(base);
  expect(records.map((r) => r.offset)).toEqual(Array.from({ length: records.length }, (_, i) => i + 1));
  const byId = new Map(records.map((r) => [r.id, r.offset]));
  const missing = acked.filter((a) => byId.get(a.id) !== a.offset);
  expect(missing).toEqual([]);
  return records.length;
}

async function level(nodes: readonly ChildServer[]): Promise<void> {
  await waitFor(
    async () => {
      const heads = await Promise.all(nodes.map(async (n) => (await stats(n.base)).head_offset));
      return heads.every((h) => h === heads[0]);
    },
    'replicas at the same head',
    20_000,
    50,
  );
}

// Real processes: a 3-server JetStream cluster (stream R3) and pipeline nodes, killed with SIGKILL by PID.
describe('cluster mode under failures', () => {
  let nats: NatsCluster;
  let nodes: ClusterNodes;
  let a: ChildServer;
  let b: ChildServer;
  const clients: WsClient[] = [];
  /** Producers of the running test; stopped after it even when it fails, so one failure cannot load the next test. */
  const producing: SteadyProducer[] = [];
  const produce = (producer: SteadyProducer) => {
    producing.push(producer);
    return producer;
  };

  beforeAll(async () => {
    nats = await NatsCluster.start(3, { debug: true });
    nodes = new ClusterNodes(nats, STREAM);
    a = await nodes.start('a');
    b = await nodes.start('b');
  }, 60_000);
  /**
   * Two nodes serve the same log; when not, the records that differ, what each NATS server holds and what each node's
   * replica audit says (its /readiness names the first offset where it differs from the stream leader) are shown.
   */
  const expectSameLogs = async (x: ChildServer, y: ChildServer) => {
    const difference = await logDifference(x.base, y.base);
    if (difference.length > 0) {
      const readiness = await Promise.all(
        [x, y].map(async (node) => JSON.stringify(await getJson(`${node.base}/readiness`))),
      );
      console.warn(
        `the logs differ; the nodes: ${readiness.join('\n')}\nthe NATS servers:\n${await nats.describe(STREAM)}`,
      );
    }
    expect(difference).toEqual([]);
  };
  afterEach(async () => {
    await Promise.all(producing.splice(0).map((p) => p.abort()));
  });
  afterAll(async () => {
    await closeAll(clients);
    await nodes?.stop();
    await nats?.stop();
  });

  it('loses no acked event when the stream leader is killed 5 times during publishing through two nodes', async () => {
    const producers = [produce(new SteadyProducer(() => a, 'pa')), produce(new SteadyProducer(() => b, 'pb'))];
    for (let round = 0; round < 5; round++) {
      for (const p of producers) p.pace(0);
      const before = producers.map((p) => p.batches);
      await waitFor(() => producers.every((p, i) => p.batches >= before[i]! + 3), 'publishing before the kill', 20_000);
      const leader = await nats.leaderOf(STREAM);
      await nats.kill(leader);
      const killedAt = producers.map((p) => p.batches);
      const resumed = () => producers.every((p, i) => p.batches >= killedAt[i]! + 3);
      // What the nodes and the servers said (consumer recreations, votes, catch-ups) explains a stall.
      const stalled = async (error: unknown) => {
        const tail = (node: ChildServer) => node.output().split('\n').slice(-12).join('\n');
        const servers = await nats.describe(STREAM);
        throw new Error(`${String(error)} (round ${round})\nnode a:\n${tail(a)}\nnode b:\n${tail(b)}\n${servers}`);
      };
      // Publishing resumes on both nodes once the two other servers elect a new leader (measured 3-8 s).
      const resumedInTime = await waitFor(resumed, 'publishing after failover', 20_000).then(
        () => true,
        () => false,
      );
      for (const p of producers) p.pace(CATCH_UP_GAP_MS);
      if (resumedInTime || !(await nats.leaderless(STREAM))) {
        // A stream with a leader must take publishes: a stall past 30 s is then ours, and fails the test.
        if (!resumedInTime)
          await waitFor(resumed, 'publishing after failover (the stream has a leader)', 10_000).catch(stalled);
        // Hint: the killed server comes back without its stream data (its meta group state kept), and the stream's
        // other replicas fill it again. Restarted on its whole store, Debian's nats-server 2.9.10 kept messages that
        // were in flight at the kill in another order than the other servers (a node rebuilt through it had 10
        // events at other offsets); on an empty store, its meta group could not catch up for over a minute. README.
        await nats.restart(leader, { lose: 'streams' });
      } else {
        // Hint: once in CI the two other servers elected no stream leader for over 40 s (publishes got 503). What a
        // process supervisor would do then: restart the killed server, on its whole store (a raft voter that kept its
        // state, so its vote cannot elect a replica lacking an acked event); publishing must then resume. Said aloud.
        console.warn(
          `round ${round}: no stream leader 20 s after the kill; restarting the killed server\n${await nats.describe(STREAM)}`,
        );
        await nats.restart(leader);
        await waitFor(resumed, 'publishing after the killed server restarted', 30_000).catch(stalled);
      }
      // The next kill waits until the restarted server holds the whole stream: one failure at a time, as R3 tolerates.
      await nats.waitCurrent(STREAM, 30_000).catch(async (error: unknown) => {
        // Hint: once in CI a replacement's own copy stayed without the stream's first 2,550 messages for 60 s (raft
        // called it current). What an operator would do: replace it again, on an empty store. Said aloud.
        const leader = await nats.leaderOf(STREAM);
        const lacking = ((await nats.copiesLacking(STREAM)) ?? []).filter((index) => index !== leader);
        console.warn(`round ${round}: ${String(error)}; replacing server(s) ${lacking.join(', ') || 'none'} again`);
        for (const index of lacking) {
          await nats.kill(index);
          await nats.restart(index, { lose: 'streams' });
        }
        await nats.waitCurrent(STREAM, 30_000).catch(async (again: unknown) => {
          // Hint: once in CI both replacements came back without the same first 150 messages from the same leader, so
          // its catch-up is the likely fault: with the lacking server down, the leader steps down (the one complete
          // copy left takes over) and the server is replaced from that one. Said aloud.
          const still = ((await nats.copiesLacking(STREAM)) ?? []).filter((index) => index !== leader);
          console.warn(`round ${round}: ${String(again)}; stepping the leader down, replacing ${still.join(', ')}`);
          for (const index of still) await nats.kill(index);
          await nats.stepDown(STREAM);
          for (const index of still) await nats.restart(index, { lose: 'streams' });
          await nats.waitCurrent(STREAM);
        });
      });
    }
    await Promise.all(producers.map((p) => p.stop()));
    const acked = producers.flatMap((p) => p.acked);
    expect(producers.every((p) => p.batches >= 30)).toBe(true);
    await level([a, b]);
    const total = await expectAllAcked(a.base, acked);
    expect(total).toBe(acked.length);
    await expectSameLogs(b, a);
    // Hint: room for one round's three recovery steps (30 + 30 + 60 s of waiting) beside the five rounds.
  }, 240_000);

  it('moves producers and subscribers to node B when node A is killed; A catches up after a restart', async () => {
    const start = (await stats(a.base)).head_offset + 1;
    const subscriber = await subscribe(a.wsBase, { from_offset: start });
    clients.push(subscriber.client);
    const producer = produce(new SteadyProducer(() => a, 'pk'));
    await waitFor(() => producer.batches >= 5, 'publishing through A');
    const seenOnA = await subscriber.client.take<WireRecord>(30);
    await nodes.kill('a');
    // The clients reconnect to B: the producer retries its batch in flight (same ids), the subscriber resumes.
    producer.retarget(() => b);
    const last = seenOnA.at(-1)!.offset;
    const moved = await subscribe(b.wsBase, { from_offset: last + 1 });
    clients.push(moved.client);
    const killedAt = producer.batches;
    await waitFor(() => producer.batches >= killedAt + 5, 'publishing through B');
    await producer.stop();
    const head = (await stats(b.base)).head_offset;
    const seenOnB = await moved.client.take<WireRecord>(head - last);
    const offsets = [...seenOnA, ...seenOnB].map((r) => r.offset);
    expect(offsets).toEqual(Array.from({ length: head - start + 1 }, (_, i) => start + i));
    await expectAllAcked(b.base, producer.acked);
    a = await nodes.start('a');
    await level([a, b]);
    await expectSameLogs(a, b);
  }, 60_000);

  it('rebuilds a node started on an empty SQLite file from the stream', async () => {
    const c = await nodes.start('c');
    await level([b, c]);
    expect((await logDigest(c.base)).count).toBeGreaterThan(300);
    await expectSameLogs(c, b);
    await nodes.kill('c');
  }, 60_000);
});
