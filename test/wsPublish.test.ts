import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyProtocols } from '../src/protocol/wsKeyProtocol.js';
import { allEvents, eventBody, getJson, postEvents, stats, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import {
  closeAll,
  type Message,
  protocolUpgrade,
  UpgradeRefusedError,
  upgradeStatus,
  type WireRecord,
  WsClient,
} from './support/wsClient.js';

describe('/ws/publish', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  const publisher = async (path = '/ws/publish') => {
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

  it('acks a single event with its id and offset, and stores it', async () => {
    for (const path of ['/ws/publish', '/api/v1/ws/publish']) {
      const p = await publisher(path);
      const head = (await stats(t.base)).head_offset;
      p.send(eventBody({ event_type: 'quiz_started', payload: { quiz_id: 'q1' } }));
      const ack = await p.next();
      expect(ack).toEqual({
        status: 'ok',
        event_id: expect.stringMatching(/^evt_/),
        offset: head + 1,
        duplicate: false,
      });
      const stored = await getJson<WireRecord>(`${t.base}/events/${ack.event_id as string}`);
      expect(stored.status).toBe(200);
      expect(stored.body).toMatchObject({ offset: head + 1, event_type: 'quiz_started', payload: { quiz_id: 'q1' } });
    }
  });

  it('names fields no rule reads in the ack (`ignored`, before `ref`), and stores the event without them', async () => {
    const p = await publisher();
    p.send({ event_type: 'quiz_started', source: 'quiz_engine', sessionId: 's9', timestamp: 'yesterday', ref: 7 });
    const single = await p.next();
    expect(Object.keys(single)).toEqual(['status', 'event_id', 'offset', 'duplicate', 'ignored', 'ref']);
    expect(single).toMatchObject({ status: 'ok', ignored: ['sessionId', 'timestamp'], ref: 7 });
    const stored = await getJson<WireRecord>(`${t.base}/events/${single.event_id as string}`);
    expect(stored.body).toMatchObject({ session_id: null, event_type: 'quiz_started' });
    p.send({ ref: 'b', events: [eventBody({ userId: 'u' }), eventBody(), eventBody({ userId: 'v', ref: 1 })] });
    expect(await p.next()).toMatchObject({ status: 'ok', count: 3, ignored: ['userId', 'ref'], ref: 'b' });
    // Beside `ref` and `events`, an envelope's other names are read by nothing either (event fields put there too).
    p.send({ ref: 'c', events: [eventBody()], extra: 1, session_id: 's1', userId: 'w' });
    expect(await p.next()).toMatchObject({ status: 'ok', count: 1, ignored: ['extra', 'session_id', 'userId'] });
    p.send([eventBody({ session_id: 's1', user_id: 'u', payload: {}, id: 'ws-clean-1' })]);
    expect(await p.next()).not.toHaveProperty('ignored');
    // However many there are, the ack lists 20 and counts the rest (it was every one, as long as the message).
    const extras = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`x${i}`, 1]));
    p.send({ ref: 'd', ...eventBody(), ...extras });
    const many = await p.next();
    expect(many).toMatchObject({ status: 'ok', ref: 'd' });
    expect(many.ignored).toEqual([...Array.from({ length: 20 }, (_, i) => `x${i}`), '… and 2980 more']);
  });

  it('acks a JSON array once, with consecutive offsets, and stores every event in order', async () => {
    const p = await publisher();
    const head = (await stats(t.base)).head_offset;
    p.send([0, 1, 2, 3].map((i) => eventBody({ payload: { i } })));
    const ack = await p.next();
    expect(ack).toEqual({
      status: 'ok',
      count: 4,
      event_ids: [expect.any(String), expect.any(String), expect.any(String), expect.any(String)],
      first_offset: head + 1,
      last_offset: head + 4,
      duplicates: 0,
    });
    const ids = ack.event_ids as string[];
    expect(new Set(ids).size).toBe(4);
    const stored = await allEvents(t.base, '', head);
    expect(stored.map((r) => [r.id, r.offset, r.payload.i])).toEqual(ids.map((id, i) => [id, head + 1 + i, i]));
    expect(p.pending).toBe(0);
  });

  it('rejects a whole array when one element is invalid, naming the element and field, and appends nothing', async () => {
    const p = await publisher();
    const head = (await stats(t.base)).head_offset;
    p.send([eventBody(), eventBody({ event_type: 'quiz_exploded' }), eventBody()]);
    const ack = await p.next();
    expect(ack).toEqual({ status: 'error', message: expect.stringContaining('[1].event_type') });
    expect(ack.message).toContain('quiz_exploded');
    expect((await stats(t.base)).head_offset).toBe(head);
    expect(await allEvents(t.base, '', head)).toEqual([]);
    // An empty array is an error too, not an empty success.
    p.send([]);
    expect(await p.next()).toMatchObject({ status: 'error', message: expect.stringContaining('events') });
    expect((await stats(t.base)).head_offset).toBe(head);
  });

  it('words each refusal once, in one path notation, as REST does', async () => {
    const p = await publisher();
    const notString = expect.stringMatching(/^event_type: must be a string; allowed: quiz_started, /);
    const cases: [unknown, unknown][] = [
      // Before: `session_id: session_id must be a string` (likewise user_id; a filter's source).
      [{ ...eventBody(), session_id: 5, ref: 1 }, 'session_id: must be a string'],
      [{ ...eventBody(), user_id: 5, ref: 2 }, 'user_id: must be a string'],
      // Before: `unknown event type 5`, `unknown event type null`.
      [{ ...eventBody(), event_type: 5, ref: 3 }, notString],
      [{ ...eventBody(), event_type: null, ref: 4 }, notString],
      // Before: `[1].body: event must be a JSON object`.
      [[eventBody(), 5], '[1]: event must be a JSON object'],
      // Before: `event_type: field required; source: field required; events: a batch is a JSON array of events, or …`.
      [{ ref: 7, events: 'x' }, 'events: must be a JSON array of events, as in {"ref": …, "events": [{…}, …]}'],
    ];
    for (const [message, text] of cases) {
      p.send(message);
      const reply = await p.next();
      expect(reply.message).toEqual(text);
      expect(reply.status).toBe('error');
    }
  });

  it('lists the first 100 issues of a bad batch and says how many events went unchecked, as REST does', async () => {
    const p = await publisher();
    const head = (await stats(t.base)).head_offset;
    p.send({ ref: 'big', events: Array.from({ length: 150 }, () => eventBody({ source: 'bad source' })) });
    const ack = await p.next();
    expect(ack).toEqual({ status: 'error', ref: 'big', message: expect.stringMatching(/^\[0\]\.source: /) });
    expect(ack.message).toContain('[99].source');
    expect(ack.message).not.toContain('[100].source');
    expect(ack.message).toMatch(/\[99\]\.source: [^;]+; … 50 more events were not checked$/);
    expect((await stats(t.base)).head_offset).toBe(head);
  });

  it('echoes ref on single events, on {ref, events} envelopes and on errors', async () => {
    const p = await publisher();
    p.send({ ...eventBody(), ref: 'one' });
    expect(await p.next()).toMatchObject({ status: 'ok', ref: 'one', event_id: expect.any(String) });
    p.send({ ref: 7, events: [eventBody(), eventBody()] });
    const envelope = await p.next();
    expect(envelope).toMatchObject({ status: 'ok', ref: 7, count: 2 });
    expect((envelope.last_offset as number) - (envelope.first_offset as number)).toBe(1);
    p.send({ ref: { batch: 'x' }, events: [eventBody({ source: 'bad source' })] });
    expect(await p.next()).toEqual({
      status: 'error',
      ref: { batch: 'x' },
      message: expect.stringContaining('[0].source'),
    });
    p.send({ ...eventBody({ event_type: 'nope' }), ref: 'bad-one' });
    expect(await p.next()).toMatchObject({
      status: 'error',
      ref: 'bad-one',
      message: expect.stringContaining('event_type'),
    });
  });

  it('echoes no ref in the errors for a message it could not read as JSON, as the README says, in message order', async () => {
    const p = await publisher();
    const tooLarge = JSON.stringify({
      ref: 'big',
      ...eventBody({ payload: { x: 'x'.repeat(t.config.maxWsMessageBytes) } }),
    });
    const notUtf8 = Buffer.concat([
      Buffer.from('{"ref":"bytes","event_type":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    p.send(tooLarge);
    p.ws.send(notUtf8, { binary: true });
    p.send('{"ref":"text","event_type": nope');
    p.send({ ref: 'read', ...eventBody({ event_type: 'nope' }) });
    const [large, bytes, text, read] = await p.take(4);
    expect([large, bytes, text].map((reply) => [reply!.status, 'ref' in reply!])).toEqual([
      ['error', false],
      ['error', false],
      ['error', false],
    ]);
    expect(large!.message).toMatch(/too large$/);
    expect(read).toMatchObject({ status: 'error', ref: 'read' });
  });

  it('answers pipelined messages in message order when valid and invalid ones interleave', async () => {
    const p = await publisher();
    const head = (await stats(t.base)).head_offset;
    const sent: { ref: string; valid: boolean; count: number }[] = [];
    for (let i = 0; i < 60; i++) {
      const kind = i % 5;
      const ref = `m${i}`;
      if (kind === 0) {
        p.send({ ...eventBody({ payload: { i } }), ref });
        sent.push({ ref, valid: true, count: 1 });
      } else if (kind === 1) {
        p.send({ ref, events: [eventBody({ payload: { i } }), eventBody({ payload: { i } })] });
        sent.push({ ref, valid: true, count: 2 });
      } else if (kind === 2) {
        p.send({ ...eventBody({ event_type: 'bogus' }), ref });
        sent.push({ ref, valid: false, count: 0 });
      } else if (kind === 3) {
        p.send({ ref, events: [eventBody(), { source: 'x' }] });
        sent.push({ ref, valid: false, count: 0 });
      } else {
        p.send({ ...eventBody({ payload: { i } }), ref });
        sent.push({ ref, valid: true, count: 1 });
      }
    }
    // Bad JSON carries no ref; it must still take its place in the order.
    p.send('{"event_type": ');
    const acks = await p.take(61);
    expect(acks.slice(0, 60).map((a) => a.ref)).toEqual(sent.map((s) => s.ref));
    expect(acks.slice(0, 60).map((a) => a.status)).toEqual(sent.map((s) => (s.valid ? 'ok' : 'error')));
    expect(acks[60]).toMatchObject({ status: 'error', message: expect.stringContaining('JSON') });
    // Offsets are handed out in message order and without gaps.
    const offsets = acks
      .filter((a) => a.status === 'ok')
      .flatMap((a) =>
        a.count === undefined ? [a.offset as number] : [a.first_offset as number, a.last_offset as number],
      );
    const expected: number[] = [];
    let next = head + 1;
    for (const s of sent) {
      if (!s.valid) continue;
      expected.push(...(s.count === 1 ? [next] : [next, next + 1]));
      next += s.count;
    }
    expect(offsets).toEqual(expected);
    expect((await stats(t.base)).head_offset).toBe(next - 1);
  });

  it('treats a repeated producer id as REST does: same content gives the same record, different content an error', async () => {
    const p = await publisher();
    const input = eventBody({ id: 'ws-dup-1', payload: { n: 1 } });
    p.send(input);
    const first = await p.next();
    expect(first).toEqual({ status: 'ok', event_id: 'ws-dup-1', offset: expect.any(Number), duplicate: false });
    const head = (await stats(t.base)).head_offset;
    p.send(input);
    expect(await p.next()).toEqual({ status: 'ok', event_id: 'ws-dup-1', offset: first.offset, duplicate: true });
    p.send(eventBody({ id: 'ws-dup-1', payload: { n: 2 } }));
    const conflict = await p.next();
    expect(conflict).toMatchObject({ status: 'error', code: 409, message: expect.stringContaining('ws-dup-1') });
    expect((await stats(t.base)).head_offset).toBe(head);

    // REST agrees with WS about the same id, both ways round.
    const rest = await postEvents(t.base, input);
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ id: 'ws-dup-1', offset: first.offset, payload: { n: 1 } });
    expect((await postEvents(t.base, eventBody({ id: 'ws-dup-1', payload: { n: 3 } }))).status).toBe(409);
    const restFirst = await postEvents(t.base, eventBody({ id: 'rest-first', payload: { r: 1 } }));
    expect(restFirst.status).toBe(201);
    p.send(eventBody({ id: 'rest-first', payload: { r: 1 } }));
    expect(await p.next()).toEqual({
      status: 'ok',
      event_id: 'rest-first',
      offset: (restFirst.body as WireRecord).offset,
      duplicate: true,
    });

    // In a batch: known ids resolve to their records, the whole batch fails on one conflict.
    p.send([eventBody({ id: 'ws-dup-1', payload: { n: 1 } }), eventBody({ id: 'ws-dup-2' })]);
    const batch = await p.next();
    expect(batch).toMatchObject({
      status: 'ok',
      count: 2,
      event_ids: ['ws-dup-1', 'ws-dup-2'],
      first_offset: first.offset,
      duplicates: 1,
    });
    const before = (await stats(t.base)).head_offset;
    p.send([eventBody({ id: 'ws-dup-3' }), eventBody({ id: 'ws-dup-2', payload: { other: true } })]);
    expect(await p.next()).toMatchObject({
      status: 'error',
      code: 409,
      message: 'id: event id "ws-dup-2" already exists with different content',
    });
    expect((await stats(t.base)).head_offset).toBe(before);
    expect((await getJson(`${t.base}/events/ws-dup-3`)).status).toBe(404);

    // A batch holding two different events with one new id clashes with itself, not with the log: said so, as REST.
    p.send({
      ref: 9,
      events: [eventBody({ id: 'ws-dup-4' }), eventBody({ id: 'ws-dup-4', payload: { other: true } })],
    });
    expect(await p.next()).toEqual({
      status: 'error',
      message: 'the batch holds two different events with id "ws-dup-4" ([0] and [1]); nothing was stored',
      code: 409,
      ref: 9,
    });
    expect((await getJson(`${t.base}/events/ws-dup-4`)).status).toBe(404);
  });

  it("lists each event's offset (`offsets`) in a batch ack holding a stored producer id, and none when contiguous", async () => {
    const p = await publisher();
    p.send(eventBody({ id: 'ws-offsets-old' }));
    const old = (await p.next()).offset as number;
    p.send(eventBody({ payload: { between: true } }));
    await p.next();
    const batch = [
      eventBody({ id: 'ws-offsets-a' }),
      eventBody({ id: 'ws-offsets-old' }),
      eventBody({ id: 'ws-offsets-b' }),
    ];
    const ids = batch.map((e) => e.id!);
    const storedOffsets = async () =>
      Promise.all(ids.map(async (id) => (await getJson<WireRecord>(`${t.base}/events/${id}`)).body.offset));
    p.send({ ref: 'mixed', events: batch });
    const mixed = await p.next();
    expect(mixed).toMatchObject({ status: 'ok', count: 3, event_ids: ids, duplicates: 1, ref: 'mixed' });
    expect(mixed.offsets).toEqual(await storedOffsets());
    expect((mixed.offsets as number[])[1]).toBe(old);
    // Resent whole (every event a duplicate, offsets still scattered) and in another order: the same records.
    p.send([batch[2], batch[0], batch[1]]);
    const reordered = await p.next();
    const [a, o, b] = await storedOffsets();
    expect(reordered).toMatchObject({ count: 3, duplicates: 3, offsets: [b, a, o] });
    // A resent batch that was stored contiguously: the offsets say so, though the SDK could not tell from the range.
    p.send([eventBody({ id: 'ws-offsets-c' }), eventBody({ id: 'ws-offsets-d' })]);
    const clean = await p.next();
    expect(clean).not.toHaveProperty('offsets');
    p.send([eventBody({ id: 'ws-offsets-c' }), eventBody({ id: 'ws-offsets-d' })]);
    expect(await p.next()).toMatchObject({
      duplicates: 2,
      first_offset: clean.first_offset,
      offsets: [clean.first_offset, clean.last_offset],
    });
  });

  it('answers bad JSON with an error and keeps the connection open', async () => {
    const p = await publisher();
    for (const bad of ['{not json', '', '[1, 2', 'null', '42']) {
      p.send(bad);
      const ack = await p.next<Message>();
      expect(ack.status).toBe('error');
      expect(typeof ack.message).toBe('string');
    }
    expect(p.isClosed).toBe(false);
    p.send(eventBody());
    expect(await p.next()).toMatchObject({ status: 'ok', offset: expect.any(Number) });
  });
});

describe('/ws/publish with REQUIRE_AUTH', () => {
  let t: TestServer;
  const KEY = 'ws-secret-key';
  beforeAll(async () => {
    t = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: KEY });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('refuses the upgrade with 401 without a key or with a wrong one', async () => {
    for (const path of ['/ws/publish', '/ws/subscribe', '/api/v1/ws/publish']) {
      expect(await upgradeStatus(t.wsBase + path)).toBe(401);
      expect(await upgradeStatus(`${t.wsBase + path}?api_key=wrong`)).toBe(401);
      expect(await upgradeStatus(t.wsBase + path, { 'x-api-key': `${KEY}x` })).toBe(401);
    }
  });

  it('accepts the key as an api_key query parameter or an x-api-key header', async () => {
    const byQuery = await WsClient.open(`${t.wsBase}/ws/publish?api_key=${KEY}`);
    byQuery.send(eventBody());
    expect(await byQuery.next()).toMatchObject({ status: 'ok' });
    await byQuery.close();
    const byHeader = await WsClient.open(`${t.wsBase}/ws/publish`, { headers: { 'X-API-Key': KEY } });
    byHeader.send(eventBody());
    expect(await byHeader.next()).toMatchObject({ status: 'ok' });
    await byHeader.close();
    const sub = await WsClient.open(`${t.wsBase}/ws/subscribe?api_key=${KEY}`);
    sub.send({});
    expect(await sub.next()).toMatchObject({ status: 'subscribed' });
    await sub.close();
  });

  it('accepts the key in a pipeline.api-key protocol and answers pipeline, never the protocol carrying the key', async () => {
    for (const path of ['/ws/publish', '/ws/subscribe', '/api/v1/ws/subscribe']) {
      expect(await protocolUpgrade(t.wsBase + path, keyProtocols(KEY))).toEqual({ status: 101, protocol: 'pipeline' });
      expect(await protocolUpgrade(t.wsBase + path, keyProtocols(`${KEY}x`))).toEqual({ status: 401, protocol: '' });
      // A carrier that is not base64url carries no key.
      expect(await protocolUpgrade(t.wsBase + path, ['pipeline', 'pipeline.api-key.!'])).toMatchObject({ status: 401 });
    }
  });
});

describe('REQUIRE_AUTH with API_KEY_PREVIOUS (a key rotation)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: 'key-new', API_KEY_PREVIOUS: 'key-old' });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('accepts the new and the previous key on REST and WebSocket, and refuses any other', async () => {
    for (const key of ['key-new', 'key-old']) {
      expect((await postEvents(t.base, eventBody(), { 'X-API-Key': key })).status).toBe(201);
      expect(await upgradeStatus(`${t.wsBase}/ws/subscribe`, { 'x-api-key': key })).toBe(101);
      expect(await protocolUpgrade(`${t.wsBase}/ws/publish`, keyProtocols(key))).toEqual({
        status: 101,
        protocol: 'pipeline',
      });
    }
    expect((await postEvents(t.base, eventBody(), { 'X-API-Key': 'key-older' })).status).toBe(401);
    expect((await postEvents(t.base, eventBody())).status).toBe(401);
    expect(await upgradeStatus(`${t.wsBase}/ws/subscribe?api_key=key-older`)).toBe(401);
  });
});

describe('/ws/publish with MAX_WS_CONNECTIONS_PER_IP', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({ MAX_WS_CONNECTIONS_PER_IP: '3' });
  });
  afterAll(async () => {
    await closeAll(clients);
    await t.stop();
  });

  it('refuses connections beyond the limit with 429, publishers and subscribers alike, and frees the slot on close', async () => {
    clients.push(await WsClient.open(`${t.wsBase}/ws/publish`));
    clients.push(await WsClient.open(`${t.wsBase}/ws/subscribe`));
    clients.push(await WsClient.open(`${t.wsBase}/ws/publish`));
    expect(await upgradeStatus(`${t.wsBase}/ws/publish`)).toBe(429);
    expect(await upgradeStatus(`${t.wsBase}/ws/subscribe`)).toBe(429);
    // The open ones still work.
    clients[0]!.send(eventBody());
    expect(await clients[0]!.next()).toMatchObject({ status: 'ok' });
    await clients[1]!.close();
    const reopened = await waitFor(async () => {
      try {
        return await WsClient.open(`${t.wsBase}/ws/publish`);
      } catch (error) {
        if (error instanceof UpgradeRefusedError && error.status === 429) return null;
        throw error;
      }
    }, 'a freed connection slot');
    clients.push(reopened);
    expect(await upgradeStatus(`${t.wsBase}/ws/publish`)).toBe(429);
  });

  it('holds the limit when many upgrades arrive at once', async () => {
    await closeAll(clients.splice(0));
    await waitFor(
      async () =>
        (await stats(t.base)).router.publishers === 0 && (await stats(t.base)).router.active_subscribers === 0,
      'sockets to close',
    );
    const attempts = await Promise.allSettled(
      Array.from({ length: 10 }, () => WsClient.open(`${t.wsBase}/ws/publish`)),
    );
    const opened = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    clients.push(...opened);
    const refused = attempts.flatMap((a) => (a.status === 'rejected' ? [a.reason as unknown] : []));
    expect(opened).toHaveLength(3);
    for (const reason of refused) expect(reason).toBeInstanceOf(UpgradeRefusedError);
    expect(refused.map((r) => (r as UpgradeRefusedError).status)).toEqual(Array(7).fill(429));
  });
});

describe('WebSocket message size limit', () => {
  it('answers an over-limit message with an error naming the size and keeps the connection open (not a refused subscribe message)', async () => {
    const t = await startTestServer({ MAX_WS_MESSAGE_BYTES: '1024' });
    const clients: WsClient[] = [];
    try {
      const p = await WsClient.open(`${t.wsBase}/ws/publish`);
      clients.push(p);
      p.send(eventBody({ payload: { big: 'x'.repeat(2000) } }));
      const error = await p.next();
      expect(error.status).toBe('error');
      expect(error.message).toMatch(/^message: is \d+ bytes; at most 1024 allowed/);
      p.send(eventBody({ payload: { small: true } }));
      expect(await p.next()).toMatchObject({ status: 'ok', offset: 1 });

      const s = await WsClient.open(`${t.wsBase}/ws/subscribe`);
      clients.push(s);
      s.send({ session_id: 'ok' });
      expect(await s.next()).toMatchObject({ status: 'subscribed' });
      s.send({ type: 'update_filters', filters: { session_id: 'x'.repeat(1500) } });
      expect(await s.next()).toMatchObject({
        status: 'error',
        message: expect.stringMatching(/^message: is \d+ bytes/),
      });
      s.send({ type: 'ping' });
      expect(await s.next()).toEqual({ type: 'pong' });
      // As the subscribe message itself, it is refused, and the connection ends (see wsSubscribe.test.ts).
      const first = await WsClient.open(`${t.wsBase}/ws/subscribe`);
      clients.push(first);
      first.send({ session_id: 'x'.repeat(1500) });
      expect(await first.next()).toMatchObject({ status: 'error', message: expect.stringMatching(/too large$/) });
      expect((await first.closed).code).toBe(1008);
    } finally {
      await closeAll(clients);
      await t.stop();
    }
  });
});
