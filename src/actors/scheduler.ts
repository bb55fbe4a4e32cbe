/** Cancels a repeating task started with `every`. */
export type Cancel = () => void;

/**
 * Time and deferral, injected everywhere the actors need them, so tests drive sweeps, replay slices and
 * passivation on a manual clock instead of sleeping.
 */
export interface Scheduler {
  /** Wall-clock epoch ms, for timestamps only: it can step either way (NTP, `date -s`). */
  now(): number;
  /**
   * A monotonic ms reading (not an epoch): every interval is measured on it, from slices of work to the idle and
   * timeout rules, so a step of the wall clock neither stops nor hastens them.
   */
  monotonic(): number;
  /** Run `fn` after pending I/O (setImmediate in production). */
  immediate(fn: () => void): void;
  /** Run `fn` every `ms` until cancelled. */
  every(ms: number, fn: () => void): Cancel;
}

/** The production scheduler: `now` (Date.now by default), performance.now, setImmediate and setInterval. */
export function systemScheduler(now: () => number = Date.now): Scheduler {
  return {
    now,
    monotonic: () => performance.now(),
    immediate: (fn) => {
      setImmediate(fn);
    },
    every: (ms, fn) => {
      const timer = setInterval(fn, ms);
      return () => clearInterval(timer);
    },
  };
}

/** Turns monotonic readings into wall-clock epoch ms: the wall clock as it reads now, less the monotonic time since. */
export function wallTimes(scheduler: Pick<Scheduler, 'now' | 'monotonic'>): (reading: number) => number {
  const [wall, monotonic] = [scheduler.now(), scheduler.monotonic()];
  return (reading) => Math.round(wall - (monotonic - reading));
}
