/** A timer handle, opaque to the client. */
export type TimerHandle = unknown;

/** Time and timers, injectable so tests can drive them. */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The platform's clock and timers. */
export const realScheduler: Scheduler = {
  now: () => Date.now(),
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
