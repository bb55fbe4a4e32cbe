import type { Cancel, Scheduler } from './scheduler.js';

interface Repeating {
  readonly ms: number;
  readonly fn: () => void;
  due: number;
  cancelled: boolean;
}

/**
 * A scheduler under a test's control: time moves only with `advance`, deferred work runs only with
 * `runImmediates` (or as part of `advance`). Nothing sleeps. `stepWall` steps the wall clock alone, as an NTP step
 * or an operator's `date -s` does, while the monotonic clock (and with it every repeating task) runs on.
 */
export class ManualScheduler implements Scheduler {
  private clock: number;
  /** What `stepWall` added to the wall clock: `now` is the monotonic clock plus this. */
  private wallStep = 0;
  private immediates: (() => void)[] = [];
  private readonly repeating: Repeating[] = [];

  /**
   * `realImmediates`: deferred work still runs after pending I/O (setImmediate), as a running server needs for its
   * group commits; only time is manual then.
   */
  constructor(
    start = 1_700_000_000_000,
    private readonly realImmediates = false,
  ) {
    this.clock = start;
  }

  now(): number {
    return this.clock + this.wallStep;
  }

  /** Step the wall clock (`now`) by `ms`, back when negative; `monotonic` and the repeating tasks do not move. */
  stepWall(ms: number): void {
    this.wallStep += ms;
  }

  monotonic(): number {
    return this.clock;
  }

  immediate(fn: () => void): void {
    if (this.realImmediates) setImmediate(fn);
    else this.immediates.push(fn);
  }

  every(ms: number, fn: () => void): Cancel {
    const task: Repeating = { ms, fn, due: this.clock + ms, cancelled: false };
    this.repeating.push(task);
    return () => {
      task.cancelled = true;
    };
  }

  /** Deferred callbacks waiting for `runImmediates`. */
  get pendingImmediates(): number {
    return this.immediates.length;
  }

  /** Run deferred callbacks, including ones they defer, up to `limit` rounds; returns how many ran. */
  runImmediates(limit = 10_000): number {
    let ran = 0;
    for (let round = 0; round < limit && this.immediates.length > 0; round++) {
      const batch = this.immediates;
      this.immediates = [];
      for (const fn of batch) {
        fn();
        ran++;
      }
    }
    return ran;
  }

  /** Move the clock forward by `ms`, firing each repeating task as often as it falls due, in time order. */
  advance(ms: number): void {
    const end = this.clock + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (next === undefined) break;
      this.clock = next.due;
      next.due += next.ms;
      next.fn();
      this.runImmediates();
    }
    this.clock = end;
    this.runImmediates();
  }

  private nextDue(end: number): Repeating | undefined {
    let next: Repeating | undefined;
    for (const task of this.repeating) {
      if (task.cancelled || task.due > end) continue;
      if (next === undefined || task.due < next.due) next = task;
    }
    return next;
  }
}
