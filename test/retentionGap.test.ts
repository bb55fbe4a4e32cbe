import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type SubscriptionNotice, subscribe as sdkSubscribe } from '../src/client/index.js';
import { retentionGap } from '../src/protocol/serverMessages.js';
import { type EventBody, getJson, postEvents, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, isRecord, type Message, subscribe, type WireRecord, type WsClient } from './support/wsClient.js';

const BUFFER_BYTES = 64 * 1024;
/** 16 MB in all: far more than the kernel's loopback buffers hold, so a paused reader's replay blocks. */
const OLD_EVENTS = 2_000;

const event = (i: number): EventBody => ({
  event_type: 'timer_tick',
  source: 'retention',
  session_id: 's1',
  payload: { i, blob: 'x'.repeat(8_000) },
});

async function publish(t: TestServer, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 500) {
    const batch = Array.from({ length: Math.min(500, from + count - i) }, (_, k) => event(i + k));
    expect((await postEvents(t.base, batch)).status).toBe(201);
  }
}

/** Wait until the subscriber's replay is blocked on its full socket, then delete everything and publish 10 more. */
async function deleteUnderIt(t: TestServer, subscriberId: string): Promise<void> {
  await waitFor(
    () => (t.server.pipeline.inspectSubscriber(subscriberId)?.bufferedAmount ?? 0) > BUFFER_BYTES,
    'the replay to block on the paused reader',
  );
  const deleted = await fetch(`${t.base}/events`, { method: 'DELETE' });
  expect(await deleted.json()).toEqual({ deleted: OLD_EVENTS });
  await publish(t, OLD_EVENTS, 10);
}

const NEW_OFFSETS = Array.from({ length: 10 }, (_, i) => OLD_EVENTS + 1 + i);

describe('retention under a subscriber that has not been sent everything', () => {
  let t: TestServer | undefined;
  const clients: WsClient[] = [];
  afterEach(async () => {
    await closeAll(clients.splice(0));
    await t?.stop();
    t = undefined;
  });

  it('says which offsets were deleted before it reached them, once, then goes on at the first remaining one', async () => {
    t = await startTestServer({ SUBSCRIBER_BUFFER_BYTES: String(BUFFER_BYTES) });
    await publish(t, 0, OLD_EVENTS);
    const { client, ack } = await subscribe(t.wsBase, { from_offset: 1 });
    clients.push(client);
    client.pause();
    await deleteUnderIt(t, ack.subscriber_id as string);
    client.resume();

    const before: number[] = [];
    const after: number[] = [];
    let gap: Message | null = null;
    while (after.at(-1) !== NEW_OFFSETS.at(-1)) {
      const message = await client.next<WireRecord | Message>();
      if (isRecord(message)) (gap === null ? before : after).push(message.offset);
      else if (message.type === 'retention' && gap === null) gap = message;
      else throw new Error(`unexpected ${JSON.stringify(message)}`);
    }
    // Before the notice, what had been sent, gap-free; the notice names exactly the rest of the deleted offsets.
    expect(before).toEqual(Array.from({ length: before.length }, (_, i) => i + 1));
    expect(before.length).toBeLessThan(OLD_EVENTS);
    expect(gap).toEqual(retentionGap(before.length + 1, OLD_EVENTS + 1));
    expect(after).toEqual(NEW_OFFSETS);
    expect(t.server.pipeline.inspectSubscriber(ack.subscriber_id as string)?.mode).toBe('live');
  });

  it('names the first stored offset on GET /events when retention deleted part of the range asked for', async () => {
    t = await startTestServer();
    const small = (i: number) => ({ ...event(i), payload: { i } });
    expect(
      (
        await postEvents(
          t.base,
          Array.from({ length: 20 }, (_, i) => small(i)),
        )
      ).status,
    ).toBe(201);
    const page = async (query: string) => {
      const res = await fetch(`${t!.base}/events?order=asc&limit=3${query}`);
      const records = (await res.json()) as WireRecord[];
      return { first: res.headers.get('x-first-available-offset'), offsets: records.map((r) => r.offset) };
    };
    expect(await page('&after_offset=3')).toEqual({ first: null, offsets: [4, 5, 6] });
    await fetch(`${t.base}/events`, { method: 'DELETE' });
    expect(
      (
        await postEvents(
          t.base,
          Array.from({ length: 5 }, (_, i) => small(20 + i)),
        )
      ).status,
    ).toBe(201);
    // A pager at offset 3 would otherwise go on at 21 with no sign that 4-20 were ever there.
    expect(await page('&after_offset=3')).toEqual({ first: '21', offsets: [21, 22, 23] });
    expect(await page('')).toEqual({ first: '21', offsets: [21, 22, 23] });
    expect(await page('&after_offset=20')).toEqual({ first: null, offsets: [21, 22, 23] });
    expect(await page('&after_offset=22')).toEqual({ first: null, offsets: [23, 24, 25] });
  });

  it('reaches an SDK subscription as a retention notice, and it carries on with the records after the gap', async () => {
    t = await startTestServer({ SUBSCRIBER_BUFFER_BYTES: String(BUFFER_BYTES) });
    await publish(t, 0, OLD_EVENTS);
    // Hint: the SDK's socket stops reading as soon as it opens, the way a reader that fell behind does.
    const sockets: WebSocket[] = [];
    class PausedWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
        this.once('open', () => setImmediate(() => this.pause()));
      }
    }
    const notices: SubscriptionNotice[] = [];
    const got: number[] = [];
    const sub = sdkSubscribe({
      url: t.base,
      WebSocket: PausedWebSocket,
      from: 1,
      onNotice: (notice) => notices.push(notice),
      onEvent: (record) => {
        got.push(record.offset);
      },
    });
    try {
      const running = t;
      const listed = async () =>
        (await getJson<{ subscribers: { id: string }[] }>(`${running.base}/subscribers`)).body.subscribers[0]?.id;
      const id = await waitFor(listed, 'the SDK to subscribe');
      await deleteUnderIt(running, id);
      sockets[0]!.resume();
      await waitFor(() => got.at(-1) === NEW_OFFSETS.at(-1), 'the records after the gap');
      const sent = got.filter((offset) => offset <= OLD_EVENTS);
      expect(got).toEqual([...Array.from({ length: sent.length }, (_, i) => i + 1), ...NEW_OFFSETS]);
      expect(notices.filter((n) => n.kind === 'retention')).toEqual([
        { kind: 'retention', message: retentionGap(sent.length + 1, OLD_EVENTS + 1).message },
      ]);
    } finally {
      await sub.close();
    }
  });
});
