import { describe, expect, it } from 'vitest';
import { PipelineClientError, Publisher, type PublisherNotice, type PublisherOptions } from '../src/client/index.js';
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
    // Nothing heard for 15 s while an answer is owed: the socket is dropped, and the event resent on a new one.
    await scheduler.advance(15_000 + 50);
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

describe('Publisher telling its onNotice, and waiting out a server that holds a publish', () => {
  it("hears a server's retryable refusal after a 10 s hold, and the timeout names it, not 'no acknowledgement'", async () => {
    const notices: PublisherNotice[] = [];
    const { scheduler, publisher } = scripted({ deliveryTimeoutMs: 20_000, onNotice: (n) => notices.push(n) });
    const published = outcomeOf(publisher.publish(event));
    await scheduler.advance(0);
    const socket = FakeSocket.all[0]!;
    socket.open();
    await scheduler.advance(0);
    // A cluster node holds a publish NATS_PUBLISH_TIMEOUT_MS (10 s) before its 503. Before: the socket was presumed
    // dead at 10 s, just before that answer, and the timeout said only "no acknowledgement within 10000 ms" (probe).
    await scheduler.advance(10_000);
    expect(FakeSocket.all).toHaveLength(1);
    const [held] = sentOn(socket);
    const why = 'the JetStream cluster did not acknowledge the event (timeout)';
    socket.reply({ status: 'error', message: why, retryable: true, ref: held!.ref });
    await scheduler.advance(0);
    expect(notices).toEqual([{ kind: 'retrying', message: `${why}; sending again in 50 ms` }]);
    await scheduler.advance(10_000);
    expect(published()).toMatchObject({
      name: 'PublishTimeoutError',
      message: `not acknowledged within 20000 ms (last: ${why})`,
    });
    publisher.destroy();
  });

  it('says reconnecting when its socket is lost with events unacknowledged, and resumed once one opens', async () => {
    const notices: PublisherNotice[] = [];
    const { scheduler, publisher } = scripted({ deliveryTimeoutMs: 60_000, onNotice: (n) => notices.push(n) });
    const published = publisher.publishBatch([event, event]);
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(0);
    FakeSocket.all[0]!.drop(1006, 'connect ECONNRESET');
    expect(notices).toEqual([
      {
        kind: 'reconnecting',
        message: 'closed 1006 connect ECONNRESET; reconnecting in 50 ms with 2 event(s) not acknowledged yet',
      },
    ]);
    await scheduler.advance(50);
    const fresh = FakeSocket.all[1]!;
    fresh.open();
    await scheduler.advance(0);
    expect(notices.slice(1)).toEqual([
      { kind: 'resumed', message: 'connected again after: closed 1006 connect ECONNRESET' },
    ]);
    const [resent] = sentOn(fresh);
    const ids = resent!.events.map((e) => e.id);
    fresh.reply({ status: 'ok', ref: resent!.ref, count: 2, event_ids: ids, first_offset: 1, last_offset: 2 });
    await expect(published).resolves.toEqual([
      { id: ids[0], offset: 1 },
      { id: ids[1], offset: 2 },
    ]);
    // A socket opened with nothing lost before it says nothing.
    expect(notices).toHaveLength(2);
    publisher.destroy();
  });

  it('says a timeout came on a connection opened after the trouble it names, not only the trouble', async () => {
    const { scheduler, publisher } = scripted({ deliveryTimeoutMs: 5_000 });
    const published = outcomeOf(publisher.publish(event));
    await scheduler.advance(0);
    FakeSocket.all[0]!.drop(1006, 'connect ECONNREFUSED 127.0.0.1:44301');
    await scheduler.advance(50);
    // The node is back and holds the publish (catching up, say): nothing is heard until the deadline.
    FakeSocket.all[1]!.open();
    await scheduler.advance(5_000);
    expect(published()).toMatchObject({
      name: 'PublishTimeoutError',
      message:
        'not acknowledged within 5000 ms (last: closed 1006 connect ECONNREFUSED 127.0.0.1:44301; connected again ' +
        'since, with no acknowledgement)',
    });
    publisher.destroy();
  });

  it('fails its publishes, not the host, when onNotice throws', async () => {
    const { scheduler, publisher } = scripted({
      onNotice: () => {
        throw new Error('logger broke');
      },
    });
    const published = outcomeOf(publisher.publish(event));
    await scheduler.advance(0);
    FakeSocket.all[0]!.open();
    await scheduler.advance(0);
    FakeSocket.all[0]!.drop(1006, '');
    await scheduler.advance(0);
    expect(published()).toBeInstanceOf(PipelineClientError);
    expect((published() as Error).message).toBe('onNotice threw: logger broke');
    expect(publisher.inFlight).toBe(0);
    publisher.destroy();
  });
});
