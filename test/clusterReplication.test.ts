import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from './support/childServer.js';
import { ClusterNodes, logDigest } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { allEvents, eventBody, postEvents, stats, waitFor } from './support/pipelineRest.js';
import { closeAll, type Message, subscribe, type WireRecord, WsClient } from './support/wsClient.js';

// Real processes: a 3-server JetStream cluster on loopback and two pipeline nodes (dist/src/main.js) on it.
describe('cluster mode: two pipeline nodes on one JetStream stream', () => {
  let nats: NatsCluster;
  let nodes: ClusterNodes;
  let a: ChildServer;
  let b: ChildServer;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    nats = await NatsCluster.start(3);
    nodes = new ClusterNodes(nats);
    a = await nodes.start('a');
    b = await nodes.start('b');
  }, 60_000);
  afterAll(async () => {
    await closeAll(clients);
    await nodes?.stop();
    await nats?.stop();
  });

  async function publishThrough(node: ChildServer, count: number, tag: string): Promise<WireRecord[]> {
    const batch = Array.from({ length: count }, (_, i) => eventBody({ session_id: `s-${i % 4}`, payload: { tag, i } }));
    const { status, body } = await postEvents(node.base, batch);
    expect(status, JSON.stringify(body)).toBe(201);
    return body as WireRecord[];
  }

  it('serves on node B, from offset 1, exactly the records node A acked, with the same offsets', async () => {
    const acked = [...(await publishThrough(a, 40, 'first')), ...(await publishThrough(a, 25, 'second'))];
    expect(acked.map((r) => r.offset)).toEqual(Array.from({ length: 65 }, (_, i) => i + 1));
    const { client, ack } = await subscribe(b.wsBase, { from_offset: 1 });
    clients.push(client);
    expect(ack).toMatchObject({ from_offset: 1 });
    expect(await client.take<WireRecord>(acked.length)).toEqual(acked);
    // Live on B: what A commits next reaches B's subscriber from B's replica.
    const live = await publishThrough(a, 3, 'live');
    expect(await client.take<WireRecord>(3)).toEqual(live);
    expect(await allEvents(b.base)).toEqual(await allEvents(a.base));
    expect((await stats(b.base)).head_offset).toBe(68);
  });

  it('lets a subscriber move from node A to node B with from_offset = last + 1: no gap, no duplicate', async () => {
    const start = (await stats(a.base)).head_offset + 1;
    const first = await subscribe(a.wsBase, { from_offset: start });
    clients.push(first.client);
    const publishing = (async () => {
      const out: WireRecord[] = [];
      for (let round = 0; round < 10; round++) {
        out.push(...(await publishThrough(round % 2 === 0 ? a : b, 20, `move-${round}`)));
      }
      return out;
    })();
    const seenOnA = await first.client.take<WireRecord>(70);
    await first.client.close();
    const last = seenOnA.at(-1)!.offset;
    const second = await subscribe(b.wsBase, { from_offset: last + 1 });
    clients.push(second.client);
    const published = await publishing;
    const total = published.length;
    const seenOnB = await second.client.take<WireRecord>(total - seenOnA.length);
    const offsets = [...seenOnA, ...seenOnB].map((r) => r.offset);
    expect(offsets).toEqual(Array.from({ length: total }, (_, i) => start + i));
    const byOffset = [...published].sort((x, y) => x.offset - y.offset);
    expect([...seenOnA, ...seenOnB]).toEqual(byOffset);
    await waitFor(
      async () => (await stats(b.base)).head_offset === (await stats(a.base)).head_offset,
      'replicas level',
    );
    expect(await logDigest(b.base)).toEqual(await logDigest(a.base));
  });

  /** Each event's offset as a /ws/publish batch ack gives it: `offsets[i]`, else `first_offset + i`. */
  const ackedOffsets = (ack: Message): Array<[string, number]> =>
    (ack.event_ids as string[]).map((id, i) => [
      id,
      (ack.offsets as number[] | undefined)?.[i] ?? (ack.first_offset as number) + i,
    ]);

  it("acks each event's offset in a /ws/publish batch as the log holds it: two nodes publishing at once, a duplicate", async () => {
    const [pa, pb] = await Promise.all([
      WsClient.open(`${a.wsBase}/ws/publish`),
      WsClient.open(`${b.wsBase}/ws/publish`),
    ]);
    clients.push(pa, pb);
    const rounds = 4;
    const batch = (tag: string, round: number) =>
      Array.from({ length: 400 }, (_, i) => eventBody({ id: `${tag}-${round}-${i}`, payload: { tag, round, i } }));
    for (let round = 0; round < rounds; round++) {
      pa.send(batch('ilv-a', round));
      pb.send(batch('ilv-b', round));
    }
    // Hint: whether other events land between a batch's is up to timing (2 of 9 acks in one run); each is checked.
    const acks = [...(await pa.take(rounds)), ...(await pb.take(rounds))];
    const level = () =>
      waitFor(async () => (await stats(b.base)).head_offset === (await stats(a.base)).head_offset, 'replicas level');
    await level();
    // A batch holding a producer id stored through the other node: the duplicate keeps its offset.
    pa.send([eventBody({ id: 'ilv-new-1' }), batch('ilv-b', 0)[3]!, eventBody({ id: 'ilv-new-2' })]);
    const mixed = await pa.next();
    expect(mixed).toMatchObject({ status: 'ok', duplicates: 1, offsets: expect.any(Array) });
    acks.push(mixed);
    await level();
    const logged = new Map((await allEvents(a.base)).map((r) => [r.id, r.offset]));
    const acked = acks.flatMap(ackedOffsets);
    expect(acked.map(([id]) => [id, logged.get(id)])).toEqual(acked);
    // Listed exactly when they are not contiguous or a duplicate is among them.
    for (const ack of acks) {
      const offsets = ackedOffsets(ack).map(([, offset]) => offset);
      const contiguous = offsets.every((offset, i) => offset === offsets[0]! + i);
      expect('offsets' in ack).toBe(!contiguous || ack.duplicates !== 0);
    }
  });
});
