/** Cancels a repeating task started with `every`. */
export type Cancel = () => void;

/**
 * Time and deferral, injected everywhere the actors need them, so tests drive sweeps, replay slices and
 * passivation on a manual clock instead of sleeping.
 */
export interface Scheduler {
  /** Wall-clock epoch ms (timestamps, idle and timeout rules). */
  now(): number;
  /** A monotonic ms reading for measuring short slices of work. */
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
