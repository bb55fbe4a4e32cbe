import { describe, expect, it } from 'vitest';
import { type EventRecord, memoryPositionStore, type Position, type SubscribeOptions } from '../src/client/index.js';
import { FakeSocket, record, scriptedFromStart } from './support/scriptedClient.js';

const KEY = 'k';
const ack = (head: number, epoch = 'e1', extra: object = {}) => ({
  status: 'subscribed',
  subscriber_id: 's',
  head_offset: head,
  epoch,
  ...extra,
});

/** A subscription on a scripted socket that saves under KEY in `store` (`options` added). */
async function scripted(store = memoryPositionStore(), options: Partial<SubscribeOptions> = {}) {
  return { store, ...(await scriptedFromStart({ store, key: KEY, random: () => 0, ...options })) };
}

/** What the next `next()` hands out, as its offset. */
async function nextOffset(iterator: AsyncIterator<EventRecord>): Promise<number> {
  return ((await iterator.next()).value as EventRecord).offset;
}

describe('the position of a subscription that starts where the server does', () => {
  it("from 'head': is the head once acked, so close() before any record saves the head, not offset 0", async () => {
    const { sub, socket, store } = await scripted(undefined, { from: 'head' });
    expect(JSON.parse(socket.sent[0]!)).not.toHaveProperty('from_offset');
    socket.reply(ack(500));
    expect(sub.current).toEqual({ offset: 500, epoch: 'e1' });
    await sub.close();
    expect(await store.load(KEY)).toEqual({ offset: 500, epoch: 'e1' });
  });

  it("from 'head': the next run resumes at the head + 1, not at offset 1", async () => {
    const first = await scripted(undefined, { from: 'head' });
    first.socket.reply(ack(500));
    await first.sub.close();
    const second = await scripted(first.store, { from: 'head' });
    expect(JSON.parse(second.socket.sent[0]!)).toMatchObject({ from_offset: 501 });
    await second.sub.close();
  });

  it('from beyond the head: is the head once acked, and records from head + 1 move it on', async () => {
    const { sub, socket, store } = await scripted(undefined, { from: 1000 });
    expect(JSON.parse(socket.sent[0]!)).toMatchObject({ from_offset: 1000 });
    socket.reply(ack(500, 'e1', { beyond_head: { requested_from_offset: 1000 } }));
    expect(sub.current).toEqual({ offset: 500, epoch: 'e1' });
    socket.reply([record(501), record(502)]);
    const iterator = sub[Symbol.asyncIterator]();
    expect(await nextOffset(iterator)).toBe(501);
    expect(await nextOffset(iterator)).toBe(502);
    // Moving on past 502 makes it handled; before the fix the position stayed at 999 and the next run asked for 1000.
    socket.reply([record(503)]);
    expect(await nextOffset(iterator)).toBe(503);
    await sub.close();
    expect(await store.load(KEY)).toEqual({ offset: 502, epoch: 'e1' });
  });

  it('from beyond the head: close() before any record saves the head, so the next run misses nothing', async () => {
    const { sub, socket, store } = await scripted(undefined, { from: 1000 });
    socket.reply(ack(500, 'e1', { beyond_head: { requested_from_offset: 1000 } }));
    await sub.close();
    expect(await store.load(KEY)).toEqual({ offset: 500, epoch: 'e1' });
  });

  it('from an offset in the log past a retention gap: stays before the gap until it is handed out (its notice comes again)', async () => {
    const { sub, socket, store } = await scripted(undefined, { from: 3 });
    const retention = { truncated: true, first_available_offset: 10, message: 'offsets before 10 were deleted' };
    socket.reply(ack(20, 'e1', { retention }));
    expect(sub.current).toEqual({ offset: 2, epoch: 'e1' });
    await sub.close();
    expect(await store.load(KEY)).toEqual({ offset: 2, epoch: 'e1' });
  });

  it("on a replaced log with onLogReplaced 'from-head': is the new log's head, saved as such", async () => {
    const saved: Position = { offset: 40, epoch: 'e1' };
    const store = memoryPositionStore();
    await store.save(KEY, saved);
    const { sub, socket, notices, scheduler } = await scripted(store, { onLogReplaced: 'from-head' });
    expect(JSON.parse(socket.sent[0]!)).toMatchObject({ from_offset: 41 });
    socket.reply(ack(300, 'e2'));
    expect(notices[0]).toMatch(/^reconnecting: log replaced \(epoch e1 → e2\); continuing from-head/);
    expect(sub.current).toEqual({ offset: 300, epoch: 'e2' });
    await scheduler.advance(0);
    const second = FakeSocket.all[1]!;
    second.open();
    expect(JSON.parse(second.sent[0]!)).toMatchObject({ from_offset: 301 });
    second.reply(ack(300, 'e2'));
    await sub.close();
    expect(await store.load(KEY)).toEqual({ offset: 300, epoch: 'e2' });
  });
});
