import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterNodes } from './support/clusterNodes.js';
import { NatsCluster, withManager } from './support/natsCluster.js';
import { allEvents, eventBody, postEvents, stats, waitFor } from './support/pipelineRest.js';
import { parsePrometheusText, sampleValue } from './support/promText.js';
import type { WireRecord } from './support/wsClient.js';

const offsetsOf = async (base: string) => (await allEvents(base)).map((r) => r.offset);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Post events 1..`total` through `base` in two requests, the second a few ms later: its first event's time cuts at `split`. */
async function postSplit(base: string, split: number, total: number): Promise<string> {
  const body = (from: number, to: number) => range(from, to).map((n) => eventBody({ payload: { n } }));
  expect((await postEvents(base, body(1, split - 1))).status).toBe(201);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const later = await postEvents(base, body(split, total));
  expect(later.status).toBe(201);
  return (later.body as WireRecord[])[0]!.timestamp;
}
const UNMARKED = 'sequences 21-30 left the stream without a purge of this pipeline';
/** What `base` shows of a loss without a recorded purge: /stats lost_without_purge, and its two gauges. */
async function lostFigures(base: string) {
  const metrics = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
  return [
    (await stats(base)).lost_without_purge ?? null,
    sampleValue(metrics, 'pipeline_stream_lost_offsets'),
    sampleValue(metrics, 'pipeline_replica_kept_lost_events'),
  ];
}

// Real processes: one nats-server (R1 streams) and pipeline nodes. The stream is purged behind the pipeline's back,
// as a server fault did in a probe (a leader killed just after a purge came back with a first sequence past it).
describe('cluster mode: a first sequence no recorded purge reached deletes nothing', () => {
  let nats: NatsCluster;

  beforeAll(async () => {
    nats = await NatsCluster.start(1);
  }, 60_000);
  afterAll(async () => {
    await nats?.stop();
  });

  it('keeps the acked events on every node, says so, carries on, and still follows the next DELETE', async () => {
    const nodes = new ClusterNodes(nats, 'UNMARKED', 1);
    try {
      const a = await nodes.start('a');
      const b = await nodes.start('b');
      const cut = await postSplit(a.base, 10, 30);
      await waitFor(async () => (await stats(b.base)).head_offset === 30, 'node B applied all 30');
      // No DELETE was made: the stream loses 1-30 without a purge of the pipeline.
      await withManager(nats.url, (jsm) => jsm.streams.purge('UNMARKED', { seq: 31 }));
      await waitFor(
        () =>
          a.output().includes('sequences 1-30 left the stream') &&
          b.output().includes('sequences 1-30 left the stream'),
        'both nodes told of the unmarked first sequence',
      );
      expect(a.output()).toContain('this replica keeps the 30 event(s) it holds there and deletes none of them');
      // Not only a log line: /stats and /metrics say it while it lasts (the first offset does not move).
      expect(await lostFigures(a.base)).toEqual([{ from: 1, to: 30, kept: 30 }, 30, 30]);
      expect(await lostFigures(b.base)).toEqual([{ from: 1, to: 30, kept: 30 }, 30, 30]);
      expect(await offsetsOf(a.base)).toEqual(range(1, 30));
      expect(await offsetsOf(b.base)).toEqual(range(1, 30));
      // Publishing goes on at the stream's sequences, on both nodes.
      expect((await postEvents(b.base, eventBody({ payload: { n: 31 } }))).status).toBe(201);
      await waitFor(async () => (await stats(a.base)).head_offset === 31, 'node A applied offset 31');
      expect(await offsetsOf(a.base)).toEqual(range(1, 31));
      // A DELETE through node A is recorded, then made; node B follows exactly that far, and no further.
      const res = await fetch(`${a.base}/events?before=${encodeURIComponent(cut)}`, { method: 'DELETE' });
      expect([res.status, await res.json()]).toEqual([200, { deleted: 9 }]);
      await waitFor(async () => (await stats(b.base)).first_offset === 10, 'node B followed the DELETE');
      expect(await offsetsOf(b.base)).toEqual(range(10, 31));
      expect(await offsetsOf(a.base)).toEqual(range(10, 31));
      // The loss is now 10-30 (the DELETE took 1-9), each node keeping its 21 events.
      const narrowed = [{ from: 10, to: 30, kept: 21 }, 21, 21];
      for (const node of [a, b])
        await waitFor(async () => isDeepStrictEqual(await lostFigures(node.base), narrowed), 'the loss narrowed');
      // A node built now can only have what the stream still holds, and says it keeps none of the loss.
      const c = await nodes.start('c');
      await waitFor(async () => (await stats(c.base)).head_offset === 31, 'node C caught up');
      expect(await offsetsOf(c.base)).toEqual([31]);
      expect(c.output()).not.toContain('left the stream without a purge');
      expect(await lostFigures(c.base)).toEqual([{ from: 10, to: 30, kept: 0 }, 21, 0]);
      // Restarted, node C still publishes floors at the recorded cut (10), not at its first offset (31): the others
      // keep what they kept. Before, its floor after a restart made them delete 10-30.
      await nodes.kill('c');
      const again = await nodes.start('c');
      expect((await postEvents(again.base, eventBody({ payload: { n: 32 } }))).status).toBe(201);
      await waitFor(async () => (await stats(a.base)).head_offset === 32, 'node A applied offset 32');
      expect(await offsetsOf(a.base)).toEqual(range(10, 32));
    } finally {
      await nodes.stop();
    }
  }, 60_000);

  it(`tells ${JSON.stringify(UNMARKED)} only for what a node holds beyond the recorded cut`, async () => {
    const nodes = new ClusterNodes(nats, 'PARTLY', 1);
    try {
      const a = await nodes.start('a');
      const cut = await postSplit(a.base, 21, 30);
      const res = await fetch(`${a.base}/events?before=${encodeURIComponent(cut)}`, { method: 'DELETE' });
      expect([res.status, await res.json()]).toEqual([200, { deleted: 20 }]);
      expect(await lostFigures(a.base)).toEqual([null, 0, 0]);
      await withManager(nats.url, (jsm) => jsm.streams.purge('PARTLY', { seq: 31 }));
      await waitFor(() => a.output().includes(UNMARKED), 'told of 21-30');
      expect(a.output()).toContain('beyond the last cut DELETE /events recorded (21)');
      expect(await offsetsOf(a.base)).toEqual(range(21, 30));
      expect(await lostFigures(a.base)).toEqual([{ from: 21, to: 30, kept: 10 }, 10, 10]);
    } finally {
      await nodes.stop();
    }
  }, 60_000);
});
