import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NdjsonLines } from '../src/cli/ndjson.js';
import { type EventRecord, event, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, WsClient } from './support/wsClient.js';

const TOO_LONG = '12345678901234567890';
const WHY = `is the integer ${TOO_LONG}, which a JSON number here (a 64-bit float) cannot hold: it would be stored as 12345678901234567000; send it as a string`;

/**
 * An integer JSON.parse would change (a 64-bit id from another system) is refused naming its field, over REST and
 * WebSocket, instead of being stored as another number; integers a JavaScript producer writes are stored as sent.
 */
describe('integers a 64-bit float cannot hold', () => {
  let t: TestServer;
  const clients: WsClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({ LOG_REQUESTS: 'false' });
  });
  afterAll(async () => {
    await closeAll(clients);
    await t.stop();
  });

  const withBig = (fields: Record<string, unknown> = {}) =>
    JSON.stringify(event({ payload: { big: 0 }, ...fields })).replace('"big":0', `"big":${TOO_LONG}`);

  it('refuses one over REST with 422 naming the field, in an array too, storing nothing', async () => {
    const one = await publish(t.base, withBig());
    expect(one).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['body', 'payload', 'big'], msg: `payload.big: ${WHY}`, type: 'value_error' }] },
    });
    const many = await publish(t.base, `[${JSON.stringify(event())},${withBig()}]`);
    expect(many.status).toBe(422);
    expect(many.body).toMatchObject({
      detail: [{ loc: ['body', 1, 'payload', 'big'], msg: `[1].payload.big: ${WHY}` }],
    });
    expect((await fetch(`${t.base}/events`).then((r) => r.json())) as unknown[]).toEqual([]);
  });

  it('refuses one over WebSocket alone, in an array and in the envelope, naming the field and echoing ref', async () => {
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(producer);
    producer.send(withBig());
    producer.send(`[${withBig()}]`);
    producer.send(`{"ref":"r1","events":[${JSON.stringify(event())},${withBig()}]}`);
    expect(await producer.take(3)).toEqual([
      { status: 'error', message: `payload.big: ${WHY}` },
      { status: 'error', message: `[0].payload.big: ${WHY}` },
      { status: 'error', message: `events[1].payload.big: ${WHY}`, ref: 'r1' },
    ]);
  });

  it('refuses one in the ref without echoing that ref changed', async () => {
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(producer);
    producer.send(`{"ref":12345678901234567891,"events":[${JSON.stringify(event())}]}`);
    producer.send(`{"ref":{"n":12345678901234567891},"events":[${JSON.stringify(event())}]}`);
    const [alone, nested] = await producer.take(2);
    expect(alone).toEqual({
      status: 'error',
      message: expect.stringMatching(/^ref: is the integer 12345678901234567891, /),
    });
    expect(nested).toEqual({ status: 'error', message: expect.stringMatching(/^ref\.n: is the integer /) });
  });

  it('stores as sent the integers JavaScript writes, large ones included', async () => {
    const payload = `{"a":12345678901234567000,"b":${2 ** 60},"c":-9007199254740991,"s":"12345678901234567890"}`;
    const sent = JSON.stringify(event({ payload: {} })).replace('"payload":{}', `"payload":${payload}`);
    const stored = await publish<EventRecord>(t.base, sent);
    expect(stored.status).toBe(201);
    const raw = await fetch(`${t.base}/events/${stored.body.id}`).then((r) => r.text());
    expect(raw).toContain(`"payload":${payload}`);
  });
  it('accepts such numbers in a field nothing stores (a nanosecond timestamp), over REST, WebSocket and the CLI', async () => {
    // Before: 422 `timestamp: is the integer … it would be stored as …` for a field that is never stored, and
    // `timestamp: is a number beyond ±1.7976931348623157e308` for 1e400; the old service ignored both.
    const nanos = '1733350000123456789';
    const sent = (payload: string) =>
      JSON.stringify(event({ session_id: 'ns', payload: {} }))
        .replace('{', `{"timestamp":${nanos},"sent":1e400,`)
        .replace('"payload":{}', `"payload":${payload}`);
    const rest = await publish<EventRecord>(t.base, sent('{"n":1}'));
    expect([rest.status, rest.headers.get('x-ignored-fields'), rest.body.payload]).toEqual([
      201,
      'timestamp, sent',
      { n: 1 },
    ]);
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(producer);
    producer.send(sent('{"n":2}'));
    producer.send(`{"ref":"r2","sent_at":${nanos},"events":[${sent('{"n":3}')}]}`);
    expect(await producer.take(2)).toMatchObject([
      { status: 'ok', ignored: ['timestamp', 'sent'] },
      { status: 'ok', ref: 'r2', ignored: ['sent_at', 'timestamp', 'sent'] },
    ]);
    const lines = [...new NdjsonLines().push(Buffer.from(`${sent('{"n":4}')}\n${sent(`{"n":${nanos}}`)}\n`))];
    expect(lines.map((line) => ('error' in line ? line.error : undefined))).toEqual([
      undefined,
      `payload.n: ${WHY.replace(TOO_LONG, nanos).replace('12345678901234567000', '1733350000123456800')}`,
    ]);
    // The same integer in the payload is still refused, whatever sits beside it.
    expect((await publish(t.base, sent(`{"n":${nanos}}`))).body).toMatchObject({
      detail: [{ loc: ['body', 'payload', 'n'] }],
    });
  });
});
