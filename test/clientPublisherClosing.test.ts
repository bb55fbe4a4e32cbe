import { expect, it } from 'vitest';
import { Publisher } from '../src/client/index.js';
import { ack, FakeSocket, ManualScheduler, sentOn } from './support/scriptedClient.js';

const sources = (socket: FakeSocket): string[] => sentOn(socket).flatMap((m) => m.events.map((e) => e.source));

/** Ack every message sent on `socket`, from `offset` on. */
function ackAll(socket: FakeSocket, offset: number): void {
  for (const m of sentOn(socket)) {
    ack(socket, m, offset);
    offset += m.events.length;
  }
}

// Hint: when the server sends its close frame (1011 ack dropped, 4009 ack backlog, 1001 going away), `ws` sets the
// socket CLOSING at once and emits `close` a round trip later; a browser queues the close event as a task.
it.each([
  ['CLOSING', 2],
  ['CLOSED', 3],
])('resends what was in flight on a socket found %s before its close event, on the next socket', async (_, state) => {
  FakeSocket.all = [];
  const scheduler = new ManualScheduler();
  const notices: string[] = [];
  const publisher = new Publisher({
    url: 'http://test',
    WebSocket: FakeSocket,
    scheduler,
    lingerMs: 0,
    maxBatchEvents: 1,
    random: () => 0,
    backoff: { initialMs: 100, maxMs: 100 },
    onNotice: (notice) => notices.push(`${notice.kind}: ${notice.message}`),
  });
  const one = publisher.publish({ event_type: 'timer_tick', source: 'one' });
  await scheduler.advance(0);
  const first = FakeSocket.all[0]!;
  first.open();
  await scheduler.advance(0);
  expect(sources(first)).toEqual(['one']);
  first.readyState = state;
  const two = publisher.publish({ event_type: 'timer_tick', source: 'two' });
  await scheduler.advance(0);
  expect(notices).toEqual([
    'reconnecting: connection closing; reconnecting in 50 ms with 2 event(s) not acknowledged yet',
  ]);
  first.drop(1011, 'ack dropped'); // its close event, late: the socket was given up already
  await scheduler.advance(50);
  expect(FakeSocket.all).toHaveLength(2);
  const second = FakeSocket.all[1]!;
  second.open();
  await scheduler.advance(0);
  expect(sources(second)).toEqual(['one', 'two']);
  ackAll(second, 7);
  await expect(one).resolves.toMatchObject({ offset: 7 });
  await expect(two).resolves.toMatchObject({ offset: 8 });
  expect(notices).toHaveLength(2);
  expect(notices[1]).toBe('resumed: connected again after: connection closing');
  publisher.destroy();
});
