import { describe, expect, it } from 'vitest';
import { FakeSocket, record, scriptedFromStart } from './support/scriptedClient.js';

describe('an onNotice that throws while a queued notice is handed out', () => {
  it('fails the subscription with its error: the for await throws it, the socket is ended and nothing reconnects', async () => {
    const bug = new Error('onNotice bug');
    const seen: string[] = [];
    const { sub, socket, scheduler } = await scriptedFromStart({
      idleTimeoutMs: 5_000,
      random: () => 0,
      onNotice: (notice) => {
        seen.push(notice.kind);
        if (notice.kind === 'retention') throw bug;
      },
    });
    // The ack's retention notice is queued in front of the records after the gap: told inside next(), not the socket.
    const retention = { truncated: true, first_available_offset: 10, message: 'offsets before 10 were deleted' };
    socket.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 12, epoch: 'e1', retention });
    socket.reply([record(10), record(11)]);
    const handed: number[] = [];
    const loop = (async () => {
      for await (const event of sub) handed.push(event.offset);
    })();
    await expect(loop).rejects.toBe(bug);
    expect(handed).toEqual([]);
    // Before the fix the socket stayed open and its idle watchdog ran on: past idleTimeoutMs it was abandoned, and
    // the subscription told `reconnecting` and opened a new socket, with no consumer left to read it.
    expect(socket.readyState).toBe(3);
    await scheduler.advance(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(seen).toEqual(['retention']);
    expect(scheduler.pending).toBe(0);
    // Failed, not closed: iterating again hands out what was received, then throws the same error.
    const again: number[] = [];
    await expect(
      (async () => {
        for await (const event of sub) again.push(event.offset);
      })(),
    ).rejects.toBe(bug);
    expect(again).toEqual([10, 11]);
    await sub.close();
  });
});
