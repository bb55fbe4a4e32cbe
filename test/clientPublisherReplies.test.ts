import { describe, expect, it } from 'vitest';
import { PipelineClientError, Publisher, type PublisherOptions } from '../src/client/index.js';
import { FakeSocket, ManualScheduler, outcomeOf } from './support/scriptedClient.js';

/** A Publisher whose sockets are `Socket`s (none made yet) and whose time moves only with `scheduler`. */
function scripted(options: Partial<PublisherOptions>, Socket: typeof FakeSocket = FakeSocket) {
  FakeSocket.all = [];
  const scheduler = new ManualScheduler();
  const publisher = new Publisher({
    url: 'http://test',
    WebSocket: Socket,
    scheduler,
    lingerMs: 0,
    random: () => 0,
    backoff: { initialMs: 100, maxMs: 100 },
    ...options,
  });
  return { scheduler, publisher };
}

type Sent = { ref: number; events: Array<{ id: string }> };
const sentOn = (socket: FakeSocket): Sent[] => socket.sent.map((text) => JSON.parse(text) as Sent);
const event = { event_type: 'timer_tick', source: 't' } as const;

/** A socket whose `send` throws while `failing` is set (a platform socket refusing a frame, or a bug under it). */
class ThrowingSocket extends FakeSocket {
  static failing = true;
  override send(data: string): void {
    if (ThrowingSocket.failing) throw new Error('send failed: socket in a bad state');
    super.send(data);
  }
}

describe('Publisher on a scripted socket whose replies break the protocol', () => {
  it('fails a batch split to learn its offsets at once when the acks of its parts do not fit, resending nothing', async () => {
    const { scheduler, publisher } = scripted({ deliveryTimeoutMs: 5_000 });
    const batch = outcomeOf(publisher.publishBatch([event, event, event]));
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    await scheduler.advance(0);
    const [first] = sentOn(socket);
    const ids = first!.events.map((e) => e.id);
    // An older server's ack (duplicates, no offsets): each event goes again alone to learn its offset.
    socket.reply({
      status: 'ok',
      ref: first!.ref,
      count: 3,
      event_ids: ids,
      first_offset: 7,
      last_offset: 9,
      duplicates: 1,
    });
    await scheduler.advance(0);
    const solo = sentOn(socket).slice(1);
    expect(solo.map((m) => m.events.map((e) => e.id))).toEqual(ids.map((id) => [id]));
    // Each part's ack counts two events: the batch fails, naming it, and nothing is sent again.
    for (const m of solo) {
      const id = m.events[0]!.id;
      socket.reply({ status: 'ok', ref: m.ref, count: 2, event_ids: [id, id], first_offset: 3, last_offset: 4 });
    }
    await scheduler.advance(0);
    expect(batch()).toMatchObject({ name: 'PublishProtocolError', field: 'count', ids });
    expect(socket.sent).toHaveLength(4);
    // Its deadline passes with nothing left to fail (the wrappers once nested a level per resend, and overflowed).
    await scheduler.advance(5_000);
    expect(socket.sent).toHaveLength(4);
    expect(publisher.inFlight).toBe(0);
    publisher.destroy();
  });

  it("ignores a late reply on a socket it dropped: it answers none of the new socket's messages", async () => {
    const { scheduler, publisher } = scripted({ deliveryTimeoutMs: 60_000 });
    const published = publisher.publish(event);
    await scheduler.advance(0);
    const silent = FakeSocket.all[0]!;
    silent.open();
    // Nothing heard for 10 s while an answer is owed: the socket is dropped, and the event resent on a new one.
    await scheduler.advance(10_000 + 50);
    const fresh = FakeSocket.all[1]!;
    fresh.open();
    await scheduler.advance(0);
    const [resent] = sentOn(fresh);
    // The dropped socket's ref-less error (a reply to its own message) was taken as the new message's answer.
    silent.onmessage?.({ data: JSON.stringify({ status: 'error', message: '[0].source: refused' }) });
    await scheduler.advance(0);
    const id = resent!.events[0]!.id;
    fresh.reply({ status: 'ok', ref: resent!.ref, count: 1, event_ids: [id], first_offset: 3, last_offset: 3 });
    await expect(published).resolves.toEqual({ id, offset: 3 });
    publisher.destroy();
  });
});

describe('Publisher when its own handling throws (the last resort)', () => {
  it('fails the publishes instead of throwing out of the socket handler or a timer, and publishes on afterwards', async () => {
    ThrowingSocket.failing = true;
    const { scheduler, publisher } = scripted({ lingerMs: 5 }, ThrowingSocket);
    const lingering = outcomeOf(publisher.publish(event));
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    // The send runs from the linger timer: before, its throw went up through the timer (ending a Node process).
    await scheduler.advance(5);
    expect(lingering()).toBeInstanceOf(PipelineClientError);
    expect((lingering() as Error).message).toBe('publisher failed: send failed: socket in a bad state');
    expect((lingering() as Error).cause).toBeInstanceOf(Error);
    expect(publisher.inFlight).toBe(0);

    // A batch is full at once, so its send runs in the socket's open handler.
    const full = scripted({ maxBatchEvents: 1 }, ThrowingSocket);
    const batch = outcomeOf(full.publisher.publish(event));
    await full.scheduler.advance(0);
    expect(() => FakeSocket.all[0]!.open()).not.toThrow();
    await full.scheduler.advance(0);
    expect(batch()).toMatchObject({ name: 'PipelineClientError' });

    ThrowingSocket.failing = false;
    const after = full.publisher.publish(event);
    await full.scheduler.advance(0);
    const fresh = FakeSocket.all.at(-1)!;
    fresh.open();
    await full.scheduler.advance(0);
    const [m] = sentOn(fresh);
    const id = m!.events[0]!.id;
    fresh.reply({ status: 'ok', ref: m!.ref, count: 1, event_ids: [id], first_offset: 1, last_offset: 1 });
    await expect(after).resolves.toEqual({ id, offset: 1 });
    publisher.destroy();
    full.publisher.destroy();
  });
});
