import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferShare, MIN_SHARE_BYTES } from './bufferShare.js';
import { ManualScheduler } from './manualScheduler.js';
import { startTestPipeline, testInput } from './testPipeline.js';

describe('BufferShare', () => {
  it('is SUBSCRIBER_BUFFER_BYTES until an equal share of the total is smaller, and never under the floor', () => {
    const share = new BufferShare(1 << 20, 512 << 20);
    share.resize(100);
    expect(share.bytes).toBe(1 << 20);
    share.resize(1_000);
    expect(share.bytes).toBe(Math.floor((512 << 20) / 1_000));
    share.resize(100_000);
    expect(share.bytes).toBe(MIN_SHARE_BYTES);
    share.resize(0);
    expect(share.bytes).toBe(1 << 20);
  });

  it('property: at most the per-subscriber bound, all shares within the total above the floor, fewer never get less', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1 << 22 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.nat(20_000),
        (per, total, n) => {
          const share = new BufferShare(per, total);
          share.resize(n);
          const bytes = share.bytes;
          share.resize(Math.max(0, n - 1));
          const fewer = share.bytes;
          const floor = Math.min(MIN_SHARE_BYTES, per);
          return bytes <= per && (bytes === floor || bytes * Math.max(1, n) <= total) && fewer >= bytes;
        },
      ),
    );
  });
});

describe('MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES through the pipeline (manual scheduler, fake sockets)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  it('holds each subscriber to its share as more open, and catches it up from the log once it drains', async () => {
    const scheduler = new ManualScheduler();
    const bounds = { subscriberBufferBytes: 64 * 1024, subscriberBufferTotalBytes: 128 * 1024 };
    const { pipeline, publish, subscribe } = startTestPipeline(scheduler, cleanups, bounds);
    const slow = subscribe({ session_id: 'a' });
    subscribe({ session_id: 'b' });
    // Two subscribers: 64 KiB each. 40 KB queued is under it, so the record goes out live.
    slow.socket.buffered = 40_000;
    await publish([testInput('a')]);
    expect(slow.socket.records().map((r) => r.offset)).toEqual([1]);
    // Four: 32 KiB each. The same 40 KB is over it: nothing more is pushed live.
    subscribe({ session_id: 'c' });
    subscribe({ session_id: 'd' });
    await publish([testInput('a')]);
    expect(slow.socket.records().map((r) => r.offset)).toEqual([1]);
    expect(pipeline.stats().lagging_subscribers).toBe(1);
    // Drained: it catches up from the log, with nothing lost or repeated.
    slow.socket.buffered = 0;
    pipeline.subscriberDrained(slow.handle);
    scheduler.runImmediates();
    await publish([testInput('a')]);
    expect(slow.socket.records().map((r) => r.offset)).toEqual([1, 2, 3]);
  });
});
