import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type EventRecord, event, getJson, JSON_TYPE, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, WsClient } from './support/wsClient.js';

/**
 * Text edges of the wire: what a client sends comes back as acked, or is refused naming why, the same way on every
 * path (REST, /ws/publish, lookups by path and by query).
 */
describe('text and URL edges', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({ LOG_REQUESTS: 'false' });
  });
  afterAll(async () => {
    await closeAll(clients);
    await t.stop();
  });

  it('stores an event whose ignored field name holds a lone surrogate, naming it in X-Ignored-Fields', async () => {
    // Before: encodeURIComponent threw on the name, and the valid event got 500 Internal server error.
    const sent = JSON.stringify(event({ session_id: 'lone-key' })).replace('{', '{"a\\ud800":1,');
    const res = await publish<EventRecord>(t.base, sent);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-ignored-fields')).toBe('a%5Cud800');
    expect((await getJson<EventRecord>(t.base, `/events/${res.body.id}`)).body.session_id).toBe('lone-key');
  });

  it('skips a UTF-8 BOM before a REST body, as /ws/publish and the CLI do', async () => {
    // Before: 400 `Invalid JSON body: Unexpected token '\ufeff'` (the old service, and /ws/publish, accepted it).
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(event({ user_id: 'bom' }))),
    ]);
    const rest = await call<EventRecord>(`${t.base}/events`, { method: 'POST', headers: JSON_TYPE, body });
    expect(rest.status).toBe(201);
    expect(rest.body.user_id).toBe('bom');
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(producer);
    producer.send(body);
    expect(await producer.take(1)).toMatchObject([{ status: 'ok' }]);
  });

  it('says a REST body looks like UTF-16 or UTF-32 instead of only that it is not JSON, as a 400 for its bytes', async () => {
    // Before: `Invalid JSON body: Expected property name or '}' in JSON at position 1` for an ASCII body in UTF-16LE
    // (the old service read such bodies, with json.loads on bytes); the bytes themselves are valid UTF-8 there. With
    // or without a BOM, it is now the 400 FastAPI gives bytes it cannot decode, not a 422 for text that is not JSON.
    const hint = 'it looks like UTF-16 or UTF-32; send UTF-8';
    const text = JSON.stringify(event());
    for (const body of [Buffer.from(text, 'utf16le'), Buffer.from(`\ufeff${text}\u00e9`, 'utf16le')]) {
      const res = await call<{ detail: string }>(`${t.base}/events`, { method: 'POST', headers: JSON_TYPE, body });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/^There was an error parsing the body: /);
      expect(res.body.detail).toContain(hint);
    }
  });

  it('says a /ws/publish or /ws/subscribe frame looks like UTF-16 or UTF-32, as REST does', async () => {
    const hint = ' (it looks like UTF-16 or UTF-32; send UTF-8)';
    const text = JSON.stringify(event());
    const publisher = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(publisher);
    // Without a BOM, UTF-16LE of ASCII JSON is valid UTF-8 that is not JSON; with one, it is not UTF-8.
    for (const frame of [Buffer.from(text, 'utf16le'), Buffer.from(`\ufeff${text}`, 'utf16le')]) {
      // A refused subscribe message ends its connection, so each frame gets a subscriber of its own.
      const subscriber = await WsClient.open(`${t.wsBase}/ws/subscribe`);
      clients.push(subscriber);
      for (const client of [publisher, subscriber]) {
        client.ws.send(frame, { binary: true });
        const [reply] = await client.take(1);
        expect([reply?.status, String(reply?.message).endsWith(hint)]).toEqual(['error', true]);
      }
    }
  });

  it('decodes a session id in the path as the same id in a query string is decoded', async () => {
    // Before: `/sessions/%zz%41` looked up "%zz%41" and `/sessions/%FF` "%FF", where `?session_id=` (and the old
    // service, for both) read "%zzA" and "\ufffd".
    for (const id of ['%zzA', '\ufffd', 'a%', '%ZZ', 'a/b', 'a+b', 'caf\u00e9']) {
      expect((await publish(t.base, event({ session_id: id }))).status).toBe(201);
    }
    for (const [raw, id] of [
      ['%zz%41', '%zzA'],
      ['%FF', '\ufffd'],
      ['a%', 'a%'],
      ['%ZZ', '%ZZ'],
      ['a%2Fb', 'a/b'],
      ['caf%C3%A9', 'caf\u00e9'],
    ]) {
      const byQuery = await getJson<EventRecord[]>(t.base, `/events?session_id=${raw}`);
      expect(byQuery.body.map((record) => record.session_id)).toEqual([id]);
      const byPath = await getJson<{ session_id: string }>(t.base, `/sessions/${raw}`);
      expect([raw, byPath.status, byPath.body.session_id]).toEqual([raw, 200, id]);
    }
    // `+` is a space only in a query string, as in the old service.
    expect((await getJson<{ session_id: string }>(t.base, '/sessions/a+b')).body.session_id).toBe('a+b');
  });
  it('refuses a session or user filter longer than any stored id over REST, as a subscription does', async () => {
    // Before: `GET /events?session_id=<201 characters>` answered 200 [] while /ws/subscribe refused the same filter.
    const long = '\u{1F600}'.repeat(201);
    const subscriber = await WsClient.open(`${t.wsBase}/ws/subscribe`);
    clients.push(subscriber);
    subscriber.send({ session_id: long });
    const [refusal] = await subscriber.take(1);
    expect(refusal).toEqual({ status: 'error', message: 'session_id: must be at most 200 characters (got 201)' });
    for (const name of ['session_id', 'user_id']) {
      const res = await getJson<{ detail: unknown[] }>(t.base, `/events?${name}=${encodeURIComponent(long)}`);
      expect([res.status, res.body.detail]).toEqual([
        422,
        [
          {
            type: 'string_too_long',
            loc: ['query', name],
            msg: `${name}: must be at most 200 characters (got 201)`,
            input: long,
            ctx: { max_length: 200 },
          },
        ],
      ]);
    }
    const fits = await getJson(t.base, `/events?session_id=${encodeURIComponent('\u{1F600}'.repeat(200))}`);
    expect([fits.status, fits.body]).toEqual([200, []]);
  });
});
