import { describe, expect, it } from 'vitest';
import { unitDue } from '../../test/support/clientDoubles.js';
import { DeliveryWatchdog } from './deliveryWatchdog.js';
import { PublishQueue } from './publishQueue.js';
import type { Scheduler } from './scheduler.js';

/** A clock that records each timer's delay and runs the timers only when the test says so. */
function recordingScheduler() {
  let time = 0;
  const timers = new Map<number, { at: number; fn: () => void; ms: number }>();
  let next = 1;
  const scheduler: Scheduler = {
    now: () => time,
    setTimeout: (fn, ms) => {
      timers.set(next, { at: time + ms, fn, ms });
      return next++;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  /** Run the one pending timer, moving the clock to it; returns the delay it was set with. */
  const runTimer = (): number => {
    const entry = [...timers.entries()][0];
    if (entry === undefined) throw new Error('no timer pending');
    const [id, timer] = entry;
    timers.delete(id);
    time = timer.at;
    timer.fn();
    return timer.ms;
  };
  return { scheduler, timers, runTimer };
}

describe('DeliveryWatchdog', () => {
  it('keeps one timer at the earliest deadline, and none once stopped', () => {
    const { scheduler, timers } = recordingScheduler();
    const watchdog = new DeliveryWatchdog({ scheduler, deliveryTimeoutMs: 100 }, new PublishQueue(), () => {});
    watchdog.armBy(100);
    watchdog.armBy(200);
    expect([...timers.values()].map((t) => t.at)).toEqual([100]);
    watchdog.armBy(50);
    expect([...timers.values()].map((t) => t.at)).toEqual([50]);
    watchdog.stop();
    expect(timers.size).toBe(0);
  });

  it('sets no timer beyond what Node can hold, and fails a far deadline only when it is reached', () => {
    const { scheduler, timers, runTimer } = recordingScheduler();
    const queue = new PublishQueue();
    const rejected: Error[] = [];
    const due: boolean[] = [];
    const far = 3_000_000_000;
    queue.units.push(unitDue(far, rejected));
    const watchdog = new DeliveryWatchdog({ scheduler, deliveryTimeoutMs: far }, queue, (stale, reason) => {
      due.push(stale);
      watchdog.expire(reason);
    });
    watchdog.armBy(far);
    expect(runTimer()).toBe(2_147_483_647);
    expect(due).toEqual([]);
    expect(runTimer()).toBe(far - 2_147_483_647);
    expect(due).toEqual([false]);
    expect(rejected.map((e) => e.name)).toEqual(['PublishTimeoutError']);
    expect(timers.size).toBe(0);
  });
});
