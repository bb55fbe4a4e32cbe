import { describe, expect, it } from 'vitest';
import { type PublishEvent, Publisher } from '../src/client/index.js';
import { FakeSocket, ManualScheduler, outcomeOf } from './support/scriptedClient.js';

/** A `ws`-like socket whose peer never answers a close (a stalled network): only terminate() ends it. */
class StalledSocket extends FakeSocket {
  static ended: string[] = [];
  override close(code?: number, reason?: string): void {
    StalledSocket.ended.push(`close ${code} ${reason}`);
  }
  terminate(): void {
    StalledSocket.ended.push('terminate');
    this.readyState = 3;
  }
}

const tick: PublishEvent = { event_type: 'timer_tick', source: 'close_test', payload: {} };

/** A publisher on StalledSockets and a manual clock, with one publish acked on its open socket. */
async function warm() {
  FakeSocket.all = [];
  StalledSocket.ended = [];
  const scheduler = new ManualScheduler();
  const publisher = new Publisher({ url: 'http://test', WebSocket: StalledSocket, scheduler, lingerMs: 0 });
  const first = publisher.publish(tick);
  await scheduler.advance(0);
  const socket = FakeSocket.all[0]!;
  socket.open();
  await scheduler.advance(0);
  const sent = JSON.parse(socket.sent[0]!) as { ref: number; events: Array<{ id: string }> };
  const id = sent.events[0]!.id;
  socket.reply({ status: 'ok', count: 1, event_ids: [id], first_offset: 1, last_offset: 1, ref: sent.ref });
  await first;
  return { scheduler, publisher, socket };
}

describe('Publisher ending a socket whose peer does not answer', () => {
  // Hint: `ws` waits 30 s for the close frame back; on a stalled connection that held the process for 30 s after
  // close() (the CLI's Ctrl-C exited 35 s after SIGINT), as the subscriber's close no longer did.
  it('close() and destroy() send a close, then terminate the socket 2 s later and hold no timer', async () => {
    for (const end of ['close', 'destroy'] as const) {
      const { scheduler, publisher } = await warm();
      if (end === 'close') await publisher.close();
      else publisher.destroy();
      const reason = end === 'close' ? 'publisher closed' : 'publisher destroyed';
      expect(StalledSocket.ended, end).toEqual([`close 1000 ${reason}`]);
      await scheduler.advance(1_999);
      expect(StalledSocket.ended, end).toEqual([`close 1000 ${reason}`]);
      await scheduler.advance(1);
      expect(StalledSocket.ended, end).toEqual([`close 1000 ${reason}`, 'terminate']);
      expect(scheduler.pending, end).toBe(0);
    }
  });

  it('holds no timer once the close handshake is done', async () => {
    const { scheduler, publisher, socket } = await warm();
    await publisher.close();
    socket.drop(1000, 'publisher closed');
    expect(scheduler.pending).toBe(0);
    await scheduler.advance(5_000);
    expect(StalledSocket.ended).toEqual(['close 1000 publisher closed']);
  });

  it('terminates at once a socket it gives up on as dead, and carries on on a new one', async () => {
    const { scheduler, publisher } = await warm();
    const owed = outcomeOf(publisher.publish(tick));
    await scheduler.advance(15_000); // an answer owed 15 s with nothing heard
    expect(StalledSocket.ended).toEqual(['terminate']);
    await scheduler.advance(1_000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(owed()).toBe('pending');
    publisher.destroy();
  });
});
