import { jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retentionGap } from '../src/protocol/serverMessages.js';
import type { ChildServer } from './support/childServer.js';
import { ClusterNodes, logDigest, noopOffsets } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { allEvents, eventBody, getJson, postEvents, stats, waitFor } from './support/pipelineRest.js';
import { closeAll, isRecord, type Message, subscribe, type WireRecord, type WsClient } from './support/wsClient.js';

/** GET /stats with the event count. */
async function counts(base: string) {
  return (await getJson<{ total_events: number; head_offset: number; first_offset: number }>(`${base}/stats`)).body;
}

/** Session ids of `records`, the one with the newest record first (the order of GET /sessions). */
function byNewestEvent(records: readonly { offset: number; session_id: string | null }[]): string[] {
  const last = new Map<string, number>();
  for (const r of records) if (r.session_id !== null) last.set(r.session_id, r.offset);
  return [...last].sort((x, y) => y[1] - x[1]).map(([sessionId]) => sessionId);
}

async function publish(node: ChildServer, count: number, tag: string): Promise<WireRecord[]> {
  const batch = Array.from({ length: count }, (_, i) => eventBody({ session_id: `s-${i % 3}`, payload: { tag, i } }));
  const { status, body } = await postEvents(node.base, batch);
  expect(status).toBe(201);
  return body as WireRecord[];
}

/** Events of about 8 KB: LARGE_EVENTS of them fill most of the CAPPED stream, far more than loopback buffers hold. */
const LARGE_EVENTS = 1_500;
const CAP_BYTES = 16 * 1024 * 1024;

async function publishLarge(node: ChildServer, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 250) {
    const batch = Array.from({ length: Math.min(250, from + count - i) }, (_, k) =>
      eventBody({ session_id: 'big', payload: { i: i + k, blob: 'x'.repeat(8_000) } }),
    );
    expect((await postEvents(node.base, batch)).status).toBe(201);
  }
}

/** Wait until a node's one subscriber is replaying and has stopped moving (its socket is full). */
async function waitForBlockedReplay(base: string): Promise<void> {
  type Listing = { subscribers: { mode: string; last_delivered: number | null }[] };
  const position = async () => {
    const row = (await getJson<Listing>(`${base}/subscribers`)).body.subscribers[0];
    return row?.mode === 'replaying' ? (row.last_delivered ?? 0) : -1;
  };
  let last = -1;
  const unmoved = async () => {
    const now = await position();
    const still = now > 0 && now === last;
    last = now;
    return still;
  };
  await waitFor(unmoved, 'the replay to block on the paused reader', 10_000, 150);
}

// Real processes: one nats-server with JetStream (stream R1: retention needs no quorum to show) and pipeline nodes.
describe('cluster mode: offsets are stream sequences; retention, limits and no-op offsets on every replica', () => {
  let nats: NatsCluster;
  let nodes: ClusterNodes;
  let nc: NatsConnection;
  let a: ChildServer;
  let b: ChildServer;

  beforeAll(async () => {
    nats = await NatsCluster.start(1);
    nodes = new ClusterNodes(nats, 'KEPT', 1);
    a = await nodes.start('a');
    b = await nodes.start('b');
    nc = await connect({ servers: nats.url.split(',') });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await nodes?.stop();
    await nats?.stop();
  });

  it('gives every event its stream sequence as its offset, on every node', async () => {
    const acked = [...(await publish(a, 12, 'a')), ...(await publish(b, 8, 'b'))];
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info('KEPT')).state.last_seq).toBe(20);
    for (const record of acked) {
      const message = await jsm.streams.getMessage('KEPT', { seq: record.offset });
      expect(message?.header?.get('Nats-Msg-Id')).toBe(record.id);
      expect(JSON.parse(message!.string())[2]).toBe(record.id);
    }
    await waitFor(async () => (await stats(a.base)).head_offset === 20, 'node A applied node B');
    expect(await allEvents(a.base)).toEqual(await allEvents(b.base));
  });

  it('makes a producer id stored first a recorded no-op offset on every node, and a foreign message too', async () => {
    const first = await postEvents(a.base, [eventBody({ id: 'once', payload: { n: 1 } })]);
    expect(first.status).toBe(201);
    const original = (first.body as WireRecord[])[0]!;
    // Within the dedupe window, two nodes racing one id with different content: one is stored, the other is refused.
    const [racedA, racedB] = await Promise.all([
      postEvents(a.base, [eventBody({ id: 'race', payload: { on: 'a' } })]),
      postEvents(b.base, [eventBody({ id: 'race', payload: { on: 'b' } })]),
    ]);
    expect([racedA.status, racedB.status].sort()).toEqual([201, 409]);
    // Beyond the window (a new Nats-Msg-Id), as another node would publish it, and a message this code did not write.
    const h = headers();
    h.set('Nats-Msg-Id', 'once-after-the-window');
    const late = JSON.stringify([2, Date.now(), 'once', 1, 'quiz_started', 'svc', null, null, '{"n":2}']);
    nc.publish('KEPT.event', late, { headers: h });
    nc.publish('KEPT.event', 'not an event');
    await nc.flush();
    const head = original.offset + 3;
    const after = await publish(a, 1, 'after');
    expect(after[0]!.offset).toBe(head + 1);
    for (const node of [a, b]) await waitFor(async () => (await stats(node.base)).head_offset === head + 1, 'applied');
    for (const name of ['a', 'b']) {
      expect(noopOffsets(nodes.databasePath(name))).toEqual([
        { offset: head - 1, reason: `producer id "once" is already at offset ${original.offset}` },
        { offset: head, reason: expect.stringMatching(/^not an event message/) },
      ]);
    }
    const offsets = (await allEvents(b.base)).map((r) => r.offset);
    expect(offsets).not.toContain(head - 1);
    expect(offsets.at(-1)).toBe(head + 1);
    const figures = await counts(b.base);
    expect(figures.total_events).toBe(figures.head_offset - figures.first_offset + 1 - 2);
    expect((await allEvents(b.base)).find((r) => r.id === 'once')).toEqual(original);
    expect(await logDigest(b.base)).toEqual(await logDigest(a.base));
  });

  it('purges the stream on DELETE through node A; node B follows, and a node started empty rebuilds the rest', async () => {
    const jsm = await jetstreamManager(nc);
    // A session whose every event lies before the cut (retention must drop it from both listings), and one started
    // before it and answered after it (once its quiz_started is gone it is active again, on both nodes).
    const early = [
      eventBody({ session_id: 'before-cut' }),
      eventBody({ event_type: 'quiz_started', session_id: 'cut' }),
    ];
    expect((await postEvents(a.base, early)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const kept = await publish(b, 5, 'kept');
    expect((await postEvents(b.base, [eventBody({ session_id: 'cut' })])).status).toBe(201);
    await waitFor(async () => (await stats(a.base)).head_offset === kept.at(-1)!.offset + 1, 'node A applied');
    // Timestamps never decrease in offset, so "before the first kept event's time" is a prefix of the log.
    const cutAt = kept[0]!.timestamp;
    const everything = await allEvents(a.base);
    const older = everything.filter((r) => Date.parse(r.timestamp) < Date.parse(cutAt));
    const boundary = everything.find((r) => Date.parse(r.timestamp) >= Date.parse(cutAt))!.offset;
    // Node B holds session s-0 in memory: after following the purge it must refold from what is left.
    const sessionOnB = async () => (await getJson<{ event_count: number }>(`${b.base}/sessions/s-0`)).body.event_count;
    const countedBefore = await sessionOnB();
    expect(countedBefore).toBe(everything.filter((r) => r.session_id === 's-0').length);
    // Both listings fold and save every session's row before the purge; afterwards they must list what is left.
    const listed = async (base: string, status = '') =>
      (await getJson<{ session_id: string; status: string }[]>(`${base}/sessions?limit=1000${status}`)).body;
    expect((await listed(a.base)).map((v) => v.session_id)).toEqual(byNewestEvent(everything));
    expect(await listed(b.base)).toEqual(await listed(a.base));
    const response = await fetch(`${a.base}/events?before=${encodeURIComponent(cutAt)}`, { method: 'DELETE' });
    expect(await response.json()).toEqual({ deleted: older.length });
    expect(older.length).toBeGreaterThan(20);
    await waitFor(async () => (await jsm.streams.info('KEPT')).state.first_seq > 1, 'the stream purged');
    const firstSeq = (await jsm.streams.info('KEPT')).state.first_seq;
    expect(firstSeq).toBe(boundary);
    expect((await stats(a.base)).first_offset).toBe(boundary);
    await waitFor(async () => (await stats(b.base)).first_offset === firstSeq, 'node B follows the purge');
    expect((await allEvents(b.base)).map((r) => r.offset)[0]).toBeGreaterThanOrEqual(firstSeq);
    expect(await logDigest(b.base)).toEqual(await logDigest(a.base));
    const retained = (await allEvents(b.base)).filter((r) => r.session_id === 's-0').length;
    expect(retained).toBeLessThan(countedBefore);
    await waitFor(async () => (await sessionOnB()) === retained, 'node B reset its session actors after following');
    const left = byNewestEvent(await allEvents(b.base));
    expect(left.length).toBeLessThan(byNewestEvent(everything).length);
    // Its new status first: a listing reads (and so refolds) every session whose saved row it selects.
    expect((await listed(b.base, '&status=active')).map((v) => v.session_id)).toContain('cut');
    expect((await listed(b.base, '&status=in_progress')).map((v) => v.session_id)).not.toContain('cut');
    expect((await listed(b.base)).map((v) => v.session_id)).toEqual(left);
    expect(await listed(b.base)).toEqual(await listed(a.base));
    const c = await nodes.start('c');
    await waitFor(async () => (await stats(c.base)).head_offset === (await stats(a.base)).head_offset, 'C rebuilt');
    expect(await allEvents(c.base)).toEqual(await allEvents(a.base));
    expect((await stats(c.base)).first_offset).toBe(firstSeq);
    await nodes.kill('c');
  });

  it('stops a running node whose stream was deleted and made again: unready, publishes refused and never stored', async () => {
    const gone = new ClusterNodes(nats, 'REMADE', 1);
    try {
      const p = await gone.start('p');
      const epoch = (await getJson<{ epoch: string }>(`${p.base}/health`)).body.epoch;
      await publish(p, 3, 'old');
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete('REMADE');
      // Another node starting on the name makes the stream again: a new log, with its own epoch and sequences.
      const q = await gone.start('q');
      const remade = (await getJson<{ epoch: string }>(`${q.base}/health`)).body.epoch;
      expect(remade).not.toBe(epoch);
      const unready = async () => {
        const res = await getJson<{ ready: boolean; reason?: string }>(`${p.base}/readiness`);
        return res.status === 503 && /deleted and made again/.test(res.body.reason ?? '');
      };
      await waitFor(unready, 'node P to see its stream was made again');
      const refused = await postEvents(p.base, [eventBody({ source: 'retryme' })]);
      expect(refused.status).toBe(503);
      // The refusal says why and what to do (before: only `storage unavailable; not committed, retry`).
      expect(refused.body).toEqual({
        detail:
          `storage unavailable; not committed: stream REMADE was deleted and made again (epoch ${epoch} → ${remade}): ` +
          'this node stopped applying it and refuses publishes; restart it to rebuild its replica (reads serve the old ' +
          'log until then)',
      });
      // Nothing P was asked to publish reached the new stream, and P still serves the old log under its old epoch.
      expect((await jsm.streams.info('REMADE')).state.last_seq).toBe(0);
      expect((await allEvents(p.base)).map((r) => r.offset)).toEqual([1, 2, 3]);
      expect((await getJson<{ epoch: string }>(`${p.base}/health`)).body.epoch).toBe(epoch);
    } finally {
      await gone.stop();
    }
  }, 40_000);

  it('tells a subscriber on another node which offsets the stream limits (NATS_MAX_BYTES) removed before it got them', async () => {
    const capped = new ClusterNodes(nats, 'CAPPED', 1);
    const clients: WsClient[] = [];
    try {
      const env = { NATS_MAX_BYTES: String(CAP_BYTES), SUBSCRIBER_BUFFER_BYTES: String(64 * 1024) };
      const x = await capped.start('x', env);
      const y = await capped.start('y', env);
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info('CAPPED')).config.max_bytes).toBe(CAP_BYTES);
      await publishLarge(x, 0, LARGE_EVENTS);
      await waitFor(async () => (await stats(y.base)).head_offset === LARGE_EVENTS, 'node Y applied them');
      expect((await stats(y.base)).first_offset).toBe(1);
      // A reader on node Y that stops reading: its replay blocks on its full socket long before the end.
      const { client } = await subscribe(y.wsBase, { from_offset: 1 });
      clients.push(client);
      client.pause();
      await waitForBlockedReplay(y.base);
      // As many again through node X: the stream drops its oldest events to stay under the cap; node Y follows it.
      await publishLarge(x, LARGE_EVENTS, LARGE_EVENTS);
      const head = 2 * LARGE_EVENTS;
      const first = (await jsm.streams.info('CAPPED')).state.first_seq;
      expect(first).toBeGreaterThan(LARGE_EVENTS / 2);
      await waitFor(async () => (await stats(y.base)).first_offset === first, 'node Y follows the cap');
      client.resume();

      const before: number[] = [];
      const after: number[] = [];
      let gap: Message | null = null;
      while ((after.at(-1) ?? before.at(-1)) !== head) {
        const message = await client.next<WireRecord | Message>();
        if (isRecord(message)) (gap === null ? before : after).push(message.offset);
        else if (message.type === 'retention' && gap === null) gap = message;
        else throw new Error(`unexpected ${JSON.stringify(message.type ?? message.status)}`);
      }
      expect(before).toEqual(Array.from({ length: before.length }, (_, i) => i + 1));
      expect(gap).toEqual(retentionGap(before.length + 1, first));
      expect(after).toEqual(Array.from({ length: head - first + 1 }, (_, i) => first + i));
    } finally {
      await closeAll(clients);
      await capped.stop();
    }
  }, 60_000);

  it('follows the stream limits (NATS_MAX_AGE_MS): expired events leave every replica at the same offset', async () => {
    const aged = new ClusterNodes(nats, 'AGED', 1);
    try {
      const env = { NATS_MAX_AGE_MS: '1500', NATS_DUPLICATE_WINDOW_MS: '1000' };
      const x = await aged.start('x', env);
      const y = await aged.start('y', env);
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info('AGED')).config.max_age).toBe(1_500_000_000);
      await publish(x, 6, 'aged');
      for (const node of [x, y])
        await waitFor(async () => (await counts(node.base)).total_events === 0, 'expired on every replica', 20_000);
      expect(await stats(y.base)).toMatchObject({ head_offset: 6, first_offset: 7 });
      expect(await allEvents(x.base)).toEqual([]);
      expect((await publish(y, 1, 'later'))[0]!.offset).toBe(7);
    } finally {
      await aged.stop();
    }
  }, 40_000);
});
