import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../src/actors/manualScheduler.js';
import { type InspectableChild, startInspectableChild } from './support/inspectableChild.js';
import { allEvents, type EventBody, stats, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, isRecord, type Message, subscribe, type WireRecord, WsClient } from './support/wsClient.js';

const BUFFER_BYTES = 256 * 1024;
const EVENTS_PER_BATCH = 10;
const PAYLOAD_CHARS = 60_000;

function bigEvent(i: number): EventBody {
  return {
    event_type: 'answer_submitted',
    source: 'load',
    session_id: `s${i % 3}`,
    user_id: null,
    payload: { i, blob: `${i}:`.padEnd(PAYLOAD_CHARS, 'x') },
  };
}

/** Publish `batches` batches over one connection, a few in flight at a time; `after` runs after every ack. */
async function publishBatches(
  t: Pick<TestServer, 'wsBase'>,
  first: number,
  batches: number,
  after: () => void | Promise<void> = () => undefined,
): Promise<number> {
  const publisher = await WsClient.open(`${t.wsBase}/ws/publish`);
  let bytes = 0;
  let acked = 0;
  const window = 4;
  try {
    for (let b = 0; b < batches; b++) {
      const text = JSON.stringify(
        Array.from({ length: EVENTS_PER_BATCH }, (_, i) => bigEvent(first + b * EVENTS_PER_BATCH + i)),
      );
      bytes += text.length;
      publisher.send(text);
      if (b - acked >= window) {
        expect(await publisher.next()).toMatchObject({ status: 'ok', count: EVENTS_PER_BATCH });
        acked++;
        await after();
      }
    }
    while (acked < batches) {
      expect(await publisher.next()).toMatchObject({ status: 'ok', count: EVENTS_PER_BATCH });
      acked++;
      await after();
    }
  } finally {
    await publisher.close();
  }
  return bytes;
}

/** Read records until one at or past `head` arrives (flattening batches, skipping control messages). */
async function readThrough(client: WsClient, head: number, into: WireRecord[]): Promise<void> {
  for (;;) {
    const message = await client.next<unknown>();
    const records = Array.isArray(message) ? (message as WireRecord[]) : isRecord(message) ? [message] : [];
    // Keep only what identifies a record; the payloads are large.
    for (const r of records) into.push({ ...r, payload: { i: r.payload.i } });
    if (records.length > 0 && records[records.length - 1]!.offset >= head) return;
  }
}

function expectContiguous(records: readonly WireRecord[], from: number, to: number): void {
  expect(records.length).toBe(to - from + 1);
  const offsets = records.map((r) => r.offset);
  expect(offsets[0]).toBe(from);
  expect(offsets[offsets.length - 1]).toBe(to);
  expect(offsets.every((o, i) => o === from + i)).toBe(true);
}

describe('slow consumers', () => {
  let t: TestServer | undefined;
  let child: InspectableChild | undefined;
  let childDir: string | undefined;
  const clients: WsClient[] = [];
  afterEach(async () => {
    await closeAll(clients.splice(0));
    await t?.stop();
    t = undefined;
    await child?.stop();
    child = undefined;
    if (childDir !== undefined) rmSync(childDir, { recursive: true, force: true });
    childDir = undefined;
  });

  // Hint: the server runs as a child process, so the rss figure (VmRSS from /proc, after a full GC in the child) is the
  // server's alone, without the test's own clients and their garbage in it.
  it('stop getting live pushes instead of buffering without bound, while others get everything, and catch up with no loss when they read again', async () => {
    childDir = mkdtempSync(join(tmpdir(), 'slow-consumer-'));
    const t = await startInspectableChild({
      SUBSCRIBER_BUFFER_BYTES: String(BUFFER_BYTES),
      DATABASE_PATH: join(childDir, 'events.db'),
    });
    child = t;
    const healthy = await subscribe(t.wsBase, {});
    clients.push(healthy.client);
    const healthyGot: WireRecord[] = [];
    const phaseBatches = 100;
    const perPhase = phaseBatches * EVENTS_PER_BATCH;
    const healthyDone = readThrough(healthy.client, 3 * perPhase, healthyGot);
    /** The server's rss after a full GC, once the healthy subscriber has everything so far. */
    const settledRss = async (head: number) => {
      await waitFor(() => healthyGot.length >= head, 'the healthy subscriber to catch up');
      return t.settledRss();
    };

    // Two phases without a stuck consumer set the baseline: SQLite's cache and V8's heap at their working size.
    await publishBatches(t, 0, phaseBatches);
    const warm1 = await settledRss(perPhase);
    await publishBatches(t, perPhase, phaseBatches);
    const baseline = Math.max(warm1, await settledRss(2 * perPhase));
    const warmHead = 2 * perPhase;

    // The same load again, now with a consumer that never reads.
    const stuck = await subscribe(t.wsBase, {});
    clients.push(stuck.client);
    stuck.client.pause();
    const stuckId = stuck.ack.subscriber_id as string;
    let bufferedPeak = 0;
    let sawLagging = false;
    const bytes = await publishBatches(t, warmHead, phaseBatches, async () => {
      const s = await t.inspect(stuckId);
      bufferedPeak = Math.max(bufferedPeak, s?.bufferedAmount ?? 0);
      sawLagging ||= s?.mode === 'lagging';
    });
    const total = perPhase;
    const withStuck = await settledRss(warmHead + total);
    await healthyDone;

    // The healthy subscriber got every record, in order.
    expectContiguous(healthyGot, 1, warmHead + total);
    // The stuck one went lagging, and the server's buffer for it stayed near its bound, not near what was published.
    expect(sawLagging).toBe(true);
    expect((await stats(t.base)).router.lagging_subscribers).toBe(1);
    const oneBatch = EVENTS_PER_BATCH * (PAYLOAD_CHARS + 300);
    expect(bufferedPeak).toBeLessThanOrEqual(BUFFER_BYTES + oneBatch);
    expect(bytes).toBeGreaterThan(50 * 1024 * 1024);
    // Hint: rss is noisy (±10 MB between identical phases here), so the buffer figure above is the sharp check; this
    // one only says the process did not grow in proportion to what the stuck consumer was sent.
    expect(withStuck - baseline).toBeLessThan(bytes / 3);

    // Reading again, it catches up from the log with nothing lost or repeated.
    const stuckGot: WireRecord[] = [];
    stuck.client.resume();
    await readThrough(stuck.client, warmHead + total, stuckGot);
    expectContiguous(stuckGot, warmHead + 1, warmHead + total);
    await waitFor(
      async () => (await stats(t.base)).router.lagging_subscribers === 0,
      'the subscriber to leave lagging',
    );
    // And it is live again.
    const more = await publishBatches(t, 10_000, 1);
    expect(more).toBeGreaterThan(0);
    await readThrough(stuck.client, warmHead + total + EVENTS_PER_BATCH, stuckGot);
    expectContiguous(stuckGot, warmHead + 1, warmHead + total + EVENTS_PER_BATCH);
  });

  it('closes a consumer stuck past SLOW_CONSUMER_TIMEOUT_MS with 4008 and the offset to resume from, which yields the rest', async () => {
    // Hint: time is manual, so the sweep runs when the test moves the clock; deferred work still runs for real.
    const scheduler = new ManualScheduler(1_700_000_000_000, true);
    t = await startTestServer(
      { SUBSCRIBER_BUFFER_BYTES: String(BUFFER_BYTES), SLOW_CONSUMER_TIMEOUT_MS: '1500' },
      { scheduler },
    );
    const stuck = await subscribe(t.wsBase, {});
    const healthy = await subscribe(t.wsBase, {});
    clients.push(stuck.client, healthy.client);
    stuck.client.pause();
    const healthyGot: WireRecord[] = [];
    const batches = 60;
    const total = batches * EVENTS_PER_BATCH;
    const healthyDone = readThrough(healthy.client, total, healthyGot);
    await publishBatches(t, 0, batches);
    await healthyDone;
    expectContiguous(healthyGot, 1, total);

    // Not yet past the timeout: the sweep leaves it open.
    expect(t.server.pipeline.inspectSubscriber(stuck.ack.subscriber_id as string)?.mode).toBe('lagging');
    scheduler.advance(1_000);
    expect((await stats(t.base)).router.active_subscribers).toBe(2);
    // The sweep closes it once it has been stuck longer than the timeout.
    scheduler.advance(1_000);
    expect((await stats(t.base)).router.active_subscribers).toBe(1);
    expect(healthy.client.isClosed).toBe(false);

    // What was already on the wire still arrives, then the close frame.
    const before: WireRecord[] = [];
    stuck.client.resume();
    for (;;) {
      let message: Message;
      try {
        message = await stuck.client.next();
      } catch {
        break; // closed
      }
      if (isRecord(message)) before.push({ ...message, payload: {} });
    }
    const closed = await stuck.client.closed;
    expect(closed.code).toBe(4008);
    const resumeFrom = Number(/from_offset=(\d+)/.exec(closed.reason)?.[1]);
    expect(resumeFrom).toBeGreaterThan(1);
    expect(resumeFrom).toBeLessThanOrEqual(total);
    // Everything before the resume offset was delivered, in order, and nothing after it.
    expectContiguous(before, 1, resumeFrom - 1);

    const again = await subscribe(t.wsBase, { from_offset: resumeFrom });
    clients.push(again.client);
    const rest: WireRecord[] = [];
    await readThrough(again.client, total, rest);
    expectContiguous(rest, resumeFrom, total);
    expect([...before, ...rest].map((r) => r.id)).toEqual((await allEvents(t.base)).map((r) => r.id));
  });
});
