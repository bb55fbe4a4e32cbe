import { describe, expect, it } from 'vitest';
import { type EventRecord, subscribe } from '../src/client/index.js';
import { FakeSocket, ManualScheduler, record, scriptedFromStart } from './support/scriptedClient.js';

const records = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => record(from + i));

describe('a retention notice carried in the subscribe ack', () => {
  it('reaches onNotice where its gap is: once the records received before it have been handed out', async () => {
    const { sub, scheduler, notices, socket } = await scriptedFromStart({ maxBufferedEvents: 4, random: () => 0 });
    socket.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 20, epoch: 'e1', from_offset: 1 });
    // A slow consumer: the buffer fills, the socket is let go and asked again from 5 once it has drained.
    socket.onmessage?.({ data: JSON.stringify(records(1, 4)) });
    expect(socket.readyState).toBe(3);
    const iterator = sub[Symbol.asyncIterator]();
    const seen: string[] = [];
    const take = async () => {
      const offset = ((await iterator.next()).value as EventRecord).offset;
      seen.push(`${offset} after ${notices.length} notice(s)`);
    };
    await take();
    await take();
    await scheduler.advance(0);
    const second = FakeSocket.all[1]!;
    second.open();
    expect(JSON.parse(second.sent[0]!)).toMatchObject({ from_offset: 5 });
    // Offsets 5-9 were deleted meanwhile: the ack says so, and the records after the gap follow.
    const retention = { truncated: true, first_available_offset: 10, message: 'offsets before 10 were deleted' };
    second.reply({
      status: 'subscribed',
      subscriber_id: 's',
      head_offset: 20,
      epoch: 'e1',
      from_offset: 10,
      retention,
    });
    second.onmessage?.({ data: JSON.stringify(records(10, 11)) });
    for (let i = 0; i < 4; i++) await take();
    expect(seen).toEqual([
      '1 after 0 notice(s)',
      '2 after 0 notice(s)',
      '3 after 0 notice(s)',
      '4 after 0 notice(s)',
      '10 after 1 notice(s)',
      '11 after 1 notice(s)',
    ]);
    expect(notices).toEqual(['retention: offsets before 10 were deleted']);
    await sub.close();
  });
});

describe('one consumer per subscription', () => {
  it('refuses a second concurrent for await at once, and close() ends the one waiting', async () => {
    const { sub, socket } = await scriptedFromStart({ random: () => 0 });
    socket.reply({ status: 'subscribed', subscriber_id: 's', head_offset: 2, epoch: 'e1', from_offset: 1 });
    socket.onmessage?.({ data: JSON.stringify(records(1, 2)) });
    const seen: number[] = [];
    const first = (async () => {
      for await (const event of sub) seen.push(event.offset);
    })();
    const second = (async () => {
      for await (const event of sub) seen.push(-event.offset);
    })();
    await expect(second).rejects.toThrow(
      new TypeError(
        'subscribe: this subscription is iterated already; one for await at a time (subscribe again for a second reader)',
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([1, 2]);
    await sub.close();
    await expect(first).resolves.toBeUndefined();
    // Once closed, iterating again ends at once.
    for await (const event of sub) seen.push(event.offset);
    expect(seen).toEqual([1, 2]);
  });

  it('ends every pending next() of its iterator at close()', async () => {
    const { sub } = await scriptedFromStart({ random: () => 0 });
    const iterator = sub[Symbol.asyncIterator]();
    const pending = [iterator.next(), iterator.next()];
    await sub.close();
    expect(await Promise.all(pending)).toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
  });

  it('refuses a for await over a subscription that onEvent consumes, naming both', async () => {
    FakeSocket.all = [];
    const scheduler = new ManualScheduler();
    const sub = subscribe({ url: 'http://test', WebSocket: FakeSocket, scheduler, from: 1, onEvent: () => {} });
    expect(() => sub[Symbol.asyncIterator]()).toThrow(
      new TypeError(
        'subscribe: onEvent consumes this subscription already; pass onEvent or iterate with for await, not both',
      ),
    );
    await sub.close();
  });
});
