import { describe, expect, it } from 'vitest';
import { closePlan } from '../src/client/closePlan.js';
import {
  backoffDelay,
  ClientClosedError,
  type EventRecord,
  LogReplacedError,
  memoryPositionStore,
  type PublishEvent,
  Publisher,
  type PublisherOptions,
  PublishRejectedError,
  PublishTimeoutError,
  parsePosition,
  subscribe,
} from '../src/client/index.js';
import { InFlightWindow } from '../src/client/inFlightWindow.js';
import { settleFromAck, splitToSolo, takeMessage, type Unit } from '../src/client/publishBatcher.js';
import { startPoint } from '../src/client/subscribeOptions.js';
import type { PublishAck } from '../src/client/types.js';
import { FakeSocket, ManualScheduler, outcomeOf, record, scriptedFromStart } from './support/scriptedClient.js';

const unit = (ids: string[], settled: Array<PublishAck[] | Error>): Unit => ({
  events: ids.map((id) => JSON.stringify({ id })),
  ids,
  bytes: 10 * ids.length,
  solo: false,
  deadline: Infinity,
  resolve: (acks) => settled.push(acks),
  reject: (error) => settled.push(error),
});

describe('client building blocks', () => {
  it('backoff doubles up to its cap, with jitter between half and all of it', () => {
    expect(backoffDelay(0, { initialMs: 100, maxMs: 1000 }, () => 0)).toBe(50);
    expect(backoffDelay(3, { initialMs: 100, maxMs: 1000 }, () => 1)).toBe(800);
    expect(backoffDelay(10, { initialMs: 100, maxMs: 1000 }, () => 1)).toBe(1000);
  });

  it('batches units up to the limits, keeps solo units alone, and maps a clean ack to contiguous offsets', () => {
    const settled: Array<PublishAck[] | Error> = [];
    const queue = [
      unit(['a'], settled),
      unit(['b', 'c'], settled),
      { ...unit(['d'], settled), solo: true },
      unit(['e'], settled),
    ];
    const first = takeMessage(queue, { maxEvents: 10, maxBytes: 1000 });
    expect(first.map((u) => u.ids)).toEqual([['a'], ['b', 'c']]);
    expect(takeMessage(queue, { maxEvents: 10, maxBytes: 1000 }).map((u) => u.ids)).toEqual([['d']]);
    expect(
      settleFromAck(
        { ref: 1, units: first, eventCount: 3 },
        { count: 3, event_ids: ['a', 'b', 'c'], first_offset: 7, last_offset: 9, duplicates: 0 },
      ),
    ).toBe(true);
    expect(settled).toEqual([
      [{ id: 'a', offset: 7 }],
      [
        { id: 'b', offset: 8 },
        { id: 'c', offset: 9 },
      ],
    ]);
  });

  it("refuses to guess offsets when an ack has duplicates, and gathers solo resends back into the caller's batch", () => {
    const settled: Array<PublishAck[] | Error> = [];
    const batch = unit(['x', 'y'], settled);
    expect(
      settleFromAck(
        { ref: 1, units: [batch], eventCount: 2 },
        { count: 2, event_ids: ['x', 'y'], first_offset: 9, last_offset: 10, duplicates: 1 },
      ),
    ).toBe(false);
    const solo = splitToSolo([batch]);
    solo[1]!.resolve([{ id: 'y', offset: 4 }]);
    expect(settled).toEqual([]);
    solo[0]!.resolve([{ id: 'x', offset: 9 }]);
    expect(settled).toEqual([
      [
        { id: 'x', offset: 9 },
        { id: 'y', offset: 4 },
      ],
    ]);
  });

  it("takes each event's offset from an ack's `offsets`, duplicates and gaps included", () => {
    const settled: Array<PublishAck[] | Error> = [];
    const message = { ref: 1, units: [unit(['x'], settled), unit(['y', 'z'], settled)], eventCount: 3 };
    const ack = { count: 3, event_ids: ['x', 'y', 'z'], first_offset: 9, last_offset: 4, duplicates: 1 };
    expect(settleFromAck(message, { ...ack, offsets: [9, 4, 12] })).toBe(true);
    expect(settled).toEqual([
      [{ id: 'x', offset: 9 }],
      [
        { id: 'y', offset: 4, duplicate: true },
        { id: 'z', offset: 12 },
      ],
    ]);
  });

  it('the in-flight window wakes waiters in order, only as room frees', async () => {
    const window = new InFlightWindow(10);
    await window.wait(8, true);
    const order: string[] = [];
    const a = window.wait(6, true).then(() => order.push('a'));
    const b = window.wait(6, true).then(() => order.push('b'));
    const ready = window.wait(1, false); // waits too, but takes no room: not counted as waiting
    expect([window.size, window.waiting]).toEqual([8, 12]);
    window.release(8);
    await a;
    expect(order).toEqual(['a']);
    expect([window.size, window.waiting]).toEqual([6, 6]);
    window.release(6);
    await b;
    expect(order).toEqual(['a', 'b']);
    expect([window.size, window.waiting]).toEqual([6, 0]);
    window.release(6);
    await ready;
  });

  it('start point: a stored position wins over from; head starts with no offset', () => {
    expect(startPoint(5, null)).toEqual({ next: 5, epoch: null });
    expect(startPoint('head', null)).toEqual({ next: null, epoch: null });
    expect(startPoint(5, { offset: 41, epoch: 'e1' })).toEqual({ next: 42, epoch: 'e1' });
    expect(startPoint({ offset: 9, epoch: 'e2' }, null)).toEqual({ next: 10, epoch: 'e2' });
    expect(parsePosition('{"offset":3,"epoch":"e"}')).toEqual({ offset: 3, epoch: 'e' });
    expect(parsePosition('{"offset":-1}')).toBeNull();
    expect(memoryPositionStore().load('k')).toBeNull();
  });

  it('close plan: 401 and refusals are final, 1013 backs off from at least a second, 1001 and 4008 reconnect soon', () => {
    expect(closePlan(1006, 'Unexpected server response: 401', null, 0)).toHaveProperty('fatal');
    const unknownType = { message: 'event_types.0: unknown event type', retryable: false };
    expect(closePlan(1000, '', unknownType, 0)).toHaveProperty('fatal');
    expect(closePlan(1013, '', unknownType, 0)).toHaveProperty('fatal');
    const capacity = { message: 'Server at subscriber capacity', retryable: true };
    expect(closePlan(1013, 'Server at subscriber capacity', capacity, 0, { random: () => 0 })).toEqual({
      delayMs: 500,
    });
    // A retryable refusal whose 1013 never came (the server died, or a proxy closed): still "later", not final.
    for (const code of [1000, 1006, 1011])
      expect(closePlan(code, '', capacity, 0, { backoff: { initialMs: 20 }, random: () => 0 })).toEqual({
        delayMs: 500,
      });
    expect(closePlan(1001, 'server shutting down', null, 0, { backoff: { initialMs: 20 }, random: () => 0 })).toEqual({
      delayMs: 10,
    });
    expect(
      closePlan(4008, 'slow consumer; resume with from_offset=5', null, 0, {
        backoff: { initialMs: 20 },
        random: () => 1,
      }),
    ).toEqual({
      delayMs: 20,
    });
  });
});

describe('the client refuses a URL that cannot work, at once', () => {
  it('throws a TypeError naming url from new Publisher and subscribe, opening no socket', () => {
    FakeSocket.all = [];
    for (const url of ['notaurl', 'localhost:8001', 'ftp://host', '']) {
      const message = `url: expected an http(s) or ws(s) URL such as http://localhost:8001, got ${JSON.stringify(url)}`;
      expect(() => new Publisher({ url, WebSocket: FakeSocket })).toThrow(new TypeError(message));
      expect(() => subscribe({ url, WebSocket: FakeSocket, onEvent: () => {} })).toThrow(new TypeError(message));
    }
    expect(FakeSocket.all).toEqual([]);
    for (const url of ['http://a', 'https://a:1/base', 'ws://a', 'wss://a']) {
      expect(() => new Publisher({ url, WebSocket: FakeSocket })).not.toThrow();
    }
  });

  it('refuses a ready() count that is not an integer ≥ 0 (it was taken as room at once: no back-pressure)', async () => {
    const pub = new Publisher({ url: 'http://test', WebSocket: FakeSocket });
    for (const [count, got] of [
      ['3', '"3"'],
      [-1, '-1'],
      [1.5, '1.5'],
      [Number.NaN, 'NaN'],
    ] as const)
      await expect(pub.ready(count as number)).rejects.toThrow(
        new RangeError(`ready: events must be an integer ≥ 0, got ${got}`),
      );
    await expect(pub.ready(0)).resolves.toBeUndefined();
    await pub.close();
  });

  it('throws a RangeError naming a numeric option that cannot work, opening no socket', () => {
    FakeSocket.all = [];
    const url = 'http://test';
    const publisherCases: [Record<string, unknown>, string][] = [
      [{ maxInFlightMessages: 0 }, 'maxInFlightMessages: must be an integer ≥ 1, got 0'],
      [{ maxBatchEvents: -1 }, 'maxBatchEvents: must be an integer ≥ 1, got -1'],
      [{ maxInFlightEvents: 2.5 }, 'maxInFlightEvents: must be an integer ≥ 1, got 2.5'],
      [{ maxBatchBytes: Number.NaN }, 'maxBatchBytes: must be an integer ≥ 1, got NaN'],
      [{ lingerMs: -5 }, 'lingerMs: must be a finite number of milliseconds ≥ 0, got -5'],
      [{ deliveryTimeoutMs: Number.NaN }, 'deliveryTimeoutMs: must be a finite number of milliseconds > 0, got NaN'],
      [{ deliveryTimeoutMs: 0 }, 'deliveryTimeoutMs: must be a finite number of milliseconds > 0, got 0'],
      [{ backoff: { initialMs: -1 } }, 'backoff.initialMs: must be a finite number of milliseconds ≥ 0, got -1'],
    ];
    for (const [options, message] of publisherCases)
      expect(() => new Publisher({ url, WebSocket: FakeSocket, ...options })).toThrow(new RangeError(message));
    const subscribeCases: [Record<string, unknown>, string][] = [
      [{ maxBufferedEvents: 0 }, 'maxBufferedEvents: must be an integer ≥ 1, got 0'],
      [
        { idleTimeoutMs: Number.POSITIVE_INFINITY },
        'idleTimeoutMs: must be a finite number of milliseconds ≥ 0, got Infinity',
      ],
      [{ saveIntervalMs: -1 }, 'saveIntervalMs: must be a finite number of milliseconds ≥ 0, got -1'],
      [{ backoff: { maxMs: Number.NaN } }, 'backoff.maxMs: must be a finite number of milliseconds ≥ 0, got NaN'],
      [{ from: -3 }, "from: must be an offset (an integer ≥ 0), 'head' or a saved position, got -3"],
      [{ from: Number.NaN }, "from: must be an offset (an integer ≥ 0), 'head' or a saved position, got NaN"],
    ];
    for (const [options, message] of subscribeCases)
      expect(() => subscribe({ url, WebSocket: FakeSocket, onEvent: () => {}, ...options })).toThrow(
        new RangeError(message),
      );
    expect(FakeSocket.all).toEqual([]);
  });
});

describe('subscribe refuses a start or a log-replaced choice that is not one, at once', () => {
  it('throws naming from or onLogReplaced and what it got, opening no socket', () => {
    FakeSocket.all = [];
    const url = 'http://test';
    const expected = "from: must be an offset (an integer ≥ 0), 'head' or a saved position, got ";
    const cases: [Record<string, unknown>, Error][] = [
      [{ from: '5' }, new TypeError(`${expected}"5"`)],
      [{ from: 'tail' }, new TypeError(`${expected}"tail"`)],
      [{ from: null }, new TypeError(`${expected}null`)],
      [{ from: [5] }, new TypeError(`${expected}[5]`)],
      [{ from: { offset: 4 } }, new TypeError(`${expected}{"offset":4}`)],
      [{ from: { offset: -1, epoch: 'e' } }, new TypeError(`${expected}{"offset":-1,"epoch":"e"}`)],
      [{ from: { offset: '4', epoch: null } }, new TypeError(`${expected}{"offset":"4","epoch":null}`)],
      [{ from: 2 ** 53 }, new RangeError(`${expected}9007199254740992`)],
      [{ from: 1.5 }, new RangeError(`${expected}1.5`)],
      [
        { onLogReplaced: 'from-tail' },
        new TypeError(`onLogReplaced: must be 'error', 'from-start' or 'from-head', got "from-tail"`),
      ],
      [{ onLogReplaced: null }, new TypeError(`onLogReplaced: must be 'error', 'from-start' or 'from-head', got null`)],
      [
        { filters: { sessionId: 's1' } },
        new TypeError('filters.sessionId: not a filter; expected event_types, session_id, user_id, source'),
      ],
      [{ filters: 'all' }, new TypeError('filters: must be an object, got "all"')],
      // An unset variable (`session_id: current` while it is '') would hand the reader every session's events.
      ...['session_id', 'user_id', 'source'].map((key): [Record<string, unknown>, Error] => [
        { filters: { event_types: ['quiz_started'], [key]: '' } },
        new TypeError(`filters.${key}: empty, which would match every event; leave it out to mean every one`),
      ]),
      [
        { filters: { event_types: [] } },
        new TypeError('filters.event_types: empty, which would match every event; leave it out to mean every one'),
      ],
      [
        { filters: { session_id: undefined } },
        new TypeError('filters.session_id: undefined, which would match every event; leave it out to mean every one'),
      ],
      [
        { filters: { user_id: null } },
        new TypeError('filters.user_id: null, which would match every event; leave it out to mean every one'),
      ],
    ];
    for (const [options, error] of cases) {
      const thrown = (() => {
        try {
          subscribe({ url, WebSocket: FakeSocket, onEvent: () => {}, ...options });
          return null;
        } catch (caught) {
          return caught;
        }
      })();
      expect(thrown, JSON.stringify(options)).toEqual(error);
      expect(thrown, JSON.stringify(options)).toBeInstanceOf(error.constructor);
    }
    expect(FakeSocket.all).toEqual([]);
    const allowed: Record<string, unknown>[] = [
      {},
      { from: 'head' },
      { from: 0 },
      { from: 7 },
      { from: { offset: 4, epoch: 'e1' } },
      { from: { offset: 0, epoch: null } },
      { onLogReplaced: 'error' },
      { onLogReplaced: 'from-start' },
      { onLogReplaced: 'from-head' },
      { filters: { event_types: ['quiz_started'], session_id: 's', user_id: 'u', source: 'q' } },
    ];
    for (const options of allowed) {
      const sub = subscribe({ url, WebSocket: FakeSocket, scheduler: new ManualScheduler(), ...options });
      void sub.close();
    }
  });
});

describe('Publisher on a scripted socket and a manual clock', () => {
  /** A Publisher whose sockets are FakeSockets (none made yet) and whose time moves only with `scheduler`. */
  function scripted(options: Partial<PublisherOptions>): { scheduler: ManualScheduler; publisher: Publisher } {
    FakeSocket.all = [];
    const scheduler = new ManualScheduler();
    const publisher = new Publisher({ url: 'http://test', WebSocket: FakeSocket, scheduler, lingerMs: 0, ...options });
    return { scheduler, publisher };
  }

  it("resolves a batch with a duplicate from the ack's `offsets` in one message, and resends one by one without them", async () => {
    const { scheduler, publisher } = scripted({});
    const batch = (tag: string) =>
      publisher.publishBatch(
        [0, 1, 2].map((i) => ({ event_type: 'timer_tick' as const, source: tag, payload: { i } })),
      );
    const withOffsets = batch('new');
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    await scheduler.advance(0);
    type Sent = { ref: number; events: Array<{ id: string }> };
    const sent = () => socket.sent.map((text) => JSON.parse(text) as Sent);
    const first = sent()[0]!;
    const ids = first.events.map((e) => e.id);
    const ack = { status: 'ok', count: 3, event_ids: ids, first_offset: 7, last_offset: 9, duplicates: 1 };
    socket.reply({ ...ack, offsets: [7, 3, 8], ref: first.ref });
    await scheduler.advance(0);
    expect(socket.sent).toHaveLength(1);
    await expect(withOffsets).resolves.toEqual([
      { id: ids[0], offset: 7 },
      { id: ids[1], offset: 3, duplicate: true },
      { id: ids[2], offset: 8 },
    ]);

    // A server without `offsets` (older): the duplicate leaves the offsets unknown, so each event goes again alone.
    const without = batch('old');
    await scheduler.advance(0);
    const second = sent()[1]!;
    socket.reply({ ...ack, event_ids: second.events.map((e) => e.id), ref: second.ref });
    await scheduler.advance(0);
    const solo = sent().slice(2);
    expect(solo.map((m) => m.events.map((e) => e.id))).toEqual(second.events.map((e) => [e.id]));
    for (const [i, m] of solo.entries()) {
      const offset = [7, 3, 8][i]!;
      socket.reply({
        ...ack,
        count: 1,
        event_ids: [m.events[0]!.id],
        first_offset: offset,
        last_offset: offset,
        ref: m.ref,
      });
    }
    // Each went again after the first send stored it, so every solo ack counts one duplicate: no flag can be trusted.
    expect(await without).toEqual(solo.map((m, i) => ({ id: m.events[0]!.id, offset: [7, 3, 8][i] })));
    publisher.destroy();
  });

  it('resends the messages a full pipeline had refused in their first order, after one backoff step', async () => {
    const { scheduler, publisher } = scripted({
      random: () => 0,
      backoff: { initialMs: 100, maxMs: 5_000 },
      maxBatchEvents: 1,
      maxInFlightMessages: 4,
    });
    const done = [0, 1, 2, 3].map((i) => publisher.publish({ event_type: 'timer_tick', source: 't', payload: { i } }));
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    await scheduler.advance(0);
    type Sent = { ref: number; events: Array<{ id: string; payload: { i: number } }> };
    const sent = () => socket.sent.map((text) => JSON.parse(text) as Sent);
    expect(sent().map((m) => m.events[0]!.payload.i)).toEqual([0, 1, 2, 3]);
    for (const { ref } of sent()) socket.reply({ status: 'error', message: 'over its bound', retryable: true, ref });
    await scheduler.advance(49);
    expect(socket.sent.length).toBe(4);
    await scheduler.advance(1);
    const resent = sent().slice(4);
    expect(resent.map((m) => m.events[0]!.payload.i)).toEqual([0, 1, 2, 3]);
    for (const [n, m] of resent.entries()) {
      const id = m.events[0]!.id;
      socket.reply({
        status: 'ok',
        count: 1,
        event_ids: [id],
        first_offset: n + 1,
        last_offset: n + 1,
        duplicates: 0,
        ref: m.ref,
      });
    }
    expect((await Promise.all(done)).map((ack) => ack.offset)).toEqual([1, 2, 3, 4]);
  });

  it('retries a retryable error after backoff with the same ids, and times out a publish the server never takes', async () => {
    const { scheduler, publisher } = scripted({
      random: () => 0,
      deliveryTimeoutMs: 1_000,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    const done = publisher.publish({ event_type: 'timer_tick', source: 't' });
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    await scheduler.advance(0);
    expect(socket.sent.length).toBe(1);
    const first = JSON.parse(socket.sent[0]!) as { ref: number; events: Array<{ id: string }> };
    socket.reply({
      status: 'error',
      message: 'pipeline is over its pending bound; retry shortly',
      retryable: true,
      ref: first.ref,
    });
    await scheduler.advance(49);
    expect(socket.sent.length).toBe(1);
    await scheduler.advance(1);
    expect(socket.sent.length).toBe(2);
    const second = JSON.parse(socket.sent[1]!) as { ref: number; events: Array<{ id: string }> };
    expect(second.events[0]!.id).toBe(first.events[0]!.id);
    socket.reply({
      status: 'ok',
      count: 1,
      event_ids: [first.events[0]!.id],
      first_offset: 12,
      last_offset: 12,
      duplicates: 0,
      ref: second.ref,
    });
    await expect(done).resolves.toEqual({ id: first.events[0]!.id, offset: 12 });

    const lost = publisher.publish({ event_type: 'timer_tick', source: 't' });
    const outcome = lost.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await scheduler.advance(0);
    socket.drop();
    for (let i = 0; i < 10; i++) {
      await scheduler.advance(400);
      FakeSocket.all[FakeSocket.all.length - 1]!.drop(1006, 'connect ECONNREFUSED 127.0.0.1:9');
    }
    expect(await outcome).toBeInstanceOf(PublishTimeoutError);
    // The timeout says what kept the publish from its ack, not only that none came.
    expect(((await outcome) as Error).message).toBe(
      'not acknowledged within 1000 ms (last: closed 1006 connect ECONNREFUSED 127.0.0.1:9)',
    );
    publisher.destroy();
  });

  it('resends after a retry pause that a dropped socket and a shorter reconnect cut short', async () => {
    // Hint: the pause draws the top of its jitter, the reconnect the bottom, so the new socket opens mid-pause.
    const draws = [1, 0];
    const { scheduler, publisher } = scripted({
      random: () => draws.shift() ?? 0,
      backoff: { initialMs: 100, maxMs: 100 },
    });
    const done = publisher.publish({ event_type: 'timer_tick', source: 't' });
    await scheduler.advance(0);
    const first = FakeSocket.all[0]!;
    first.open();
    await scheduler.advance(0);
    const sent = JSON.parse(first.sent[0]!) as { ref: number; events: Array<{ id: string }> };
    first.reply({
      status: 'error',
      message: 'storage unavailable; not committed, retry',
      retryable: true,
      ref: sent.ref,
    });
    first.drop();
    await scheduler.advance(50);
    const second = FakeSocket.all[1]!;
    second.open();
    await scheduler.advance(49);
    expect(second.sent).toEqual([]);
    await scheduler.advance(1);
    expect(second.sent).toHaveLength(1);
    ackLast(5);
    await expect(done).resolves.toEqual({ id: sent.events[0]!.id, offset: 5 });
    expect(scheduler.pending).toBe(0);
    publisher.destroy();
  });

  /** Answer the newest socket's next unanswered message with a clean ack; resolves with the ids it carried. */
  function ackLast(from = 1): string[] {
    const socket = FakeSocket.all[FakeSocket.all.length - 1]!;
    const sent = JSON.parse(socket.sent[socket.sent.length - 1]!) as { ref: number; events: Array<{ id: string }> };
    const ids = sent.events.map((event) => event.id);
    const last = from + ids.length - 1;
    socket.reply({
      status: 'ok',
      count: ids.length,
      event_ids: ids,
      first_offset: from,
      last_offset: last,
      ref: sent.ref,
    });
    return ids;
  }

  it('reconnects after a close whose reason names offset 401 or 403, and fails only on a refused upgrade', async () => {
    const { scheduler, publisher } = scripted({ random: () => 0, backoff: { initialMs: 100, maxMs: 100 } });
    const done = publisher.publish({ event_type: 'timer_tick', source: 't' });
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(0);
    FakeSocket.all[0]!.drop(4009, 'ack backlog full; acked through offset 401; committed through 403');
    await scheduler.advance(50);
    FakeSocket.all[1]!.open();
    await scheduler.advance(0);
    FakeSocket.all[1]!.drop(1011, 'ack dropped; acked through offset 403');
    await scheduler.advance(50);
    FakeSocket.all[2]!.open();
    await scheduler.advance(0);
    const ids = ackLast(7);
    await expect(done).resolves.toEqual({ id: ids[0], offset: 7 });

    const refused = publisher.publish({ event_type: 'timer_tick', source: 't' });
    await scheduler.advance(0);
    FakeSocket.all[2]!.drop(1000, 'closed at offset 401');
    await scheduler.advance(50);
    const fourth = FakeSocket.all[3]!;
    fourth.onerror?.({ message: 'Unexpected server response: 403' });
    fourth.drop(1006, '');
    const error = await refused.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect(error).toMatchObject({
      code: 403,
      message: 'the server refused access (403)',
    });
    publisher.destroy();
  });

  it('fails on a 404 upgrade before any socket opened (a wrong URL), and retries one after (a proxy redeploying)', async () => {
    const { scheduler, publisher } = scripted({ random: () => 0, backoff: { initialMs: 100, maxMs: 100 } });
    const first = publisher.publish({ event_type: 'timer_tick', source: 't' });
    await scheduler.advance(0);
    FakeSocket.all[0]!.onerror?.({ message: 'Unexpected server response: 404' });
    FakeSocket.all[0]!.drop(1006, '');
    await expect(first).rejects.toMatchObject({
      name: 'PublishRejectedError',
      code: 404,
      message: 'the server refused the WebSocket upgrade (404), and no connection has been made: check the url option',
    });

    const second = publisher.publish({ event_type: 'timer_tick', source: 't' });
    await scheduler.advance(0);
    FakeSocket.all[1]!.open();
    await scheduler.advance(0);
    FakeSocket.all[1]!.drop(1001, 'server shutting down');
    await scheduler.advance(100);
    FakeSocket.all[2]!.onerror?.({ message: 'Unexpected server response: 404' });
    FakeSocket.all[2]!.drop(1006, '');
    await scheduler.advance(100);
    FakeSocket.all[3]!.open();
    await scheduler.advance(0);
    const ids = ackLast(9);
    await expect(second).resolves.toEqual({ id: ids[0], offset: 9 });
    publisher.destroy();
  });

  it('fails a publish an open but silent server never acknowledges at its deadline, and reconnects for the next', async () => {
    const { scheduler, publisher } = scripted({ deliveryTimeoutMs: 1_000 });
    const first = outcomeOf(publisher.publish({ event_type: 'timer_tick', source: 't' }));
    await scheduler.advance(0);
    const silent = FakeSocket.all[0]!;
    silent.open();
    await scheduler.advance(999);
    expect(silent.sent).toHaveLength(1);
    expect(first()).toBe('pending');
    await scheduler.advance(1);
    expect(first()).toBeInstanceOf(PublishTimeoutError);
    expect((first() as Error).message).toBe(
      'not acknowledged within 1000 ms (last: no acknowledgement within 1000 ms)',
    );
    // The silent socket was let go; its close event, whenever it comes, changes nothing.
    expect(silent.readyState).toBe(3);
    silent.drop(1006);
    expect(scheduler.pending).toBe(0);

    const second = publisher.publish({ event_type: 'timer_tick', source: 't' });
    await scheduler.advance(0);
    const fresh = FakeSocket.all[1]!;
    fresh.open();
    await scheduler.advance(0);
    const ids = ackLast(2);
    await expect(second).resolves.toEqual({ id: ids[0], offset: 2 });
    expect(scheduler.pending).toBe(0);

    // close() drains: a publish the server never answers settles at its deadline, and so does close().
    const third = outcomeOf(publisher.publish({ event_type: 'timer_tick', source: 't' }));
    const closed = outcomeOf(publisher.close());
    await scheduler.advance(999);
    expect([third(), closed()]).toEqual(['pending', 'pending']);
    await scheduler.advance(1);
    expect(third()).toBeInstanceOf(PublishTimeoutError);
    expect(closed()).toBe('resolved');
    expect(scheduler.pending).toBe(0);
  });

  it('fails a publish whose socket never opens at its deadline, and opens a fresh socket for the next', async () => {
    const { scheduler, publisher } = scripted({ deliveryTimeoutMs: 1_000 });
    const first = outcomeOf(publisher.publish({ event_type: 'timer_tick', source: 't' }));
    await scheduler.advance(1_000);
    const hung = FakeSocket.all[0]!;
    expect(first()).toBeInstanceOf(PublishTimeoutError);
    expect(hung.readyState).toBe(3);
    expect(hung.sent).toEqual([]);
    const second = publisher.publish({ event_type: 'timer_tick', source: 't' });
    await scheduler.advance(0);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.open();
    await scheduler.advance(0);
    const ids = ackLast(1);
    await expect(second).resolves.toEqual({ id: ids[0], offset: 1 });
    await publisher.close();
    FakeSocket.all[1]!.drop(1000); // the server answers the close: its 2 s grace timer goes
    expect(scheduler.pending).toBe(0);
  });

  it('close() drains the publishes asked before it and refuses at once the ones asked after it', async () => {
    const { scheduler, publisher } = scripted({});
    const before = publisher.publish({ event_type: 'timer_tick', source: 't' });
    const closed = outcomeOf(publisher.close());
    await expect(publisher.publish({ event_type: 'timer_tick', source: 't' })).rejects.toBeInstanceOf(
      ClientClosedError,
    );
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(0);
    expect(closed()).toBe('pending');
    const ids = ackLast(1);
    await expect(before).resolves.toEqual({ id: ids[0], offset: 1 });
    await scheduler.advance(0);
    expect(closed()).toBe('resolved');
    expect(FakeSocket.all[0]!.sent).toHaveLength(1);
  });

  // Hint: without ready(), publishes waiting for room grow without bound while inFlight reads a flat cap.
  it('counts the events of publishes waiting for room as `waiting`, apart from inFlight and ready() callers', async () => {
    const { scheduler, publisher } = scripted({ maxInFlightEvents: 2, maxBatchEvents: 2 });
    const tick = { event_type: 'timer_tick', source: 't' } as const;
    const all = [publisher.publish(tick), publisher.publish(tick), publisher.publish(tick)];
    all.push(publisher.publishBatch([tick, tick]).then(() => ({ id: 'batch', offset: 0 })));
    const ready = outcomeOf(publisher.ready());
    expect([publisher.inFlight, publisher.waiting]).toEqual([2, 3]);
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(0);
    ackLast(1); // the first two: the third takes room; the batch (2 events) still waits, and ready() behind it
    await scheduler.advance(0);
    expect([publisher.inFlight, publisher.waiting, ready()]).toEqual([1, 2, 'pending']);
    await scheduler.advance(0); // its linger (0 ms) ends: sent
    expect(FakeSocket.all[0]!.sent).toHaveLength(2);
    ackLast(3);
    await scheduler.advance(0);
    expect([publisher.inFlight, publisher.waiting, ready()]).toEqual([2, 0, 'pending']);
    ackLast(4);
    await Promise.all(all);
    expect([publisher.inFlight, publisher.waiting, ready()]).toEqual([0, 0, 'resolved']);
    publisher.destroy();
  });

  it('counts the deadline from the publish call, not from when the in-flight window let it in', async () => {
    const { scheduler, publisher } = scripted({ deliveryTimeoutMs: 1_000, maxInFlightEvents: 1 });
    const first = outcomeOf(publisher.publish({ event_type: 'timer_tick', source: 't' }));
    const waited = outcomeOf(publisher.publish({ event_type: 'timer_tick', source: 't' }));
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(600);
    const later = outcomeOf(publisher.publish({ event_type: 'timer_tick', source: 't' }));
    await scheduler.advance(400);
    // At 1000 ms the first times out; the second got room only then, past its own deadline: refused, never sent.
    expect(first()).toBeInstanceOf(PublishTimeoutError);
    expect(waited()).toBeInstanceOf(PublishTimeoutError);
    expect((waited() as Error).message).toContain('waited for room in the in-flight window');
    expect(later()).toBe('pending');
    FakeSocket.all[1]!.open();
    await scheduler.advance(0);
    expect(FakeSocket.all.flatMap((socket) => socket.sent)).toHaveLength(2);
    // The third was asked for at 600 ms, so it fails at 1600 ms, not 1000 ms after it got room.
    await scheduler.advance(599);
    expect(later()).toBe('pending');
    await scheduler.advance(1);
    expect(later()).toBeInstanceOf(PublishTimeoutError);
    publisher.destroy();
  });

  it('refuses a publishBatch argument that is not an array at once, sends nothing, and still publishes', async () => {
    const { scheduler, publisher } = scripted({});
    const valid = { event_type: 'timer_tick', source: 't' } as const;
    // What a JavaScript caller may pass where the types say an array of events.
    const untyped = (value: unknown) => value as readonly (typeof valid)[];
    for (const [batch, got] of [
      [{ 0: valid, length: 1 }, 'object'],
      [valid, 'object'],
      [null, 'null'],
      ['events', 'string'],
      [undefined, 'undefined'],
    ] as const) {
      const outcome = outcomeOf(publisher.publishBatch(untyped(batch)));
      await scheduler.advance(0);
      expect(outcome()).toEqual(new TypeError(`events: publishBatch expects an array of events, got ${got}`));
      expect(outcome()).toBeInstanceOf(TypeError);
    }
    expect(publisher.inFlight).toBe(0);
    expect(FakeSocket.all).toEqual([]);
    const done = publisher.publish(valid);
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(0);
    const ids = ackLast(1);
    await expect(done).resolves.toEqual({ id: ids[0], offset: 1 });
    await publisher.close();
  });

  it('refuses an event whose JSON is not an object (a Date, a toJSON giving a non-object), sending nothing', async () => {
    const { scheduler, publisher } = scripted({ maxInFlightEvents: 1 });
    const valid = { event_type: 'timer_tick', source: 't' } as const;
    const untyped = (value: unknown) => value as typeof valid;
    const json = (value: unknown) => untyped({ ...valid, toJSON: () => value });
    const refusals: [() => Promise<unknown>, string][] = [
      [() => publisher.publish(untyped(new Date(0))), 'event must be an object, got a Date whose JSON is a string'],
      [() => publisher.publish(json(undefined)), 'event must be an object, got an object whose JSON is undefined'],
      [() => publisher.publish(json(() => 1)), 'event must be an object, got an object whose JSON is undefined'],
      [() => publisher.publish(json('{"id":"x"}')), 'event must be an object, got an object whose JSON is a string'],
      [() => publisher.publish(json(7)), 'event must be an object, got an object whose JSON is a number'],
      [() => publisher.publish(json(null)), 'event must be an object, got an object whose JSON is null'],
      [() => publisher.publish(json(false)), 'event must be an object, got an object whose JSON is a boolean'],
      [() => publisher.publish(json([valid])), 'event must be an object, got an object whose JSON is an array'],
      [
        () => publisher.publishBatch([valid, untyped(new Date(0))]),
        '[1]: event must be an object, got a Date whose JSON is a string',
      ],
    ];
    for (const [call, message] of refusals) {
      const outcome = outcomeOf(call());
      await scheduler.advance(0);
      expect(outcome()).toEqual(new TypeError(message));
      expect(outcome()).toBeInstanceOf(TypeError);
    }
    expect(publisher.inFlight).toBe(0);
    expect(FakeSocket.all).toEqual([]);
    // An object whose toJSON gives an object is sent as that object.
    const done = publisher.publish(json({ ...valid, payload: { via: 'toJSON' } }));
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(0);
    const sent = JSON.parse(FakeSocket.all[0]!.sent[0]!) as { events: Array<Record<string, unknown>> };
    expect(sent.events[0]).toMatchObject({ payload: { via: 'toJSON' } });
    const ids = ackLast(1);
    await expect(done).resolves.toEqual({ id: ids[0], offset: 1 });
    await publisher.close();
  });

  it('gives an event with id null a generated producer id, one id key in its text, kept across a resend', async () => {
    let next = 0;
    const { scheduler, publisher } = scripted({ random: () => 0, newId: () => `gen-${++next}` });
    // What a JavaScript caller may pass (the server reads `"id": null` as no id).
    const event = { event_type: 'timer_tick', source: 't', payload: { id: null }, id: null } as unknown;
    const done = publisher.publish(event as PublishEvent);
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(0);
    FakeSocket.all[0]!.drop(1006);
    await scheduler.advance(100);
    FakeSocket.all[1]!.open();
    await scheduler.advance(0);
    const sent = FakeSocket.all.map((socket) => socket.sent[0]!);
    expect(sent).toHaveLength(2);
    // The text, not its parse: JSON.parse keeps the last of two `id` keys (the server falls off its fast path on one).
    for (const text of sent) {
      expect(text.replace(/^\{"ref":\d+,/, '{')).toBe(
        '{"events":[{"event_type":"timer_tick","source":"t","payload":{"id":null},"id":"gen-1"}]}',
      );
    }
    expect(ackLast(3)).toEqual(['gen-1']);
    await expect(done).resolves.toEqual({ id: 'gen-1', offset: 3 });
    await publisher.close();
  });

  it('refuses undefined, a function or a symbol in an array (JSON would send null), but not as a key value', async () => {
    const { scheduler, publisher } = scripted({});
    const valid = { event_type: 'timer_tick', source: 't' } as const;
    const refusals: [Record<string, unknown>, string][] = [
      [{ arr: [undefined, () => 1] }, 'payload.arr[0] is undefined'],
      [{ arr: [1, () => 1] }, 'payload.arr[1] is a function'],
      [{ deep: { list: [[Symbol('s')]] } }, 'payload.deep.list[0][0] is a symbol'],
    ];
    for (const [payload, found] of refusals) {
      const outcome = outcomeOf(publisher.publish({ ...valid, payload }));
      await scheduler.advance(0);
      expect(outcome()).toEqual(new TypeError(`event cannot be sent as JSON: ${found}, which JSON would send as null`));
    }
    const batch = outcomeOf(publisher.publishBatch([valid, { ...valid, payload: { arr: [undefined] } }]));
    await scheduler.advance(0);
    expect(batch()).toEqual(
      new TypeError('[1]: event cannot be sent as JSON: payload.arr[0] is undefined, which JSON would send as null'),
    );
    expect(FakeSocket.all).toEqual([]);
    // As an object's value, JSON leaves the key out: nothing is lost, so it is sent without it.
    const done = publisher.publish({ ...valid, payload: { gone: undefined, f: () => 1, kept: [null] } });
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(0);
    const sent = JSON.parse(FakeSocket.all[0]!.sent[0]!) as { events: Array<{ payload: unknown }> };
    expect(sent.events[0]!.payload).toEqual({ kept: [null] });
    const ids = ackLast(1);
    await expect(done).resolves.toEqual({ id: ids[0], offset: 1 });
    await publisher.close();
  });

  it('refuses an event that cannot be sent with a TypeError naming it, sends nothing for it, and still drains', async () => {
    const { scheduler, publisher } = scripted({ maxInFlightEvents: 2 });
    const valid = { event_type: 'timer_tick', source: 't' } as const;
    // What a JavaScript caller may pass where the types say an event.
    const untyped = (value: unknown) => value as typeof valid;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const refusals: [() => Promise<unknown>, string][] = [
      [() => publisher.publish(untyped(null)), 'event must be an object, got null'],
      [() => publisher.publish(untyped('x')), 'event must be an object, got string'],
      [() => publisher.publishBatch([valid, untyped(5)]), '[1]: event must be an object, got number'],
      [() => publisher.publishBatch([untyped([]), valid]), '[0]: event must be an object, got an array'],
      [
        () => publisher.publish({ ...valid, payload: { n: 1n } }),
        'event cannot be sent as JSON: payload.n is a BigInt (1n), which JSON cannot carry: send it as a string',
      ],
      [
        () => publisher.publishBatch([valid, { ...valid, payload: cyclic }]),
        '[1]: event cannot be sent as JSON: payload.self refers back to payload (a cycle)',
      ],
      [
        () => publisher.publish({ ...valid, payload: { scores: [1, 0 / 0] } }),
        'event cannot be sent as JSON: payload.scores[1] is NaN, which JSON would send as null',
      ],
      [
        () => publisher.publishBatch([valid, { ...valid, payload: { a: { b: -1 / 0 } } }]),
        '[1]: event cannot be sent as JSON: payload.a.b is -Infinity, which JSON would send as null',
      ],
    ];
    // Hint: each refusal must give its room back: with room for only 2 events, a leak would block the next call.
    for (const [call, message] of refusals) {
      const error = await call().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message.startsWith(message), (error as TypeError).message).toBe(true);
    }
    expect(FakeSocket.all).toEqual([]);
    const done = publisher.publishBatch([valid, valid]);
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    await scheduler.advance(0);
    expect(socket.sent).toHaveLength(1);
    const sent = JSON.parse(socket.sent[0]!) as { ref: number; events: Array<{ id: string }> };
    const ids = sent.events.map((event) => event.id);
    socket.reply({
      status: 'ok',
      count: 2,
      event_ids: ids,
      first_offset: 1,
      last_offset: 2,
      duplicates: 0,
      ref: sent.ref,
    });
    await expect(done).resolves.toEqual([
      { id: ids[0], offset: 1 },
      { id: ids[1], offset: 2 },
    ]);
    const closed = publisher.close();
    await scheduler.advance(0);
    await expect(closed).resolves.toBeUndefined();
  });
});

describe('Subscription on scripted sockets and a manual clock', () => {
  it('lets go of the socket when its buffer is full and resumes from the next offset once the consumer drains it', async () => {
    FakeSocket.all = [];
    const scheduler = new ManualScheduler();
    const sub = subscribe({
      url: 'http://test',
      WebSocket: FakeSocket,
      scheduler,
      from: 1,
      maxBufferedEvents: 4,
      idleTimeoutMs: 0,
    });
    await scheduler.advance(0);
    const first = FakeSocket.all[0]!;
    first.open();
    expect(JSON.parse(first.sent[0]!)).toMatchObject({ from_offset: 1, batch: true, checkpoints: true });
    first.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 10, epoch: 'e1', from_offset: 1 });
    first.onmessage?.({ data: JSON.stringify([1, 2, 3, 4].map(record)) });
    expect(first.readyState).toBe(3);
    const iterator = sub[Symbol.asyncIterator]();
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) seen.push(((await iterator.next()).value as EventRecord).offset);
    expect(FakeSocket.all.length).toBe(2);
    const second = FakeSocket.all[1]!;
    second.open();
    expect(JSON.parse(second.sent[0]!)).toMatchObject({ from_offset: 5 });
    second.reply({ status: 'subscribed', subscriber_id: 's2', head_offset: 10, epoch: 'e1', from_offset: 5 });
    second.onmessage?.({ data: JSON.stringify([4, 5].map(record)) });
    seen.push(
      ((await iterator.next()).value as EventRecord).offset,
      ((await iterator.next()).value as EventRecord).offset,
    );
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    await sub.close();
  });

  it('says once that it follows again, from which offset, when the server acknowledges it after reconnecting', async () => {
    const { sub, scheduler, notices, socket } = await scriptedFromStart({
      random: () => 0,
      backoff: { initialMs: 100 },
    });
    socket.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 20, epoch: 'e1', from_offset: 1 });
    socket.onmessage?.({ data: JSON.stringify([1, 2, 3].map(record)) });
    expect(notices).toEqual([]);
    socket.drop(1001, 'server shutting down');
    await scheduler.advance(100);
    FakeSocket.all[1]!.drop(1006, '');
    await scheduler.advance(1_000);
    const third = FakeSocket.all[2]!;
    third.open();
    third.reply({ status: 'subscribed', subscriber_id: 's3', head_offset: 20, epoch: 'e1', from_offset: 4 });
    third.onmessage?.({ data: JSON.stringify([4].map(record)) });
    expect(notices).toEqual([
      'reconnecting: closed 1001 (server shutting down); reconnecting in 50 ms from offset 4',
      'reconnecting: closed 1006; reconnecting in 100 ms from offset 4',
      'resumed: following again from offset 4',
    ]);
    await sub.close();
  });

  it('tells a retention notice where its gap is: after the records received before it have been handed out', async () => {
    const { sub, notices, socket } = await scriptedFromStart();
    socket.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 20, epoch: 'e1', from_offset: 1 });
    socket.onmessage?.({ data: JSON.stringify([1, 2, 3].map(record)) });
    socket.reply({ type: 'retention', message: 'offsets 4-9 were deleted', first_available_offset: 10 });
    socket.onmessage?.({ data: JSON.stringify([10, 11].map(record)) });
    const iterator = sub[Symbol.asyncIterator]();
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const offset = ((await iterator.next()).value as EventRecord).offset;
      seen.push(`${offset} after ${notices.length} notice(s)`);
    }
    expect(seen).toEqual([
      '1 after 0 notice(s)',
      '2 after 0 notice(s)',
      '3 after 0 notice(s)',
      '10 after 1 notice(s)',
      '11 after 1 notice(s)',
    ]);
    expect(notices).toEqual(['retention: offsets 4-9 were deleted']);
    await sub.close();
  });

  it('backs off at least half a second after 1013, resumes after a checkpoint, and fails with LogReplacedError on a new epoch', async () => {
    FakeSocket.all = [];
    const scheduler = new ManualScheduler();
    const store = memoryPositionStore();
    const sub = subscribe({
      url: 'http://test',
      WebSocket: FakeSocket,
      scheduler,
      random: () => 0,
      from: 1,
      store,
      key: 'k',
      idleTimeoutMs: 0,
      backoff: { initialMs: 10 },
    });
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.reply({ status: 'error', message: 'Server at subscriber capacity' });
    FakeSocket.all[0]!.drop(1013);
    await scheduler.advance(499);
    expect(FakeSocket.all.length).toBe(1);
    await scheduler.advance(1);
    const second = FakeSocket.all[1]!;
    second.open();
    second.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 50, epoch: 'e1', from_offset: 1 });
    second.reply({ type: 'checkpoint', offset: 40 });
    second.drop(1001);
    await scheduler.advance(10);
    const third = FakeSocket.all[2]!;
    third.open();
    expect(JSON.parse(third.sent[0]!)).toMatchObject({ from_offset: 41 });
    third.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 3, epoch: 'e2', from_offset: 41 });
    const iterator = sub[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toBeInstanceOf(LogReplacedError);
    expect(sub.current).toEqual({ offset: 40, epoch: 'e1' });
    await sub.close();
    expect(await store.load('k')).toEqual({ offset: 40, epoch: 'e1' });
  });

  it('on beyond_head under a confirmed epoch, skips what it received already instead of handing it out twice', async () => {
    const { sub, scheduler, notices, socket: first } = await scriptedFromStart();
    first.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 50, epoch: 'e1', from_offset: 1 });
    first.onmessage?.({ data: JSON.stringify(Array.from({ length: 50 }, (_, i) => record(i + 1))) });
    const iterator = sub[Symbol.asyncIterator]();
    const seen: number[] = [];
    for (let i = 0; i < 30; i++) seen.push(((await iterator.next()).value as EventRecord).offset);
    first.drop(1006);
    await scheduler.advance(5_000);
    // A node whose view stops at 20 (an older server: no confirmation with the stream) rewinds to 21.
    const second = FakeSocket.all[1]!;
    second.open();
    expect(JSON.parse(second.sent[0]!)).toMatchObject({ from_offset: 51 });
    const beyond_head = {
      requested_from_offset: 51,
      message: 'from_offset 51 is beyond the head (20); starting at 21',
    };
    second.reply({
      status: 'subscribed',
      subscriber_id: 's',
      head_offset: 20,
      epoch: 'e1',
      from_offset: 21,
      beyond_head,
    });
    second.onmessage?.({ data: JSON.stringify(Array.from({ length: 35 }, (_, i) => record(i + 21))) });
    for (let i = 0; i < 25; i++) seen.push(((await iterator.next()).value as EventRecord).offset);
    expect(seen).toEqual(Array.from({ length: 55 }, (_, i) => i + 1));
    expect(notices.at(-1)).toBe(
      'beyond_head: from_offset 51 is beyond the head (20); starting at 21; offsets up to 50 were received already under this epoch (the log went back; restored from an older copy?): skipped',
    );
    expect(sub.nextOffset).toBe(56);
    await sub.close();
  });

  it('on beyond_head for a from number of its own (no epoch yet), starts where the server does, as before', async () => {
    FakeSocket.all = [];
    const scheduler = new ManualScheduler();
    const sub = subscribe({ url: 'http://test', WebSocket: FakeSocket, scheduler, from: 1000, idleTimeoutMs: 0 });
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    const beyond_head = {
      requested_from_offset: 1000,
      message: 'from_offset 1000 is beyond the head (10); starting at 11',
    };
    socket.reply({
      status: 'subscribed',
      subscriber_id: 's',
      head_offset: 10,
      epoch: 'e1',
      from_offset: 11,
      beyond_head,
    });
    socket.onmessage?.({ data: JSON.stringify([record(11)]) });
    expect(((await sub[Symbol.asyncIterator]().next()).value as EventRecord).offset).toBe(11);
    await sub.close();
  });

  // A dying server (or a proxy) may end the socket with 1006 instead of the 1013 that follows the refusal.
  for (const [code, reason] of [
    [1013, 'cannot confirm from_offset 51 with the stream; retry'],
    [1006, ''],
  ] as const) {
    it(`retries a refusal the server marks retryable (then close ${code}), asking again from the same offset`, async () => {
      FakeSocket.all = [];
      const scheduler = new ManualScheduler();
      const notices: string[] = [];
      const sub = subscribe({
        url: 'http://test',
        WebSocket: FakeSocket,
        scheduler,
        random: () => 0,
        from: { offset: 50, epoch: 'e1' },
        idleTimeoutMs: 0,
        onNotice: (notice) => notices.push(notice.message),
      });
      await scheduler.advance(0);
      const first = FakeSocket.all[0]!;
      first.open();
      first.reply({
        status: 'error',
        message: 'cannot confirm from_offset 51 with the stream (…); retry',
        retryable: true,
      });
      first.drop(code, reason);
      await scheduler.advance(499);
      expect(FakeSocket.all).toHaveLength(1);
      await scheduler.advance(1);
      expect(FakeSocket.all).toHaveLength(2);
      expect(notices.at(-1)).toMatch(new RegExp(`closed ${code}.*; reconnecting in 500 ms from offset 51`));
      const second = FakeSocket.all[1]!;
      second.open();
      expect(JSON.parse(second.sent[0]!)).toMatchObject({ from_offset: 51 });
      second.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 60, epoch: 'e1', from_offset: 51 });
      second.onmessage?.({ data: JSON.stringify([record(51)]) });
      expect(((await sub[Symbol.asyncIterator]().next()).value as EventRecord).offset).toBe(51);
      await sub.close();
    });
  }

  it('callbacks: onEvent gets records in order, one at a time, and onError gets the typed error', async () => {
    FakeSocket.all = [];
    const scheduler = new ManualScheduler();
    const seen: number[] = [];
    const errors: Error[] = [];
    let release: () => void = () => undefined;
    const sub = subscribe({
      url: 'http://test',
      WebSocket: FakeSocket,
      scheduler,
      from: { offset: 2, epoch: 'e1' },
      idleTimeoutMs: 0,
      onEvent: (event) => {
        seen.push(event.offset);
        // Hint: the first record is held until the test releases it; the second must wait for it.
        if (event.offset === 3) return new Promise<void>((resolve) => (release = resolve));
      },
      onError: (error) => errors.push(error),
    });
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    expect(JSON.parse(socket.sent[0]!)).toMatchObject({ from_offset: 3 });
    socket.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 9, epoch: 'e1', from_offset: 3 });
    socket.onmessage?.({ data: JSON.stringify([3, 4].map(record)) });
    await scheduler.advance(0);
    expect(seen).toEqual([3]);
    release();
    await scheduler.advance(0);
    expect(seen).toEqual([3, 4]);
    socket.drop(1006);
    await scheduler.advance(5_000);
    const next = FakeSocket.all[1]!;
    next.open();
    next.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 0, epoch: 'e9', from_offset: 5 });
    await scheduler.advance(0);
    expect(errors.map((e) => e.name)).toEqual(['LogReplacedError']);
    await sub.close();
  });
});
