import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ManualScheduler } from '../src/actors/manualScheduler.js';
import { allEvents, type EventBody, eventBody, getJson, postEvents, stats } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, isRecord, type Message, subscribe, type WireRecord, WsClient } from './support/wsClient.js';

/** Publish over REST and return the stored records (an array body is one all-or-nothing batch). */
async function publish(base: string, events: EventBody[]): Promise<WireRecord[]> {
  const res = await postEvents(base, events);
  expect(res.status).toBe(201);
  return res.body as WireRecord[];
}

/** How /ws/subscribe ends a connection whose subscribe message it refused. */
const REFUSED = { code: 1008, reason: 'subscribe message refused; nothing was subscribed' };

describe('/ws/subscribe', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  const sub = async (request: object, path?: string) => {
    const result = await subscribe(t.wsBase, request, path);
    clients.push(result.client);
    return result;
  };

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await closeAll(clients.splice(0));
  });
  afterAll(async () => {
    await t.stop();
  });

  it('acks the subscribe message with the subscriber id, filters, head offset and epoch', async () => {
    await publish(t.base, [eventBody(), eventBody()]);
    const head = (await stats(t.base)).head_offset;
    const epoch = (await getJson<{ epoch: string }>(`${t.base}/health`)).body.epoch;
    for (const path of ['/ws/subscribe', '/api/v1/ws/subscribe']) {
      const { ack } = await sub({ event_types: ['quiz_started'], user_id: 'u9' }, path);
      expect(ack).toEqual({
        status: 'subscribed',
        subscriber_id: expect.stringMatching(/^sub_/),
        filters: { event_types: ['quiz_started'], session_id: null, user_id: 'u9', source: null },
        head_offset: head,
        epoch,
      });
    }
    const { ack } = await sub({});
    expect(ack.filters).toEqual({ event_types: null, session_id: null, user_id: null, source: null });
  });

  it('pushes every record committed after the ack, one text message each, in offset order', async () => {
    const { client } = await sub({});
    const first = await publish(
      t.base,
      [0, 1, 2].map((i) => eventBody({ payload: { i } })),
    );
    const second = await publish(t.base, [
      eventBody({ event_type: 'timer_tick', session_id: null, user_id: null, payload: {} }),
    ]);
    const got = await client.take<WireRecord>(4);
    expect(got).toEqual([...first, ...second]);
    expect(await allEvents(t.base, '', first[0]!.offset - 1)).toEqual(got);
  });

  it('filters by event type, session, user and source', async () => {
    const filters = [
      { event_types: ['answer_submitted', 'quiz_started'] },
      { session_id: 'fs-1' },
      { user_id: 'fu-1' },
      { source: 'src_a' },
      { event_types: ['answer_submitted'], session_id: 'fs-1', user_id: 'fu-1', source: 'src_a' },
    ];
    const subs = await Promise.all(filters.map((f) => sub(f)));
    // Every combination of the fields, so each filter (even the combined one) matches several events.
    const events: EventBody[] = [];
    for (const event_type of ['answer_submitted', 'quiz_started', 'timer_tick']) {
      for (const source of ['src_a', 'src_b']) {
        for (const session_id of ['fs-0', 'fs-1', null]) {
          for (const user_id of ['fu-0', 'fu-1', null])
            events.push({ event_type, source, session_id, user_id, payload: { n: events.length } });
        }
      }
    }
    // The last event matches every filter, so receiving it means everything before it has arrived.
    events.push({
      event_type: 'answer_submitted',
      source: 'src_a',
      session_id: 'fs-1',
      user_id: 'fu-1',
      payload: { last: true },
    });
    const records = await publish(t.base, events);
    const last = records[records.length - 1]!;
    for (const [i, { client }] of subs.entries()) {
      const filter = filters[i]!;
      const expected = records.filter(
        (r) =>
          (filter.event_types === undefined || filter.event_types.includes(r.event_type)) &&
          (filter.session_id === undefined || r.session_id === filter.session_id) &&
          (filter.user_id === undefined || r.user_id === filter.user_id) &&
          (filter.source === undefined || r.source === filter.source),
      );
      expect(expected.length).toBeGreaterThan(1);
      expect(await client.until<WireRecord>((m) => m.id === last.id)).toEqual(expected);
    }
  });

  it('reads an empty session, user or source as no filter (no stored event has one), on subscribe and on update', async () => {
    const none = { event_types: null, session_id: null, user_id: null, source: null };
    const { client, ack } = await sub({ session_id: '', user_id: '', source: '', event_types: [] });
    expect(ack.filters).toEqual(none);
    const first = await publish(t.base, [eventBody({ session_id: 'e-1' }), eventBody({ session_id: null })]);
    expect(await client.take<WireRecord>(2)).toEqual(first);
    client.send({ type: 'update_filters', filters: { session_id: 'e-2' } });
    expect(await client.next()).toMatchObject({ filters: { session_id: 'e-2' } });
    client.send({ type: 'update_filters', filters: { session_id: '', user_id: '' } });
    expect(await client.next()).toEqual({ status: 'filters_updated', filters: none });
    const second = await publish(t.base, [eventBody({ session_id: 'e-3', user_id: 'u-3' })]);
    expect(await client.next()).toEqual(second[0]);
  });

  it('works with the legacy README snippet unchanged', async () => {
    // The old service's browser snippet, run against our server through ws's WHATWG-style API.
    const ws = new WebSocket(`${t.wsBase}/ws/subscribe`);
    const received: unknown[] = [];
    const opened = new Promise<void>((resolve) => {
      ws.onopen = () => {
        ws.send(JSON.stringify({ event_types: ['quiz_started', 'answer_submitted'], session_id: 'session-123' }));
        resolve();
      };
    });
    const gotEvent = new Promise<void>((resolve) => {
      ws.onmessage = (event) => {
        received.push(JSON.parse(event.data as string));
        if (received.length === 2) resolve();
      };
    });
    await opened;
    // Wait for the ack before publishing, so the event is certainly after the subscription.
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await publish(t.base, [
      eventBody({ event_type: 'quiz_started', session_id: 'other-session' }),
      eventBody({ event_type: 'timer_tick', session_id: 'session-123' }),
    ]);
    const curl = {
      event_type: 'quiz_started',
      source: 'quiz_engine',
      session_id: 'session-123',
      user_id: 'student-456',
      payload: { quiz_id: 'demo-quiz' },
    };
    const res = await postEvents(t.base, curl);
    expect(res.status).toBe(201);
    await gotEvent;
    ws.close();
    expect(received[0]).toMatchObject({
      status: 'subscribed',
      filters: { event_types: ['quiz_started', 'answer_submitted'], session_id: 'session-123' },
    });
    expect(received[1]).toEqual({
      ...curl,
      id: expect.any(String),
      offset: expect.any(Number),
      timestamp: expect.any(String),
    });
    expect(received[1]).toEqual(res.body);
  });

  it('replays every matching record from from_offset, then continues live', async () => {
    const before = (await stats(t.base)).head_offset;
    const old = await publish(
      t.base,
      Array.from({ length: 30 }, (_, i) => eventBody({ session_id: `r-${i % 3}`, payload: { i } })),
    );
    const from = old[10]!.offset;
    const { client, ack } = await sub({ session_id: 'r-1', from_offset: from });
    expect(ack).toMatchObject({ from_offset: from, head_offset: before + 30 });
    expect(ack).not.toHaveProperty('retention');
    const replayExpected = old.filter((r) => r.offset >= from && r.session_id === 'r-1');
    expect(await client.take<WireRecord>(replayExpected.length)).toEqual(replayExpected);
    const live = await publish(t.base, [
      eventBody({ session_id: 'r-1', payload: { live: 1 } }),
      eventBody({ session_id: 'r-2' }),
      eventBody({ session_id: 'r-1', payload: { live: 2 } }),
    ]);
    expect(await client.take<WireRecord>(2)).toEqual([live[0], live[2]]);

    // from_offset 0 means "from the start of the log".
    const { client: all } = await sub({ from_offset: 0, session_id: 'r-2' });
    const everything = (await allEvents(t.base)).filter((r) => r.session_id === 'r-2');
    expect(await all.take<WireRecord>(everything.length)).toEqual(everything);
  });

  it('starts a from_offset beyond the head at the head, and says so in the ack', async () => {
    const head = (await stats(t.base)).head_offset;
    const { client, ack } = await sub({ from_offset: head + 3 });
    expect(ack).toMatchObject({
      head_offset: head,
      from_offset: head + 1,
      beyond_head: { requested_from_offset: head + 3, message: expect.stringContaining('beyond the head') },
    });
    const records = await publish(
      t.base,
      [1, 2, 3, 4].map((i) => eventBody({ payload: { i } })),
    );
    expect(records.map((r) => r.offset)).toEqual([head + 1, head + 2, head + 3, head + 4]);
    expect(await client.take<WireRecord>(4)).toEqual(records);
  });

  it('sends arrays with batch: true, one per commit live and per page in replay', async () => {
    const head = (await stats(t.base)).head_offset;
    const old = await publish(t.base, [eventBody({ payload: { b: 1 } }), eventBody({ payload: { b: 2 } })]);
    const { client } = await sub({ batch: true, from_offset: head + 1 });
    const replayed = await client.next<unknown>();
    expect(replayed).toEqual(old);
    const live = await publish(t.base, [
      eventBody({ payload: { b: 3 } }),
      eventBody({ payload: { b: 4 } }),
      eventBody({ payload: { b: 5 } }),
    ]);
    expect(await client.next<unknown>()).toEqual(live);
  });

  it('answers ping with pong, before and after subscribing', async () => {
    const client = await WsClient.open(`${t.wsBase}/ws/subscribe`);
    clients.push(client);
    client.send({ type: 'ping' });
    expect(await client.next()).toEqual({ type: 'pong' });
    client.send({});
    expect(await client.next()).toMatchObject({ status: 'subscribed' });
    client.send({ type: 'ping' });
    expect(await client.next()).toEqual({ type: 'pong' });
  });

  it('applies update_filters to later deliveries', async () => {
    const { client } = await sub({ event_types: ['quiz_started'] });
    const a = await publish(t.base, [
      eventBody({ event_type: 'quiz_started' }),
      eventBody({ event_type: 'answer_submitted' }),
    ]);
    expect(await client.next()).toEqual(a[0]);
    client.send({ type: 'update_filters', filters: { event_types: ['answer_submitted'], user_id: 'uf-1' } });
    expect(await client.next()).toEqual({
      status: 'filters_updated',
      filters: { event_types: ['answer_submitted'], session_id: null, user_id: 'uf-1', source: null },
    });
    const b = await publish(t.base, [
      eventBody({ event_type: 'quiz_started', user_id: 'uf-1' }),
      eventBody({ event_type: 'answer_submitted', user_id: 'other' }),
      eventBody({ event_type: 'answer_submitted', user_id: 'uf-1' }),
    ]);
    // Offset order means anything the old filter still let through would arrive first.
    expect(await client.next()).toEqual(b[2]);
    client.send({ type: 'update_filters', filters: { event_types: ['not_a_type'] } });
    expect(await client.next()).toEqual({ status: 'error', message: expect.stringContaining('filters.event_types') });
    client.send({ type: 'update_filters', filters: [] });
    expect(await client.next()).toEqual({ status: 'error', message: expect.stringMatching(/^filters: /) });
    // The subscribe message's shape (filters at the top level) would otherwise have meant "no filter": refused.
    client.send({ type: 'update_filters', event_types: ['quiz_started'] });
    expect(await client.next()).toEqual({
      status: 'error',
      message: expect.stringMatching(/^event_types: in update_filters, filters go inside "filters"/),
    });
    // A rejected update keeps the previous filter.
    const c = await publish(t.base, [
      eventBody({ event_type: 'quiz_started', user_id: 'uf-1' }),
      eventBody({ event_type: 'answer_submitted', user_id: 'uf-1' }),
    ]);
    expect(await client.next()).toEqual(c[1]);
    client.send({ type: 'update_filters', filters: {} });
    expect(await client.next()).toMatchObject({ status: 'filters_updated' });
    const d = await publish(t.base, [eventBody({ event_type: 'timer_tick', user_id: null })]);
    expect(await client.next()).toEqual(d[0]);
  });

  it('keeps a ws client that sends update_filters in a burst connected, with every update answered', async () => {
    // Hint: the server pinged the socket at every topic change; ws terminates a socket past 60 unanswered pings
    // (maxPendingAutoPongs), and a probe's 999 update_filters in a row ended in 1006 after 101-466 replies.
    const { client } = await sub({ event_types: ['quiz_started'] });
    const updates = 300;
    for (let i = 1; i <= updates; i++) client.send({ type: 'update_filters', filters: { session_id: `burst-${i}` } });
    const replies = await client.take(updates);
    expect(replies.filter((reply) => reply.status === 'filters_updated')).toHaveLength(updates);
    expect(replies.at(-1)).toMatchObject({ filters: { session_id: `burst-${updates}` } });
    const [record] = await publish(t.base, [eventBody({ session_id: `burst-${updates}` })]);
    expect(await client.next()).toEqual(record);
    expect(client.isClosed).toBe(false);
  });

  it.each([
    ['event_types', { event_types: 'quiz_started' }],
    ['event_types', { event_types: ['quiz_started', 'quiz_exploded'] }],
    ['session_id', { session_id: 42 }],
    ['user_id', { user_id: ['u'] }],
    ['source', { source: 'x'.repeat(201) }],
    ['from_offset', { from_offset: -1 }],
    ['from_offset', { from_offset: 'latest' }],
    ['from_offset', { from_offset: 1.5 }],
    ['batch', { batch: 'yes' }],
    ['checkpoints', { checkpoints: 1 }],
  ])(
    'rejects an invalid subscribe message naming %s, then closes 1008, as the old service ended it',
    async (field, request) => {
      // Before: the socket stayed open waiting for another subscribe message, and closed 4000 after 10 s.
      const client = await WsClient.open(`${t.wsBase}/ws/subscribe`);
      clients.push(client);
      client.send(request);
      const answer = await client.next();
      expect(answer).toEqual({ status: 'error', message: expect.stringContaining(field) });
      expect(await client.closed).toEqual(REFUSED);
    },
  );

  it('rejects a subscribe message that is not JSON, not an object, too large or an update_filters, then closes 1008', async () => {
    const tooLarge = `"${'x'.repeat(2 * 1024 * 1024)}"`;
    for (const bad of ['not json', '[]', '"quiz_started"', 'null', { type: 'update_filters', filters: {} }, tooLarge]) {
      const client = await WsClient.open(`${t.wsBase}/ws/subscribe`);
      clients.push(client);
      client.send(bad);
      const answer = await client.next<Message>();
      expect(answer.status).toBe('error');
      expect(answer.message).toMatch(/JSON|object|update_filters|too large/);
      expect(await client.closed).toEqual(REFUSED);
    }
  });

  it('answers a ping before the subscription and keeps waiting for it', async () => {
    const client = await WsClient.open(`${t.wsBase}/ws/subscribe`);
    clients.push(client);
    client.send({ type: 'ping' });
    expect(await client.next()).toEqual({ type: 'pong' });
    client.send({ event_types: ['quiz_started'] });
    expect(await client.next()).toMatchObject({ status: 'subscribed' });
    expect(client.isClosed).toBe(false);
  });
});

describe('/ws/subscribe from an offset older than retention', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  let now = Date.UTC(2026, 0, 31, 12, 0, 0);
  beforeAll(async () => {
    t = await startTestServer({}, { now: () => now });
  });
  afterAll(async () => {
    await closeAll(clients);
    await t.stop();
  });

  it('says so in the ack, then replays from the first retained offset', async () => {
    const deleted = await publish(
      t.base,
      Array.from({ length: 5 }, (_, i) => eventBody({ payload: { i } })),
    );
    now += 60_000;
    const kept = await publish(
      t.base,
      Array.from({ length: 4 }, (_, i) => eventBody({ payload: { i: i + 5 } })),
    );
    const res = await fetch(`${t.base}/events?before=${encodeURIComponent(kept[0]!.timestamp)}`, { method: 'DELETE' });
    expect(await res.json()).toEqual({ deleted: deleted.length });

    const old = await subscribe(t.wsBase, { from_offset: 2 });
    clients.push(old.client);
    expect(old.ack).toMatchObject({
      status: 'subscribed',
      from_offset: 2,
      head_offset: kept[3]!.offset,
      retention: { truncated: true, first_available_offset: kept[0]!.offset, message: expect.any(String) },
    });
    expect(await old.client.take<WireRecord>(4)).toEqual(kept);

    const recent = await subscribe(t.wsBase, { from_offset: kept[1]!.offset });
    clients.push(recent.client);
    expect(recent.ack).not.toHaveProperty('retention');
    expect(await recent.client.take<WireRecord>(3)).toEqual(kept.slice(1));

    // Both continue live after the replay.
    const live = await publish(t.base, [eventBody({ payload: { live: true } })]);
    expect(await old.client.next()).toEqual(live[0]);
    expect(await recent.client.next()).toEqual(live[0]);
  });
});

describe('/ws/subscribe checkpoints and keepalives', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  // Hint: the sweep runs when the test moves this clock (one sweep per second of it); nothing waits for a timer.
  const scheduler = new ManualScheduler(1_700_000_000_000, true);
  beforeAll(async () => {
    t = await startTestServer({ CHECKPOINT_MS: '200', KEEPALIVE_MS: '300' }, { scheduler });
  });
  afterAll(async () => {
    await closeAll(clients);
    await t.stop();
  });

  it('sends {type:"checkpoint", offset} with checkpoints: true, advancing to the head even when nothing matches', async () => {
    const { client } = await subscribe(t.wsBase, { checkpoints: true, session_id: 'matches-nothing' });
    clients.push(client);
    const records = await publish(t.base, [eventBody(), eventBody(), eventBody()]);
    const head = records[2]!.offset;
    scheduler.advance(1_000);
    const seen = await client.until((m) => m.type === 'checkpoint' && m.offset === head);
    for (const m of seen) {
      expect(isRecord(m)).toBe(false);
      if (m.type === 'checkpoint') expect(m.offset as number).toBeLessThanOrEqual(head);
    }
  });

  it('sends no checkpoints without checkpoints: true, but keepalives when idle', async () => {
    const { client } = await subscribe(t.wsBase, {});
    clients.push(client);
    scheduler.advance(1_000);
    const seen = await client.until((m) => m.type === 'keepalive');
    expect(seen).toEqual([{ type: 'keepalive' }]);
    // Records still arrive between keepalives.
    scheduler.advance(1_000);
    const records = await publish(t.base, [eventBody({ payload: { k: 1 } })]);
    const after = await client.until(isRecord);
    expect(after[after.length - 1]).toEqual(records[0]);
    expect(after.slice(0, -1).every((m) => (m as Message).type === 'keepalive')).toBe(true);
  });
});
