import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH_LIMIT } from '../src/config.js';
import { type EventRecord, event, getJson, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, isRecord, subscribe, WsClient } from './support/wsClient.js';

/** A value nested `depth` containers deep, alternating objects and arrays. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

/**
 * The largest MAX_JSON_DEPTH is safe: an event as deep as it allows goes through every path that walks a payload
 * (validation, the duplicate check of a re-sent id, storage, replay, the REST answer) without a stack overflow. With
 * no limit on the setting, MAX_JSON_DEPTH=100000 let a 5,000-deep payload reach those walks and get a 500.
 */
describe(`MAX_JSON_DEPTH at its largest (${MAX_JSON_DEPTH_LIMIT})`, () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({ MAX_JSON_DEPTH: String(MAX_JSON_DEPTH_LIMIT), LOG_REQUESTS: 'false' });
  });
  afterAll(async () => {
    await closeAll(clients);
    await t.stop();
  });

  it('takes the deepest event it allows over REST and WebSocket, re-sent ids included, and replays it', async () => {
    // The event (1) and its payload (2) count: the payload's value may nest the rest.
    const deepest = { deep: nested(MAX_JSON_DEPTH_LIMIT - 2) };
    const first = await publish<EventRecord>(t.base, JSON.stringify(event({ id: 'deep-1', payload: deepest })));
    expect(first.status).toBe(201);
    const again = await publish<EventRecord>(t.base, JSON.stringify(event({ id: 'deep-1', payload: deepest })));
    expect([again.status, again.body.offset]).toEqual([200, first.body.offset]);
    const deeper = await publish(
      t.base,
      JSON.stringify(event({ payload: { deep: nested(MAX_JSON_DEPTH_LIMIT - 1) } })),
    );
    expect(deeper.status).toBe(422);

    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(producer);
    producer.send(event({ payload: deepest }));
    expect(await producer.next()).toMatchObject({ status: 'ok', offset: first.body.offset + 1 });

    const { client } = await subscribe(t.wsBase, { from_offset: 1 });
    clients.push(client);
    const replayed: unknown[] = [];
    while (replayed.length < 2) {
      const message = await client.next();
      if (isRecord(message)) replayed.push(message.payload);
    }
    expect(replayed).toEqual([deepest, deepest]);
    const listed = await getJson<EventRecord[]>(t.base, '/events?limit=10');
    expect(listed.body.map((r) => r.payload)).toEqual([deepest, deepest]);
  });
});
