import { describe, expect, it } from 'vitest';
import type { Position, Subscription } from '../src/client/index.js';
import { FakeSocket, record, scriptedFromStart } from './support/scriptedClient.js';

describe('a subscription after close()', () => {
  it('saves nothing once close() resolved, when the loop body that called it leaves the loop afterwards', async () => {
    const saves: Position[] = [];
    const store = { load: () => null, save: (_key: string, position: Position) => void saves.push(position) };
    const { sub, socket, scheduler } = await scriptedFromStart({ store, key: 'k', random: () => 0 });
    socket.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 2, epoch: 'e1' });
    socket.reply([record(1), record(2)]);
    let savedAtClose = -1;
    for await (const event of sub) {
      expect(event.offset).toBe(1);
      await sub.close(); // a shutdown asked while this record is handled: it is not counted as handled
      savedAtClose = saves.length;
      break; // the loop's return() came after close() resolved; before the fix it moved the position to 1 and saved it
    }
    await scheduler.advance(10_000);
    expect(saves.slice(0, savedAtClose)).toEqual([{ offset: 0, epoch: 'e1' }]);
    expect(saves.slice(savedAtClose)).toEqual([]);
    expect(sub.current).toEqual({ offset: 0, epoch: 'e1' });
    expect(scheduler.pending).toBe(0);
  });

  it("called from onNotice('reconnecting'), leaves no reconnect timer behind to hold the process", async () => {
    let sub: Subscription | null = null;
    let closing: Promise<void> | null = null;
    const notices: string[] = [];
    const started = await scriptedFromStart({
      random: () => 0,
      backoff: { initialMs: 8_000, maxMs: 8_000 },
      onNotice: (notice) => {
        notices.push(`${notice.kind}: ${notice.message}`);
        if (notice.kind === 'reconnecting') closing = sub?.close() ?? null;
      },
    });
    sub = started.sub;
    const { socket, scheduler } = started;
    socket.drop(1006, 'gone');
    expect(notices).toEqual(['reconnecting: closed 1006 (gone); reconnecting in 4000 ms from offset 1']);
    expect(closing).not.toBeNull();
    await closing;
    // Before the fix the 4 s timer (8 s less jitter) was started after the notice's close(): it kept a real process alive for 4 s.
    expect(scheduler.pending).toBe(0);
    await scheduler.advance(10_000);
    expect(FakeSocket.all).toHaveLength(1);
  });
});
