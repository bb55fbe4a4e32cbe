import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildServer } from './support/childServer.js';
import { ClusterNodes, logDigest, noopOffsets } from './support/clusterNodes.js';
import { NatsCluster } from './support/natsCluster.js';
import { allEvents, eventBody, getJson, postEvents, stats, waitFor } from './support/pipelineRest.js';
import type { WireRecord } from './support/wsClient.js';

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
describe('cluster mode: retention through the stream, and producer ids it deleted', () => {
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

  it('stores a producer id deleted by retention anew, at once and the same on every node', async () => {
    const nodes = new ClusterNodes(nats, 'REUSED', 1);
    try {
      const a = await nodes.start('a');
      const b = await nodes.start('b');
      const first = await postEvents(a.base, [
        eventBody({ id: 'reused-x', payload: { n: 1 } }),
        eventBody({ id: 'reused-y', payload: { n: 1 } }),
      ]);
      expect(first.status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const kept = await postEvents(a.base, [eventBody({ payload: { kept: true } })]);
      expect(kept.status).toBe(201);
      const keptRecord = (kept.body as WireRecord[])[0]!;
      const head = await settled(a, b);
      expect(head).toBe(3);
      // Within the stream's duplicate window (10 minutes by default) JetStream still knows both Nats-Msg-Ids.
      expect(await remove(a.base, keptRecord.timestamp)).toMatchObject({ status: 200, body: { deleted: 2 } });
      // At once, before node B follows the purge on its own (it asks the stream about once a second): one id through
      // node A, which node B applies as it comes, then the other through node B, whose replica still holds it.
      const onA = await postEvents(a.base, eventBody({ id: 'reused-y', payload: { n: 1 } }));
      expect(onA.status).toBe(201);
      const y = onA.body as WireRecord;
      await waitFor(async () => (await stats(b.base)).head_offset >= y.offset, 'node B applied it');
      expect(await getJson(`${b.base}/events/reused-y`)).toEqual({ status: 200, body: y });
      const onB = await postEvents(b.base, eventBody({ id: 'reused-x', payload: { n: 1 } }));
      expect(onB.status).toBe(201);
      const x = onB.body as WireRecord;
      expect([x.id, y.id]).toEqual(['reused-x', 'reused-y']);
      expect(y.offset).toBe(head + 1);
      expect(x.offset).toBe(head + 2);
      // The new records are the ids' records now, on either node: a resend is their duplicate, other content a 409.
      const again = await postEvents(a.base, eventBody({ id: 'reused-x', payload: { n: 1 } }));
      expect(again).toEqual({ status: 200, body: x });
      expect((await postEvents(b.base, eventBody({ id: 'reused-y', payload: { n: 2 } }))).status).toBe(409);
      const last = await settled(a, b);
      expect(last).toBe(x.offset);
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info('REUSED')).state).toMatchObject({ first_seq: keptRecord.offset, last_seq: last });
      // Both went out again under a name the deleted ones never had, each with the first offset below which it decides.
      for (const record of [y, x]) {
        const stored = await jsm.streams.getMessage('REUSED', { seq: record.offset });
        expect(stored?.header?.get('Nats-Msg-Id')).toBe(`${record.id}@${keptRecord.offset}`);
        expect(stored?.header?.get('Pipeline-Floor')).toBe(String(keptRecord.offset));
      }
      const onEither = await allEvents(a.base);
      expect(onEither.map((r) => r.id)).toEqual([keptRecord.id, 'reused-y', 'reused-x']);
      expect(await logDigest(b.base)).toEqual(await logDigest(a.base));
      expect(noopOffsets(nodes.databasePath('b'))).toEqual(noopOffsets(nodes.databasePath('a')));
    } finally {
      await nodes.stop();
    }
  }, 40_000);

  it('follows a purge of several steps on every node alike while ids it deleted are published again', async () => {
    const nodes = new ClusterNodes(nats, 'STEPPED', 1);
    try {
      const a = await nodes.start('a');
      const b = await nodes.start('b');
      // 25,000 events: three steps of 10,000 offsets (RETENTION_STEP_OFFSETS) on each node.
      const count = 25_000;
      for (let from = 0; from < count; from += 1_000) {
        const batch = Array.from({ length: 1_000 }, (_, k) => eventBody({ id: `bulk-${from + k}` }));
        expect((await postEvents(a.base, batch)).status).toBe(201);
      }
      expect(await settled(a, b)).toBe(count);
      // Ids from the first and the last step's range, published again through node B as node A's DELETE is answered:
      // node B decides them while it may still hold them (it follows the purge on its own, in steps).
      const ids = ['bulk-3', 'bulk-24999', 'bulk-3'];
      const deleting = remove(a.base);
      const again: { status: number; body: unknown }[] = [];
      const answer = await deleting;
      for (const id of ids) again.push(await postEvents(b.base, eventBody({ id, payload: { n: 2 } })));
      expect(answer).toMatchObject({ status: 200, body: { deleted: count } });
      const [x, y, xAgain] = again.map((r) => r.body as WireRecord);
      expect(again.map((r) => r.status)).toEqual([201, 201, 200]);
      expect(xAgain).toEqual(x);
      expect([x!.offset, y!.offset]).toEqual([count + 1, count + 2]);
      expect(await settled(a, b)).toBe(count + 2);
      await waitFor(async () => (await stats(b.base)).first_offset === count + 1, 'node B followed the whole purge');
      for (const node of [a, b])
        expect((await allEvents(node.base)).map((r) => [r.offset, r.id])).toEqual([
          [count + 1, 'bulk-3'],
          [count + 2, 'bulk-24999'],
        ]);
      expect(await logDigest(b.base)).toEqual(await logDigest(a.base));
      expect(noopOffsets(nodes.databasePath('b'))).toEqual(noopOffsets(nodes.databasePath('a')));
    } finally {
      await nodes.stop();
    }
  }, 60_000);

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
      // With its server down, the purge is refused (nothing deleted) or goes unanswered (it may have been taken: the
      // node cannot tell, and says so); either way nothing is deleted, as the reads below show.
      expect((refused.body as { detail: string }).detail).toMatch(
        /nothing was deleted|did not answer the purge \(.+\); it may still have been applied, .+; retrying is safe/,
      );
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
