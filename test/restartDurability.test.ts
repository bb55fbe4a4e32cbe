import { afterEach, describe, expect, it } from 'vitest';
import { call, type EventRecord, event, getJson, ManualClock, publish, queryEvents } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);

describe('restart on the same database', () => {
  let t: TestServer;
  const clock = new ManualClock(T0);
  afterEach(async () => {
    await t.stop();
  });

  const restart = async () => {
    await t.close();
    t = await startTestServer({}, { now: clock.now }, t.dir);
  };
  const epochOf = async () => (await getJson<{ epoch: string }>(t.base, '/health')).body.epoch;

  it('keeps every record, the epoch and the stats, and continues the offsets', async () => {
    t = await startTestServer({}, { now: clock.now });
    const published = (
      await publish<EventRecord[]>(t.base, [
        event({ event_type: 'quiz_started', session_id: 's1', user_id: 'u1', payload: { quiz_id: 'q' } }),
        event({ session_id: 's1', user_id: 'u1', payload: { answer: 'b' } }),
        event({ event_type: 'timer_tick', source: 'timer' }),
      ])
    ).body;
    const single = (await publish(t.base, event({ id: 'producer:1', user_id: 'u2' }))).body;
    const records = [...published, single];
    const epoch = await epochOf();
    // Hint: the router figures are this process's counters; everything else comes from the log.
    const logStats = async () => {
      const { router: _router, ...rest } = (await getJson<Record<string, unknown>>(t.base, '/stats')).body;
      return rest;
    };
    const stats = await logStats();
    expect(stats).toMatchObject({ total_events: 4, head_offset: 4 });

    await restart();

    expect(await epochOf()).toBe(epoch);
    expect(await queryEvents(t.base, { order: 'asc' })).toEqual(records);
    for (const record of records)
      expect((await getJson(t.base, `/events/${encodeURIComponent(record.id)}`)).body).toEqual(record);
    expect(await queryEvents(t.base, { session_id: 's1' })).toEqual([published[1], published[0]]);
    expect(await queryEvents(t.base, { user_id: 'u2' })).toEqual([single]);
    expect(await logStats()).toEqual(stats);

    const next = await publish(t.base, event());
    expect(next.status).toBe(201);
    expect(next.body.offset).toBe(5);
  });

  it('reads a session across events from before and after a restart, in both orders', async () => {
    t = await startTestServer({}, { now: clock.now });
    const before = (
      await publish<EventRecord[]>(
        t.base,
        Array.from({ length: 5 }, (_, i) => event({ session_id: 's', user_id: 'u', payload: { i } })),
      )
    ).body;
    await publish(t.base, event({ session_id: 'other' }));
    await restart();
    const after = (
      await publish<EventRecord[]>(
        t.base,
        Array.from({ length: 5 }, (_, i) => event({ session_id: 's', user_id: 'u', payload: { i: i + 5 } })),
      )
    ).body;
    const both = [...before, ...after];
    for (const key of ['session_id', 'user_id'] as const) {
      const filter = { [key]: key === 'session_id' ? 's' : 'u' };
      expect(await queryEvents(t.base, { ...filter, order: 'asc' })).toEqual(both);
      expect(await queryEvents(t.base, { ...filter })).toEqual([...both].reverse());
      expect(await queryEvents(t.base, { ...filter, order: 'asc', limit: 7 })).toEqual(both.slice(0, 7));
      expect(await queryEvents(t.base, { ...filter, limit: 7 })).toEqual([...both].reverse().slice(0, 7));
      expect(await queryEvents(t.base, { ...filter, order: 'asc', after_offset: before[3]!.offset, limit: 3 })).toEqual(
        both.slice(4, 7),
      );
    }
  });

  it('keeps producer ids idempotent across a restart', async () => {
    t = await startTestServer({}, { now: clock.now });
    const original = await publish(t.base, event({ id: 'order:7', payload: { n: 1 } }));
    expect(original.status).toBe(201);
    await restart();
    clock.advance(60_000);
    const retry = await publish(t.base, event({ id: 'order:7', payload: { n: 1 } }));
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(original.body);
    expect((await publish(t.base, event({ id: 'order:7', payload: { n: 2 } }))).status).toBe(409);
    expect(await queryEvents(t.base)).toEqual([original.body]);
  });

  it('never reuses offsets after deleting everything and restarting', async () => {
    t = await startTestServer({}, { now: clock.now });
    await publish(t.base, [event(), event(), event()]);
    expect((await call(`${t.base}/events`, { method: 'DELETE' })).body).toEqual({ deleted: 3 });
    await restart();
    expect(await queryEvents(t.base)).toEqual([]);
    const next = await publish(t.base, event());
    expect(next.body.offset).toBe(4);
    expect((await getJson<{ head_offset: number }>(t.base, '/stats')).body.head_offset).toBe(4);
  });

  it('keeps a partial delete and the surviving offsets across a restart', async () => {
    t = await startTestServer({}, { now: clock.now });
    await publish(t.base, [event(), event()]);
    clock.advance(3_600_000);
    const kept = (await publish<EventRecord[]>(t.base, [event({ payload: { k: 1 } }), event({ payload: { k: 2 } })]))
      .body;
    expect(
      (await call(`${t.base}/events?before=${encodeURIComponent(kept[0]!.timestamp)}`, { method: 'DELETE' })).body,
    ).toEqual({ deleted: 2 });
    await restart();
    expect(await queryEvents(t.base, { order: 'asc' })).toEqual(kept);
    expect((await getJson<{ total_events: number }>(t.base, '/stats')).body.total_events).toBe(2);
    expect((await publish(t.base, event())).body.offset).toBe(5);
  });

  it('survives several restarts in a row with gap-free offsets', async () => {
    t = await startTestServer({}, { now: clock.now });
    const offsets: number[] = [];
    for (let round = 0; round < 3; round++) {
      const res = await publish<EventRecord[]>(t.base, [event({ payload: { round } }), event({ payload: { round } })]);
      offsets.push(...res.body.map((r) => r.offset));
      await restart();
    }
    expect(offsets).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await queryEvents(t.base, { order: 'asc' })).map((e) => e.payload.round)).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('gives a fresh database a different epoch', async () => {
    t = await startTestServer({}, { now: clock.now });
    const first = await epochOf();
    const other = await startTestServer({}, { now: clock.now });
    try {
      expect((await getJson<{ epoch: string }>(other.base, '/health')).body.epoch).not.toBe(first);
    } finally {
      await other.stop();
    }
  });
});
