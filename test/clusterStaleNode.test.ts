import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventRecord, type SubscriptionNotice, subscribe as sdkSubscribe } from '../src/client/index.js';
import type { ChildServer } from './support/childServer.js';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { eventBody, getJson, postEvents, stats, waitFor } from './support/pipelineRest.js';
import { closeAll, type Message, subscribe, type WireRecord, WsClient } from './support/wsClient.js';

// Real processes: 3 JetStream servers that do not tell clients of each other, node A on two of them and node B on the
// third alone, so stopping that server cuts B off (its replica and its view of the stream stop) while A publishes.
describe('cluster mode: a subscriber moving to a node whose view of the stream is stale', () => {
  let nats: NatsCluster;
  let nodes: ClusterNodes;
  let a: ChildServer;
  let b: ChildServer;
  const clients: WsClient[] = [];
  const urlOf = (...indices: number[]) => indices.map((i) => `nats://127.0.0.1:${nats.nodes[i]!.clientPort}`).join(',');

  beforeAll(async () => {
    nats = await NatsCluster.start(3, { advertise: false });
    nodes = new ClusterNodes(nats);
    a = await nodes.start('a', { NATS_URL: urlOf(0, 1) });
    // Hint: B's server is stopped below; the stream keeps its leader (and A its publishes) without an election.
    if ((await nats.leaderOf('EVENTS')) === 2) await nats.stepDown('EVENTS');
    b = await nodes.start('b', { NATS_URL: urlOf(2) });
  }, 60_000);
  afterAll(async () => {
    await closeAll(clients);
    await nodes?.stop();
    await nats?.stop();
  });

  async function publishThrough(node: ChildServer, count: number, tag: string): Promise<WireRecord[]> {
    const batch = Array.from({ length: count }, (_, i) => eventBody({ payload: { tag, i } }));
    const { status, body } = await postEvents(node.base, batch);
    expect(status).toBe(201);
    return body as WireRecord[];
  }

  /** Open /ws/subscribe on `node` with `request`; the first message, or how the socket closed before one came. */
  async function firstAnswer(node: ChildServer, request: object) {
    const client = await WsClient.open(`${node.wsBase}/ws/subscribe`);
    clients.push(client);
    client.send(request);
    const first = await client.next<Message>().catch(() => null);
    return { client, first };
  }

  it('refuses, retryably, a from_offset beyond its stale view instead of rewinding, then starts exactly there', async () => {
    await publishThrough(a, 20, 'before');
    await waitFor(async () => (await stats(b.base)).head_offset === 20, 'B applied the first 20');
    const onA = await subscribe(a.wsBase, { from_offset: 1 });
    clients.push(onA.client);
    expect(await onA.client.take<WireRecord>(20)).toHaveLength(20);

    await nats.kill(2);
    await waitFor(
      async () => /unreachable/.test((await getJson<{ reason?: string }>(`${b.base}/readiness`)).body.reason ?? ''),
      'B cut off from NATS',
    );
    await publishThrough(a, 30, 'while B is cut off');
    const seenOnA = await onA.client.take<WireRecord>(30);
    const last = seenOnA.at(-1)!.offset;
    expect(last).toBe(50);
    await onA.client.close();
    // B's replica and its view of the stream stop at 20, while offsets up to 50 exist.
    expect((await stats(b.base)).head_offset).toBe(20);

    // Before: B answered `beyond_head` and started at 21, sending 21..50 a second time once it caught up.
    const refused = await firstAnswer(b, { from_offset: last + 1 });
    expect(refused.first).toEqual({
      status: 'error',
      message: expect.stringMatching(
        /^cannot confirm from_offset 51 with the stream \(the NATS cluster is unreachable\); this node knows offsets up to 20,.*retry/,
      ),
      retryable: true,
    });
    expect(await refused.client.closed).toEqual({
      code: 1013,
      reason: 'cannot confirm from_offset 51 with the stream; retry',
    });

    await nats.restart(2);
    // What the SDK does on 1013: reconnect (with backoff) and ask again, until B answers.
    const moved = await waitFor(
      async () => {
        const attempt = await firstAnswer(b, { from_offset: last + 1 });
        if (attempt.first?.status === 'subscribed') return attempt;
        expect(await attempt.client.closed).toMatchObject({ code: 1013 });
        return null;
      },
      'B answering the subscription',
      30_000,
      200,
    );
    expect(moved.first).toMatchObject({ status: 'subscribed', from_offset: 51 });
    expect(moved.first).not.toHaveProperty('beyond_head');
    const live = await publishThrough(a, 5, 'after');
    const seenOnB = await moved.client.take<WireRecord>(5);
    expect(seenOnB).toEqual(live);
    expect(seenOnB.map((r) => r.offset)).toEqual([51, 52, 53, 54, 55]);
  }, 90_000);

  it('lets the SDK move to a node cut off from the stream: it retries on 1013 and resumes with no duplicate', async () => {
    const epoch = String((await getJson<{ epoch: string }>(`${a.base}/health`)).body.epoch);
    await nats.kill(2);
    await waitFor(
      async () => /unreachable/.test((await getJson<{ reason?: string }>(`${b.base}/readiness`)).body.reason ?? ''),
      'B cut off from NATS',
    );
    const during = await publishThrough(a, 30, 'while B is cut off again');
    const last = during.at(-1)!.offset;
    const headOnB = (await stats(b.base)).head_offset;
    expect(headOnB).toBeLessThan(last);
    // The consumer handled everything up to `last` on A, and resumes on B.
    const notices: SubscriptionNotice[] = [];
    const sub = sdkSubscribe({
      url: b.base,
      from: { offset: last, epoch },
      idleTimeoutMs: 0,
      backoff: { initialMs: 100, maxMs: 1_000 },
      onNotice: (notice) => notices.push(notice),
    });
    try {
      await waitFor(() => notices.some((n) => /cannot confirm from_offset/.test(n.message)), 'a refusal retried');
      expect(notices.every((n) => n.kind === 'reconnecting')).toBe(true);
      await nats.restart(2);
      const live = await publishThrough(a, 5, 'after the SDK moved');
      const iterator = sub[Symbol.asyncIterator]();
      const seen: EventRecord[] = [];
      for (let i = 0; i < 5; i++) seen.push((await iterator.next()).value as EventRecord);
      expect(seen.map((r) => r.offset)).toEqual(live.map((r) => r.offset));
      expect(seen[0]!.offset).toBe(last + 1);
      expect(notices.filter((n) => n.kind === 'beyond_head')).toEqual([]);
    } finally {
      await sub.close();
    }
  }, 90_000);
});
