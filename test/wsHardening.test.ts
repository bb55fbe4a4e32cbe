import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../src/actors/logger.js';
import { ManualScheduler } from '../src/actors/manualScheduler.js';
import { uwsMaxPayload } from '../src/http/wsApi.js';
import { INVALID_MESSAGES } from '../src/http/wsPublish.js';
import { SUBSCRIBER_MESSAGES, SUBSCRIBER_MESSAGES_WINDOW_MS } from '../src/http/wsSubscribe.js';
import { eventBody, getJson, postEvents, stats, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, type Message, subscribe, upgradeStatus, WsClient } from './support/wsClient.js';

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** How /ws/subscribe ends a connection whose subscribe message it refused. */
const REFUSED = { code: 1008, reason: 'subscribe message refused; nothing was subscribed' };

describe('WebSocket input that used to kill the server or was stored wrong', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  const open = async (path: string) => {
    const client = await WsClient.open(t.wsBase + path);
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await closeAll(clients);
    await t.stop();
  });

  it('answers a publish nested 10,000 deep with an error naming the field; the connection and the server stay up', async () => {
    const p = await open('/ws/publish');
    const head = (await stats(t.base)).head_offset;
    const body = JSON.stringify(eventBody()).replace('"payload":{"n":1}', `"payload":{"a":${deep(10_000)}}`);
    p.send(body);
    const error = await p.next();
    expect(error.status).toBe('error');
    expect(error.message).toMatch(/^payload\.a(\[0\]){30}: nests deeper than 32 levels \(MAX_JSON_DEPTH\)$/);
    p.send(`{"ref":${deep(10_000)},"events":[${JSON.stringify(eventBody())}]}`);
    // The envelope and its events add 2 levels to the event's 32: past 34 the message is refused as a whole.
    expect(await p.next()).toEqual({
      status: 'error',
      message: expect.stringMatching(/^ref(\[0\]){33}: nests deeper than 34 levels, the most a message may/),
    });
    // An array of arrays: its item is no event, as over REST (before, named `[0][0]…` for its depth alone).
    p.send(deep(10_000));
    expect(await p.next()).toEqual({ status: 'error', message: '[0]: event must be a JSON object' });
    // A string or number ref beside the deep part is echoed, so the refusal can be told apart from its neighbours.
    p.send(`{"ref":"r9","events":[${body}]}`);
    expect(await p.next()).toEqual({
      status: 'error',
      message: expect.stringMatching(/^\[0\]\.payload\.a(\[0\]){30}: nests deeper than 32 levels/),
      ref: 'r9',
    });
    expect((await stats(t.base)).head_offset).toBe(head);
    p.send(eventBody());
    expect(await p.next()).toMatchObject({ status: 'ok', offset: head + 1 });
  });

  it('refuses a number JSON cannot carry (1e400) in a payload or a ref, naming it, without echoing it as null', async () => {
    const p = await open('/ws/publish');
    const head = (await stats(t.base)).head_offset;
    const notJson = expect.stringMatching(
      /^payload\.a: is a number beyond ±1\.7976931348623157e308 .*\(it would become null\)$/,
    );
    p.send('{"event_type":"quiz_started","source":"s","payload":{"a":1e400},"ref":7}');
    expect(await p.next()).toEqual({ status: 'error', message: notJson, ref: 7 });
    expect((await stats(t.base)).head_offset).toBe(head);
    p.send('{"ref":-1e400,"events":[{"event_type":"quiz_started","source":"s"}]}');
    p.send('{"event_type":"quiz_started","source":"s","ref":[1e999]}');
    expect(await p.next()).toEqual({ status: 'error', message: expect.stringMatching(/^ref: is a number beyond/) });
    expect(await p.next()).toEqual({
      status: 'error',
      message: expect.stringMatching(/^ref\[0\]: is a number beyond/),
    });
    expect((await stats(t.base)).head_offset).toBe(head);
  });

  it('answers a subscribe message nested 10,000 deep with an error and closes (1008), then serves a good one', async () => {
    const s = await open('/ws/subscribe');
    s.send(`{"event_types":${deep(10_000)}}`);
    expect(await s.next()).toEqual({
      status: 'error',
      message: expect.stringMatching(/^event_types(\[0\])+: nested deeper than 32/),
    });
    expect(await s.closed).toEqual(REFUSED);
    const again = await open('/ws/subscribe');
    again.send({ session_id: 'deep-ok' });
    expect(await again.next()).toMatchObject({ status: 'subscribed' });
  });

  it('reads binary frames as UTF-8 and refuses broken UTF-8 instead of storing U+FFFD', async () => {
    const p = await open('/ws/publish');
    const head = (await stats(t.base)).head_offset;
    p.ws.send(Buffer.from(JSON.stringify(eventBody({ payload: { text: 'héllo ✓' } }))), { binary: true });
    const ack = await p.next();
    expect(ack).toMatchObject({ status: 'ok', offset: head + 1 });
    const stored = await getJson<{ payload: unknown }>(`${t.base}/events/${ack.event_id as string}`);
    expect(stored.body.payload).toEqual({ text: 'héllo ✓' });
    const broken = Buffer.concat([
      Buffer.from('{"event_type":"answer_submitted","source":"q","session_id":"a'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('b"}'),
    ]);
    p.ws.send(broken, { binary: true });
    expect(await p.next()).toEqual({ status: 'error', message: 'message is not valid UTF-8' });
    expect((await stats(t.base)).head_offset).toBe(head + 1);
    const s = await open('/ws/subscribe');
    s.ws.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: true });
    expect(await s.next()).toEqual({ status: 'error', message: 'message is not valid UTF-8' });
    // As the subscribe message, it is refused: the connection ends (see wsSubscribe.test.ts).
    expect(await s.closed).toEqual(REFUSED);
  });

  it('says "Invalid JSON" on /ws/publish and for the subscribe message; after subscribing it ignores it silently', async () => {
    const p = await open('/ws/publish');
    p.send('{"event_type": nope');
    expect(await p.next()).toEqual({ status: 'error', message: expect.stringContaining('Invalid JSON') });
    const refused = await open('/ws/subscribe');
    refused.send('{not json');
    expect(await refused.next()).toEqual({ status: 'error', message: expect.stringContaining('Invalid JSON') });
    expect(await refused.closed).toEqual(REFUSED);
    const s = await open('/ws/subscribe');
    s.send({ session_id: 'ij' });
    expect(await s.next()).toMatchObject({ status: 'subscribed' });
    s.send('{still not json');
    s.send({ type: 'ping' });
    // The ping's pong is the very next message: the invalid JSON got no answer.
    expect(await s.next()).toEqual({ type: 'pong' });
  });

  it('answers a message up to uWS\'s cap with "too large" and keeps the connection open; past the cap uWS closes it (1006)', async () => {
    const cap = uwsMaxPayload(t.config);
    // Unfinished messages of every connection one address may open stay within its body budget (64 MiB each held 1.2 GB).
    expect(cap * t.config.maxWsConnectionsPerIp).toBeLessThanOrEqual(t.config.maxBodyBufferBytesPerIp);
    expect(cap).toBeGreaterThan(3 * t.config.maxWsMessageBytes);
    const p = await open('/ws/publish');
    // Hint: trailing spaces keep it JSON; its size, not its content, is refused.
    const atCap = JSON.stringify(eventBody()).padEnd(cap, ' ');
    p.send(atCap);
    expect(await p.next()).toEqual({ status: 'error', message: expect.stringContaining('too large') });
    p.send(eventBody());
    expect(await p.next()).toMatchObject({ status: 'ok' });
    p.send(`${atCap} `);
    expect(await p.closed).toEqual({ code: 1006, reason: '' });
    // The same for a message in unfinished fragments: uWS closes once they pass the cap, not when the message ends.
    const f = await open('/ws/publish');
    const piece = ' '.repeat(Math.ceil(cap / 4));
    f.ws.send(`[${piece}`, { fin: false });
    for (let i = 0; i < 4; i++) f.ws.send(piece, { fin: false });
    expect(await f.closed).toEqual({ code: 1006, reason: '' });
    const after = await open('/ws/publish');
    after.send(eventBody());
    expect(await after.next()).toMatchObject({ status: 'ok' });
  });

  it('answers a subscribe and an update_filters listing 100,000 unknown event types with one short error', async () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `t${i}`);
    const s = await open('/ws/subscribe');
    s.send({ type: 'subscribe', event_types: names });
    // Every unknown name used to get its own issue: a 0.9 MB request, a 30 MB reply.
    const refused = await s.next();
    expect(refused.message).toMatch(/^event_types\[0\]: unknown event type "t0"; allowed: quiz_started, [a-z_, ]+$/);
    const { client, ack } = await subscribe(t.wsBase, { event_types: ['quiz_started'] });
    clients.push(client);
    expect(ack.status).toBe('subscribed');
    client.send({ type: 'update_filters', filters: { event_types: ['quiz_started', ...names] } });
    const kept = await client.next();
    expect(kept.message).toMatch(
      /^filters\.event_types\[1\]: unknown event type "t0"; allowed: [a-z_, ]+; the filter was not changed$/,
    );
  });

  it('lists subscribe and update_filters keys that are not filters as ignored', async () => {
    const { client, ack } = await subscribe(t.wsBase, { sessionId: 'typo', session_id: 'ok', type: 'subscribe' });
    clients.push(client);
    expect(ack.ignored).toEqual(['sessionId']);
    client.send({ type: 'update_filters', filters: { userId: 'u', user_id: 'u' } });
    expect(await client.next()).toMatchObject({
      status: 'filters_updated',
      ignored: ['userId'],
      filters: { user_id: 'u', session_id: null },
    });
    const { client: clean, ack: cleanAck } = await subscribe(t.wsBase, { session_id: 'ok' });
    clients.push(clean);
    expect(cleanAck).not.toHaveProperty('ignored');
    const { client: typed, ack: typedAck } = await subscribe(t.wsBase, { type: 'bogus', session_id: 'ok' });
    clients.push(typed);
    expect(typedAck.ignored).toEqual(['type']);
  });

  it('lists at most 20 ignored keys, each cut to 64 characters, however many a message holds', async () => {
    // Before: a 1 MB update_filters of 95,000 unknown keys was answered with every one of them (844,009 bytes).
    const unknown = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, 1]));
    const long = 'x'.repeat(300);
    const { client, ack } = await subscribe(t.wsBase, { session_id: 'ok', [long]: 1, ...unknown });
    clients.push(client);
    const listed = [`${'x'.repeat(64)}…`, ...Array.from({ length: 19 }, (_, i) => `k${i}`), '… and 4981 more'];
    expect(ack.ignored).toEqual(listed);
    client.send({ type: 'update_filters', filters: { session_id: 'ok', [long]: 1, ...unknown } });
    const updated = await client.next();
    expect(updated).toMatchObject({ status: 'filters_updated', ignored: listed, filters: { session_id: 'ok' } });
    expect(JSON.stringify(updated).length).toBeLessThan(1_000);
  });

  it('refuses update_filters as the first message and subscribes nothing (1008); a second subscribe is refused too', async () => {
    const refused = await WsClient.open(`${t.wsBase}/ws/subscribe`);
    clients.push(refused);
    refused.send({ type: 'update_filters', filters: { session_id: 'ok' } });
    expect(await refused.next()).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/^type: "update_filters" changes a subscription, and this connection has none/),
    });
    expect(await refused.closed).toEqual(REFUSED);
    const client = await WsClient.open(`${t.wsBase}/ws/subscribe`);
    clients.push(client);
    client.send({ session_id: 'ok' });
    expect(await client.next()).toMatchObject({ status: 'subscribed', filters: { session_id: 'ok' } });
    client.send({ session_id: 'again' });
    expect(await client.next()).toMatchObject({
      status: 'error',
      message: expect.stringContaining('type: is required; expected "ping" or "update_filters" (this connection is'),
    });
  });

  it('refuses update_filters without filters (a typo) and keeps the narrow filter: no other session arrives', async () => {
    const { client } = await subscribe(t.wsBase, { session_id: 'narrow' });
    clients.push(client);
    const refused = { status: 'error', message: expect.stringMatching(/^filters: is required in update_filters/) };
    client.send({ type: 'update_filters', filter: { session_id: 'other' } });
    expect(await client.next()).toEqual(refused);
    client.send({ type: 'update_filters' });
    expect(await client.next()).toEqual(refused);
    // Hint: in one commit, in this order; were the filter widened, 'elsewhere' would arrive first.
    await postEvents(t.base, [eventBody({ session_id: 'elsewhere' }), eventBody({ session_id: 'narrow' })]);
    expect(await client.next()).toMatchObject({ session_id: 'narrow' });
  });

  it('does not claim retention deleted anything for from_offset 0 on a log that was never trimmed', async () => {
    expect((await stats(t.base)).head_offset).toBeGreaterThan(0);
    const { client, ack } = await subscribe(t.wsBase, { from_offset: 0, session_id: 'none' });
    clients.push(client);
    expect(ack).not.toHaveProperty('retention');
    const { client: one, ack: ackOne } = await subscribe(t.wsBase, { from_offset: 1, session_id: 'none' });
    clients.push(one);
    expect(ackOne).not.toHaveProperty('retention');
  });
});

describe('checkpoints after a from_offset beyond the head', () => {
  it('never go below the offset the subscription starts at, and never go backwards', { timeout: 30_000 }, async () => {
    // Hint: the sweep that sends checkpoints runs when the test moves this clock; nothing waits for a timer.
    const scheduler = new ManualScheduler(1_700_000_000_000, true);
    const t = await startTestServer({ CHECKPOINT_MS: '1' }, { scheduler });
    const clients: WsClient[] = [];
    try {
      const p = await WsClient.open(`${t.wsBase}/ws/publish`);
      clients.push(p);
      for (let i = 0; i < 3; i++) {
        p.send(eventBody());
        await p.next();
      }
      const { client, ack } = await subscribe(t.wsBase, { from_offset: 1_000, checkpoints: true });
      clients.push(client);
      const start = ack.from_offset as number;
      expect(start).toBe(4);
      const offsets: number[] = [];
      for (let i = 0; i < 3; i++) {
        scheduler.advance(1_000);
        const checkpoint = (await client.until<Message>((m) => m.type === 'checkpoint')).at(-1)!;
        offsets.push(checkpoint.offset as number);
        p.send(eventBody());
        await p.next();
      }
      expect(offsets[0]).toBeGreaterThanOrEqual(start - 1);
      for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThanOrEqual(offsets[i - 1]!);
    } finally {
      await closeAll(clients);
      await t.stop();
    }
  });
});

describe('WebSocket limits', () => {
  it('closes a producer flooding invalid messages with 1008 after its budget, every ready ack sent first', async () => {
    const t = await startTestServer();
    const flooder = await WsClient.open(`${t.wsBase}/ws/publish`);
    try {
      flooder.send(eventBody({ ref: 'valid' }));
      expect(await flooder.next()).toMatchObject({ status: 'ok', offset: 1, ref: 'valid' });
      // Hint: each one-byte frame costs an error reply; 75,000 of them per uWS read held every client for over 1 s.
      for (let i = 0; i < INVALID_MESSAGES + 500; i++) flooder.send('{');
      let errors = 0;
      const replies = await flooder.until<Message>(
        (m) => String(m.message).startsWith('too many') || ++errors === INVALID_MESSAGES + 500,
      );
      // The message past the budget is answered too, before the notice: every message read gets its reply.
      expect(replies.filter((m) => String(m.message).startsWith('Invalid JSON'))).toHaveLength(INVALID_MESSAGES + 1);
      expect(replies.at(-1)).toEqual({ status: 'error', message: 'too many invalid messages: at most 1000 per 10 s' });
      expect(await flooder.closed).toEqual({
        code: 1008,
        reason: 'too many invalid messages: at most 1000 per 10 s; acked through offset 1; committed through 1',
      });
      expect((await getJson(`${t.base}/health`)).status).toBe(200);
    } finally {
      await closeAll([flooder]);
      await t.stop();
    }
  });

  it('answers every message read before the budget ran out, then says so and closes; stores none read after', async () => {
    const t = await startTestServer();
    const flooder = await WsClient.open(`${t.wsBase}/ws/publish`);
    try {
      // All in one go, so the valid ones are still in the group commit when the budget runs out.
      for (let i = 0; i < 200; i++) flooder.send(eventBody({ ref: i }));
      for (let i = 0; i < INVALID_MESSAGES + 1; i++) flooder.send('{');
      for (let i = 200; i < 250; i++) flooder.send(eventBody({ ref: i }));
      const replies = await flooder.until<Message>((m) => String(m.message).startsWith('too many'));
      const acks = replies.filter((m) => m.status === 'ok');
      expect(acks.map((m) => m.ref)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(acks.at(-1)?.offset).toBe(200);
      expect(replies.filter((m) => String(m.message).startsWith('Invalid JSON'))).toHaveLength(INVALID_MESSAGES + 1);
      expect(await flooder.closed).toEqual({
        code: 1008,
        reason: 'too many invalid messages: at most 1000 per 10 s; acked through offset 200; committed through 200',
      });
      // What was read after the budget ran out was neither answered nor stored.
      expect((await stats(t.base)).head_offset).toBe(200);
    } finally {
      await closeAll([flooder]);
      await t.stop();
    }
  });

  it('closes a subscriber that floods messages with 1008 after its budget, and others are served meanwhile', async () => {
    const t = await startTestServer();
    const { client: flooder } = await subscribe(t.wsBase, { session_id: 'flood' });
    const { client: other } = await subscribe(t.wsBase, { session_id: 'calm' });
    try {
      // Hint: each of uWS's reads hands every message in it to the handlers at once; 75,000 one-byte frames held
      // the thread that serves every client for seconds. A subscriber needs a few messages, not thousands.
      for (let i = 0; i < SUBSCRIBER_MESSAGES + 500; i++) flooder.send({ type: 'ping' });
      let pongs = 0;
      const replies = await flooder.until<Message>(
        (m) => m.status === 'error' || (m.type === 'pong' && ++pongs === SUBSCRIBER_MESSAGES + 500),
      );
      // The subscribe message was the first of the budget.
      expect(replies.filter((m) => m.type === 'pong')).toHaveLength(SUBSCRIBER_MESSAGES - 1);
      expect(replies.at(-1)).toEqual({ status: 'error', message: 'too many messages: at most 1000 per 10 s' });
      expect(await flooder.closed).toEqual({ code: 1008, reason: 'too many messages: at most 1000 per 10 s' });
      expect((await getJson(`${t.base}/health`)).status).toBe(200);
      other.send({ type: 'ping' });
      expect(await other.next()).toEqual({ type: 'pong' });
    } finally {
      await closeAll([flooder, other]);
      await t.stop();
    }
  });

  it("counts a subscriber's messages in windows of the monotonic clock, whatever step the system clock takes", async () => {
    let monotonic = 5_000;
    const t = await startTestServer({}, { clock: () => monotonic });
    const { client } = await subscribe(t.wsBase, { session_id: 'steady' });
    /** Send `n` pings; the replies up to the n-th pong or the first error. */
    const pings = (n: number) => {
      for (let i = 0; i < n; i++) client.send({ type: 'ping' });
      let pongs = 0;
      return client.until<Message>((m) => m.status === 'error' || (m.type === 'pong' && ++pongs === n));
    };
    try {
      // With the subscribe message, the whole budget of the first window.
      expect(await pings(SUBSCRIBER_MESSAGES - 1)).toHaveLength(SUBSCRIBER_MESSAGES - 1);
      // The system clock steps back a day; the window's 10 s pass. Before: the budget was counted on the wall clock,
      // so its window never ended and the next message closed the connection 1008 "too many messages".
      vi.spyOn(Date, 'now').mockReturnValue(Date.now() - 86_400_000);
      monotonic += SUBSCRIBER_MESSAGES_WINDOW_MS;
      const replies = await pings(SUBSCRIBER_MESSAGES);
      expect(replies.filter((m) => m.type === 'pong')).toHaveLength(SUBSCRIBER_MESSAGES);
      expect(client.isClosed).toBe(false);
    } finally {
      vi.restoreAllMocks();
      await closeAll([client]);
      await t.stop();
    }
  });

  it('answers every message with "too large" when MAX_WS_MESSAGE_BYTES is tiny or 0, and keeps the connection open', async () => {
    for (const limit of ['0', '16']) {
      const t = await startTestServer({ MAX_WS_MESSAGE_BYTES: limit });
      const p = await WsClient.open(`${t.wsBase}/ws/publish`);
      try {
        for (let i = 0; i < 3; i++) {
          p.send(eventBody());
          expect(await p.next()).toEqual({ status: 'error', message: expect.stringContaining('too large') });
        }
        expect(p.isClosed).toBe(false);
      } finally {
        await p.close();
        await t.stop();
      }
    }
  });

  it('at subscriber capacity accepts the socket, answers the subscribe message and closes with 1013', async () => {
    for (const max of ['0', '1']) {
      const t = await startTestServer({ MAX_SUBSCRIBERS: max });
      const clients: WsClient[] = [];
      try {
        if (max === '1') clients.push((await subscribe(t.wsBase, { session_id: 'first' })).client);
        const s = await WsClient.open(`${t.wsBase}/ws/subscribe`);
        clients.push(s);
        // A round trip through the server: it has handled the open, and the socket is still up.
        await stats(t.base);
        expect(s.isClosed).toBe(false);
        s.send({ session_id: 'second' });
        expect(await s.next()).toEqual({ status: 'error', message: 'Server at subscriber capacity' });
        expect((await s.closed).code).toBe(1013);
      } finally {
        await closeAll(clients);
        await t.stop();
      }
    }
  });

  it('refuses an upgrade whose Origin is not in CORS_ORIGINS with 403; no Origin and a listed one are accepted', async () => {
    const t = await startTestServer({ CORS_ORIGINS: 'https://school.example,https://admin.example' });
    try {
      for (const path of ['/ws/publish', '/ws/subscribe', '/api/v1/ws/publish']) {
        expect(await upgradeStatus(t.wsBase + path, { Origin: 'https://evil.example' })).toBe(403);
        expect(await upgradeStatus(t.wsBase + path, { Origin: 'https://admin.example' })).toBe(101);
        expect(await upgradeStatus(t.wsBase + path)).toBe(101);
      }
    } finally {
      await t.stop();
    }
    const open = await startTestServer();
    try {
      expect(await upgradeStatus(`${open.wsBase}/ws/publish`, { Origin: 'https://evil.example' })).toBe(101);
    } finally {
      await open.stop();
    }
  });

  it('applies RATE_LIMIT_PUBLISH to /ws/publish messages per client address, echoing ref', async () => {
    const t = await startTestServer({ RATE_LIMIT_PUBLISH: '2/minute' });
    const clients: WsClient[] = [];
    try {
      // Hint: the test connects from 127.0.0.1, a trusted proxy by default, so X-Forwarded-For names the client.
      const a = await WsClient.open(`${t.wsBase}/ws/publish`, { headers: { 'X-Forwarded-For': '10.0.0.1' } });
      const b = await WsClient.open(`${t.wsBase}/ws/publish`, { headers: { 'X-Forwarded-For': '10.0.0.2' } });
      clients.push(a, b);
      for (let i = 0; i < 2; i++) {
        a.send({ ...eventBody(), ref: i });
        expect(await a.next()).toMatchObject({ status: 'ok', ref: i });
      }
      const head = (await stats(t.base)).head_offset;
      a.send({ ...eventBody(), ref: 'third' });
      expect(await a.next()).toEqual({
        status: 'error',
        message: expect.stringMatching(
          /^rate limit exceeded \(RATE_LIMIT_PUBLISH: 2 per minute per client\); retry in \d+ s$/,
        ),
        retryable: true,
        code: 429,
        ref: 'third',
      });
      expect((await stats(t.base)).head_offset).toBe(head);
      b.send({ ...eventBody(), ref: 'other client' });
      expect(await b.next()).toMatchObject({ status: 'ok', ref: 'other client' });
    } finally {
      await closeAll(clients);
      await t.stop();
    }
  });

  it('counts MAX_WS_CONNECTIONS_PER_IP per forwarded client address behind a trusted proxy', async () => {
    const t = await startTestServer({ MAX_WS_CONNECTIONS_PER_IP: '1' });
    const clients: WsClient[] = [];
    try {
      clients.push(await WsClient.open(`${t.wsBase}/ws/publish`, { headers: { 'X-Forwarded-For': '10.0.0.1' } }));
      expect(await upgradeStatus(`${t.wsBase}/ws/subscribe`, { 'X-Forwarded-For': '10.0.0.1' })).toBe(429);
      expect(await upgradeStatus(`${t.wsBase}/ws/subscribe`, { 'X-Forwarded-For': '10.0.0.2' })).toBe(101);
    } finally {
      await closeAll(clients);
      await t.stop();
    }
  });
});

describe('the WebSocket error boundary', () => {
  it('turns a throw inside a handler into an "internal error" reply and one log line; the connection keeps working', async () => {
    const lines: string[] = [];
    const logger: Logger = { info() {}, warn() {}, error: (_obj, msg) => lines.push(msg ?? '') };
    const w = await startTestServer({}, { logger });
    const pipeline = w.server.pipeline;
    const clients: WsClient[] = [];
    try {
      const p = await WsClient.open(`${w.wsBase}/ws/publish`);
      const s = await WsClient.open(`${w.wsBase}/ws/subscribe`);
      clients.push(p, s);
      const submit = pipeline.submit.bind(pipeline);
      const onMessage = pipeline.subscriberMessage.bind(pipeline);
      // A real fault: the pipeline itself throws, as a bug would.
      pipeline.submit = () => {
        throw new Error('injected submit failure');
      };
      pipeline.subscriberMessage = () => {
        throw new Error('injected subscriber failure');
      };
      p.send(eventBody());
      expect(await p.next()).toEqual({ status: 'error', message: 'internal error' });
      s.send({ session_id: 'x' });
      expect(await s.next()).toEqual({ status: 'error', message: 'internal error' });
      expect(lines.filter((line) => line.includes('WebSocket handler failed'))).toHaveLength(2);
      pipeline.submit = submit;
      pipeline.subscriberMessage = onMessage;
      p.send(eventBody());
      expect(await p.next()).toMatchObject({ status: 'ok', offset: 1 });
      s.send({ session_id: 'x' });
      expect(await s.next()).toMatchObject({ status: 'subscribed' });
      await waitFor(() => !p.isClosed && !s.isClosed, 'sockets still open');
    } finally {
      await closeAll(clients);
      await w.stop();
    }
  });
});
