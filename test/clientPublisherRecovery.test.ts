import { describe, expect, it } from 'vitest';
import { Publisher, type PublisherOptions } from '../src/client/index.js';
import { ack, FakeSocket, ManualScheduler, outcomeOf, sentOn } from './support/scriptedClient.js';

/** A Publisher whose sockets are FakeSockets (none made yet) and whose time moves only with `scheduler`. */
function scripted(options: Partial<PublisherOptions>): { scheduler: ManualScheduler; publisher: Publisher } {
  FakeSocket.all = [];
  const scheduler = new ManualScheduler();
  const publisher = new Publisher({ url: 'http://test', WebSocket: FakeSocket, scheduler, lingerMs: 0, ...options });
  return { scheduler, publisher };
}

describe('Publisher after a close for too many invalid messages', () => {
  it('resends the valid event awaiting its answer with its id, rather than failing it with the notice', async () => {
    const { scheduler, publisher } = scripted({
      maxInFlightMessages: 1,
      maxBatchEvents: 1,
      random: () => 0,
      backoff: { initialMs: 100, maxMs: 100 },
    });
    const bad = outcomeOf(publisher.publish({ event_type: 'timer_tick', source: 'bad src' }));
    const good = publisher.publish({ event_type: 'timer_tick', source: 'good' });
    await scheduler.advance(0);
    const first = FakeSocket.all[0]!;
    first.open();
    await scheduler.advance(0);
    // The invalid event gets its own answer; the valid one goes out next, and the budget's notice (no ref) comes.
    const [invalid] = sentOn(first);
    first.reply({ status: 'error', message: '[0].source: must match ^[a-z_]+$', ref: invalid!.ref });
    await scheduler.advance(0);
    const valid = sentOn(first)[1]!;
    expect(valid.events[0]!.source).toBe('good');
    first.reply({ status: 'error', message: 'too many invalid messages: at most 1000 per 10 s' });
    first.drop(1008, 'too many invalid messages: at most 1000 per 10 s; acked through offset 4; committed through 4');
    await scheduler.advance(0);
    expect(bad()).toMatchObject({ name: 'PublishRejectedError', field: 'source' });
    await scheduler.advance(50);
    const second = FakeSocket.all[1]!;
    second.open();
    await scheduler.advance(0);
    const resent = sentOn(second);
    expect(resent.map((m) => m.events.map((e) => e.id))).toEqual([[valid.events[0]!.id]]);
    ack(second, resent[0]!, 5);
    await expect(good).resolves.toEqual({ id: valid.events[0]!.id, offset: 5 });
    publisher.destroy();
  });
});

describe('Publisher after an outage, with deliveryTimeoutMs shorter than the backoff cap', () => {
  it('fails the units resent past their deadline with their ids, without condemning the fresh socket that carries them', async () => {
    const { scheduler, publisher } = scripted({
      deliveryTimeoutMs: 1_000,
      random: () => 0,
      backoff: { initialMs: 100, maxMs: 100 },
    });
    const early = outcomeOf(publisher.publish({ event_type: 'timer_tick', source: 'early' }));
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(400);
    const earlyId = sentOn(FakeSocket.all[0]!)[0]!.events[0]!.id;
    FakeSocket.all[0]!.drop(1006);
    // The server is back just before the early publish's deadline: the fresh socket opens and carries it again.
    await scheduler.advance(540);
    const fresh = FakeSocket.all[1]!;
    fresh.open();
    await scheduler.advance(55);
    const late = publisher.publish({ event_type: 'timer_tick', source: 'late' });
    await scheduler.advance(5);
    expect(fresh.readyState).toBe(1);
    expect(early()).toMatchObject({ name: 'PublishTimeoutError', ids: [earlyId] });
    const [resent, next] = sentOn(fresh);
    expect(resent!.events[0]!.id).toBe(earlyId);
    // The early unit's answer, when it comes, changes nothing; the late one resolves on the same socket.
    ack(fresh, resent!, 7);
    ack(fresh, next!, 8);
    await expect(late).resolves.toEqual({ id: next!.events[0]!.id, offset: 8 });
    expect(FakeSocket.all).toHaveLength(2);
    expect(publisher.inFlight).toBe(0);
    await publisher.close();
    fresh.drop(1000); // the server answers the close: its 2 s grace timer goes
    expect(scheduler.pending).toBe(0);
  });

  it('drops a handshake unanswered for 10 s and opens a fresh socket, long before the default 120 s deadline', async () => {
    const { scheduler, publisher } = scripted({ random: () => 0, backoff: { initialMs: 100, maxMs: 100 } });
    const done = publisher.publish({ event_type: 'timer_tick', source: 't' });
    await scheduler.advance(9_999);
    expect(FakeSocket.all[0]!.readyState).toBe(0);
    await scheduler.advance(1);
    expect(FakeSocket.all[0]!.readyState).toBe(3);
    await scheduler.advance(50);
    const fresh = FakeSocket.all[1]!;
    fresh.open();
    await scheduler.advance(0);
    const [message] = sentOn(fresh);
    ack(fresh, message!, 1);
    await expect(done).resolves.toEqual({ id: message!.events[0]!.id, offset: 1 });
    publisher.destroy();
  });
});

describe('Publisher and messages over maxMessageBytes', () => {
  it('refuses at once an event or a batch over maxMessageBytes as a message, naming the size and the limit, and sends nothing', async () => {
    // Hint: maxBatchBytes out of the way, so only maxMessageBytes keeps the two events below apart.
    const { scheduler, publisher } = scripted({ maxBatchBytes: 2 ** 30 });
    const huge = { event_type: 'timer_tick' as const, source: 't', payload: { blob: 'x'.repeat(4 * 1024 * 1024) } };
    await expect(publisher.publish(huge)).rejects.toThrow(
      /^event is 41944\d{2} bytes as a message \(4\.0 MiB\), over maxMessageBytes \(3355443 bytes, 3\.2 MiB: the default/,
    );
    const half = { event_type: 'timer_tick' as const, source: 't', payload: { blob: 'x'.repeat(1_700_000) } };
    await expect(publisher.publishBatch([half, half])).rejects.toBeInstanceOf(RangeError);
    await scheduler.advance(0);
    expect(FakeSocket.all).toHaveLength(0);
    expect(publisher.inFlight).toBe(0);
    // Two such events published one by one each fit: they go in a message each, not merged into one too large.
    const both = [publisher.publish(half), publisher.publish(half)];
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    await scheduler.advance(0);
    const sent = sentOn(socket);
    expect(sent.map((m) => m.events.length)).toEqual([1, 1]);
    for (const [i, m] of sent.entries()) ack(socket, m, i + 1);
    expect((await Promise.all(both)).map((a) => a.offset)).toEqual([1, 2]);
    publisher.destroy();
  });

  it('takes such an event with maxMessageBytes raised to match the server, and merges up to it', async () => {
    const { scheduler, publisher } = scripted({ maxBatchBytes: 2 ** 30, maxMessageBytes: 8 * 1024 * 1024 });
    const big = { event_type: 'timer_tick' as const, source: 't', payload: { blob: 'x'.repeat(4 * 1024 * 1024) } };
    const small = { event_type: 'timer_tick' as const, source: 't', payload: { blob: 'x'.repeat(100 * 1024) } };
    const done = [publisher.publish(big), publisher.publish(small), publisher.publish(small)];
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    await scheduler.advance(0);
    // 4 MiB is over a third of 8 MiB less the envelope: a unit that large goes alone; the small ones merge.
    const sent = sentOn(socket);
    expect(sent.map((m) => m.events.length)).toEqual([1, 2]);
    ack(socket, sent[0]!, 1);
    ack(socket, sent[1]!, 2);
    expect((await Promise.all(done)).map((a) => a.offset)).toEqual([1, 2, 3]);
    publisher.destroy();
  });
});
