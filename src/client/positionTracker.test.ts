import { describe, expect, it } from 'vitest';
import { memoryPositionStore } from './positionStore.js';
import { PositionTracker } from './positionTracker.js';
import type { Scheduler } from './scheduler.js';

/** Timers that run only when the test says so. */
function heldTimers() {
  const timers = new Map<number, () => void>();
  let nextId = 1;
  const scheduler: Scheduler = {
    now: () => 0,
    setTimeout: (fn) => {
      timers.set(nextId, fn);
      return nextId++;
    },
    clearTimeout: (handle) => void timers.delete(Number(handle)),
  };
  const runAll = () => {
    const due = [...timers.values()];
    timers.clear();
    for (const fn of due) fn();
  };
  return { scheduler, runAll, pending: () => timers.size };
}

describe('PositionTracker', () => {
  it("confirm takes the ack's start when the position has no epoch yet, and the record in hand with it", () => {
    const tracker = new PositionTracker(undefined, 'k', heldTimers().scheduler, 1_000, () => undefined);
    tracker.reset({ offset: 999, epoch: null }); // from: 1000, beyond a head of 500
    tracker.confirm('e1', 500);
    expect(tracker.position).toEqual({ offset: 500, epoch: 'e1' });
    tracker.handOver('e1'); // nothing handed out yet: nothing moves (before, the start's 999 came back here)
    expect(tracker.position).toEqual({ offset: 500, epoch: 'e1' });
    tracker.hand(501);
    tracker.handOver('e1');
    expect(tracker.position).toEqual({ offset: 501, epoch: 'e1' });
    tracker.confirm('e1', 700); // confirmed already: a later ack moves nothing
    expect(tracker.position).toEqual({ offset: 501, epoch: 'e1' });
  });

  it('once frozen, moves no more and schedules no save, while save() still writes the position it froze at', async () => {
    const store = memoryPositionStore();
    const timers = heldTimers();
    const tracker = new PositionTracker(store, 'k', timers.scheduler, 1_000, () => undefined);
    tracker.reset({ offset: 3, epoch: 'e1' });
    tracker.hand(4);
    tracker.freeze();
    tracker.handOver('e1');
    tracker.advance(9, 'e1');
    expect(tracker.position).toEqual({ offset: 3, epoch: 'e1' });
    expect(timers.pending()).toBe(0);
    await tracker.save();
    expect(await store.load('k')).toEqual({ offset: 3, epoch: 'e1' });
  });
});
