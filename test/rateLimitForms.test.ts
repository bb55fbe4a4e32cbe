import { afterEach, describe, expect, it } from 'vitest';
import { call, event, getJson, ManualClock, publish, queryEvents } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { WsClient } from './support/wsClient.js';

const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);

/** The status, detail and Retry-After of one answer. */
async function outcome(answer: Promise<{ status: number; headers: Headers; body: unknown }>) {
  const { status, headers, body } = await answer;
  const detail = typeof body === 'object' && body !== null && 'detail' in body ? body.detail : undefined;
  return { status, detail, retryAfter: headers.get('retry-after') };
}

describe("RATE_LIMIT_* in the old service's other forms (several limits, per N units), on a running server", () => {
  let t: TestServer | null = null;
  afterEach(async () => {
    await t?.stop();
    t = null;
  });

  it('enforces every limit of "5/minute;2/second": the tighter one first, then the other, each naming itself', async () => {
    const clock = new ManualClock(T0);
    t = await startTestServer({ RATE_LIMIT_PUBLISH: '5/minute;2/second' }, { now: clock.now, clock: clock.now });
    const base = t.base;
    expect((await publish(base, event())).status).toBe(201);
    expect((await publish(base, event())).status).toBe(201);
    // Within the second, the per-second limit refuses, with its own window's wait.
    expect(await outcome(publish(base, event()))).toEqual({
      status: 429,
      detail: 'rate limit exceeded (RATE_LIMIT_PUBLISH: 2 per second per client); retry in 1 s',
      retryAfter: '1',
    });
    clock.advance(1_000);
    // The refused request counted against the minute (3 of 5), as slowapi counted it: two more, then the minute's turn.
    expect((await publish(base, event())).status).toBe(201);
    clock.advance(1_000);
    expect((await publish(base, event())).status).toBe(201);
    clock.advance(500);
    expect(await outcome(publish(base, event()))).toEqual({
      status: 429,
      detail: 'rate limit exceeded (RATE_LIMIT_PUBLISH: 5 per minute per client); retry in 58 s',
      retryAfter: '58',
    });
    // Queries are another budget; four publishes were taken, the refused ones appended nothing.
    expect(await queryEvents(base)).toHaveLength(4);
    clock.advance(57_500);
    expect((await publish(base, event())).status).toBe(201);
  });

  it('enforces "600 per 1 minute"-style and "N/2minutes" limits on queries, WebSocket upgrades and admin deletes', async () => {
    const clock = new ManualClock(T0);
    const limits = { RATE_LIMIT_QUERY: '2 per 1 minute', RATE_LIMIT_ADMIN: '1/2minutes' };
    t = await startTestServer(limits, { now: clock.now, clock: clock.now });
    expect((await getJson(t.base, '/stats')).status).toBe(200);
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    try {
      expect(await outcome(getJson(t.base, '/stats'))).toEqual({
        status: 429,
        detail: 'rate limit exceeded (RATE_LIMIT_QUERY: 2 per minute per client); retry in 60 s',
        retryAfter: '60',
      });
    } finally {
      await producer.close();
    }
    expect((await call(`${t.base}/events`, { method: 'DELETE' })).status).toBe(200);
    clock.advance(60_000);
    expect(await outcome(call(`${t.base}/events`, { method: 'DELETE' }))).toEqual({
      status: 429,
      detail: 'rate limit exceeded (RATE_LIMIT_ADMIN: 1 per 2 minutes per client); retry in 60 s',
      retryAfter: '60',
    });
    expect((await getJson(t.base, '/stats')).status).toBe(200);
  });

  it('keeps windows and Retry-After on the monotonic clock when the system clock steps back or forward a day', async () => {
    const wall = new ManualClock(T0);
    const monotonic = new ManualClock(5_000);
    t = await startTestServer({ RATE_LIMIT_PUBLISH: '2/minute' }, { now: wall.now, clock: monotonic.now });
    const base = t.base;
    expect((await publish(base, event())).status).toBe(201);
    expect((await publish(base, event())).status).toBe(201);
    wall.advance(-86_400_000);
    monotonic.advance(60_000);
    // Before: the window's age was read on the wall clock, so after a step back of a day every client was refused
    // for a day (here Retry-After 86460; a probe under libfaketime saw 86399).
    expect((await publish(base, event())).status).toBe(201);
    expect((await publish(base, event())).status).toBe(201);
    monotonic.advance(10_000);
    expect(await outcome(publish(base, event()))).toMatchObject({ status: 429, retryAfter: '50' });
    // A step forward ends no window either (before: it reset every window at once).
    wall.advance(2 * 86_400_000);
    expect(await outcome(publish(base, event()))).toMatchObject({ status: 429, retryAfter: '50' });
    monotonic.advance(50_000);
    expect((await publish(base, event())).status).toBe(201);
  });
});
