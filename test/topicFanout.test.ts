import { afterEach, describe, expect, it } from 'vitest';
import { allEvents, type EventBody, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, isRecord, subscribe, type WireRecord, WsClient } from './support/wsClient.js';

const TYPES = ['answer_submitted', 'timer_tick', 'quiz_started'] as const;

function event(i: number, blobChars = 0): EventBody {
  return {
    event_type: TYPES[i % TYPES.length]!,
    source: 'topics',
    session_id: `s${i % 2}`,
    user_id: null,
    payload: { i, blob: 'x'.repeat(blobChars) },
  };
}

/** Publish events over /ws/publish in arrays of `per`, waiting for every ack. */
async function publish(t: TestServer, from: number, count: number, per: number, blobChars = 0): Promise<void> {
  const publisher = await WsClient.open(`${t.wsBase}/ws/publish`);
  try {
    for (let i = from; i < from + count; i += per) {
      const batch = Array.from({ length: Math.min(per, from + count - i) }, (_, k) => event(i + k, blobChars));
      publisher.send(batch);
      expect(await publisher.next()).toMatchObject({ status: 'ok', count: batch.length });
    }
  } finally {
    await publisher.close();
  }
}

/** Collect records (batches flattened) until `count` have arrived. */
async function collect(client: WsClient, count: number): Promise<number[]> {
  const offsets: number[] = [];
  while (offsets.length < count) {
    const message = await client.next<unknown>();
    const items = Array.isArray(message) ? message : [message];
    for (const item of items) if (isRecord(item)) offsets.push(item.offset);
  }
  return offsets;
}

describe('native fan-out through uWS topics', () => {
  let t: TestServer | undefined;
  const clients: WsClient[] = [];
  afterEach(async () => {
    await closeAll(clients.splice(0));
    await t?.stop();
    t = undefined;
  });

  it('puts every live subscriber on the topic of its filter and gives each exactly its records, in order, in its framing', async () => {
    t = await startTestServer();
    const requests = {
      a: {},
      b: {},
      framed: { batch: true },
      typed: { event_types: ['timer_tick'] },
      session: { session_id: 's1' },
    };
    const subs = await Promise.all(Object.values(requests).map((r) => subscribe(t!.wsBase, r)));
    clients.push(...subs.map((s) => s.client));
    const inspect = (i: number) => t!.server.pipeline.inspectSubscriber(subs[i]!.ack.subscriber_id as string);
    expect([0, 1, 2, 3, 4].map((i) => inspect(i)?.onTopic)).toEqual([true, true, true, true, true]);

    await publish(t, 0, 60, 7);
    const all = await allEvents(t.base);
    const offsetsOf = (keep: (r: WireRecord) => boolean) => all.filter(keep).map((r) => r.offset);
    const expected = [
      offsetsOf(() => true),
      offsetsOf(() => true),
      offsetsOf(() => true),
      offsetsOf((r) => r.event_type === 'timer_tick'),
      offsetsOf((r) => r.session_id === 's1'),
    ];
    for (const [i, sub] of subs.entries()) expect(await collect(sub.client, expected[i]!.length)).toEqual(expected[i]);
    // Nothing more, in particular no repeat of a record: a ping's pong is the next message.
    for (const sub of subs) {
      sub.client.send({ type: 'ping' });
      expect(await sub.client.next()).toEqual({ type: 'pong' });
    }

    // update_filters moves a member to the topic of its new filter, from the next commit on.
    subs[1]!.client.send({ type: 'update_filters', filters: { event_types: ['quiz_started'] } });
    expect(await subs[1]!.client.next()).toMatchObject({ status: 'filters_updated' });
    expect(inspect(1)?.onTopic).toBe(true);
    await publish(t, 60, 9, 9);
    const after = (await allEvents(t.base, '', 60)).filter((r) => r.event_type === 'quiz_started');
    expect(await collect(subs[1]!.client, after.length)).toEqual(after.map((r) => r.offset));
  });

  it('never skips a slow reader on a topic: over its bound it leaves, catches up from the log and rejoins, every record once, in order', async () => {
    const bufferBytes = 64 * 1024;
    t = await startTestServer({ SUBSCRIBER_BUFFER_BYTES: String(bufferBytes) });
    const slow = await subscribe(t.wsBase, {});
    const healthy = await subscribe(t.wsBase, {});
    clients.push(slow.client, healthy.client);
    const slowId = slow.ack.subscriber_id as string;
    const total = 3_000;
    const perBatch = 50;
    const blob = 8_000;

    let sawLagging = false;
    let peak = 0;
    const watch = setInterval(() => {
      const s = t?.server.pipeline.inspectSubscriber(slowId);
      sawLagging ||= s?.mode === 'lagging' || s?.mode === 'replaying';
      peak = Math.max(peak, s?.bufferedAmount ?? 0);
    }, 2);
    // The slow reader reads in short bursts between pauses, so its socket keeps crossing the bound. Hint: each pause
    // lasts until the router has taken it off live pushes (not a fixed 150 ms), so the bound is crossed however slowly
    // a busy machine publishes; a pause ends anyway once publishing is done.
    let reading = true;
    const offLive = () => {
      const mode = t?.server.pipeline.inspectSubscriber(slowId)?.mode;
      return mode === 'lagging' || mode === 'replaying';
    };
    const toggler = (async () => {
      while (reading) {
        slow.client.pause();
        while (reading && !offLive()) await new Promise((r) => setTimeout(r, 5));
        slow.client.resume();
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const healthyGot = collect(healthy.client, total);
    const slowGot = collect(slow.client, total);
    // Hint: awaited below; this only keeps a failure before then from surfacing as an unhandled rejection.
    for (const pending of [healthyGot, slowGot]) pending.catch(() => undefined);
    try {
      await publish(t, 0, total, perBatch, blob);
      expect(await healthyGot).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    } finally {
      reading = false;
      clearInterval(watch);
      await toggler;
    }
    slow.client.resume();
    expect(await slowGot).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(sawLagging).toBe(true);
    // The router held it to its bound and one record more at most, on its topic, lagging or catching up: uWS never
    // had to.
    expect(peak).toBeLessThanOrEqual(bufferBytes + blob + 400);
    // Caught up, it is back on its topic and live records reach it again.
    await waitFor(() => t?.server.pipeline.inspectSubscriber(slowId)?.onTopic === true, 'the slow reader to rejoin');
    await publish(t, total, 5, 5);
    expect(await collect(slow.client, 5)).toEqual([1, 2, 3, 4, 5].map((i) => total + i));
  });

  it('shows what a reader that stopped holds in pipeline_subscriber_buffered_bytes: its bound and one record at most, then none', async () => {
    const bufferBytes = 64 * 1024;
    t = await startTestServer({ SUBSCRIBER_BUFFER_BYTES: String(bufferBytes) });
    const stopped = await subscribe(t.wsBase, {});
    clients.push(stopped.client);
    stopped.client.pause();
    const buffered = async () =>
      Number(/^pipeline_subscriber_buffered_bytes (\d+)$/m.exec(await t!.server.metrics.scrape())?.[1]);
    const total = 1_000;
    const perBatch = 50;
    const blob = 8_000;
    await publish(t, 0, total, perBatch, blob);
    // Its socket and the kernel's buffers are full (8 MB were published): the router stopped pushing at its bound.
    await waitFor(async () => (await buffered()) > 0, 'the stopped reader to hold bytes');
    expect(await buffered()).toBeLessThanOrEqual(bufferBytes + blob + 400);
    const got = collect(stopped.client, total);
    stopped.client.resume();
    expect(await got).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    await waitFor(async () => (await buffered()) === 0, 'the reader to take every byte');
  });
});
