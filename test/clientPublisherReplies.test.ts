import { describe, expect, it } from 'vitest';
import { Publisher, type PublisherOptions } from '../src/client/index.js';
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
});
