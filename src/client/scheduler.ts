/** A timer handle, opaque to the client. */
export type TimerHandle = unknown;

/** Time and timers, injectable so tests can drive them. */
export interface Scheduler {
  /** Monotonic ms: the client reads it only for deadlines, backoff and liveness, never for a timestamp. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The platform's clock and timers. Hint: performance.now, not Date.now: a step of the system clock moved every
 * delivery deadline, retry pause and liveness check by the step.
 */
export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/** One pending timeout at a time: starting it again replaces the one before. */
export class OneShotTimer {
  private handle: TimerHandle | null = null;
  constructor(private readonly scheduler: Scheduler) {}

  get pending(): boolean {
    return this.handle !== null;
  }

  start(ms: number, fn: () => void): void {
    this.clear();
    this.handle = this.scheduler.setTimeout(() => {
      this.handle = null;
      fn();
    }, ms);
  }

  clear(): void {
    if (this.handle !== null) this.scheduler.clearTimeout(this.handle);
    this.handle = null;
  }
}
