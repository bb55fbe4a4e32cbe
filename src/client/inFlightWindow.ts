/** Bounds the events a Publisher holds (queued or unacknowledged); callers wait for room, first come first served. */
export class InFlightWindow {
  private used = 0;
  private reserving = 0; // events of the waiters that take room when woken (publishes, not ready() callers)
  private waiters: Array<{ readonly events: number; readonly reserve: boolean; readonly wake: () => void }> = [];

  constructor(private readonly max: number) {}

  /** Events held now. */
  get size(): number {
    return this.used;
  }

  /** Events of the callers waiting to take room (publishes; not ready(), which only waits). */
  get waiting(): number {
    return this.reserving;
  }

  /** Take room for `events` now if it fits and nobody waits before us; false otherwise. */
  tryTake(events: number): boolean {
    if (this.waiters.length > 0 || !this.fits(events)) return false;
    this.used += events;
    return true;
  }

  /** Resolves once `events` fit; with `reserve`, the room is taken on the caller's behalf before it wakes. */
  wait(events: number, reserve: boolean): Promise<void> {
    if (this.waiters.length === 0 && this.fits(events)) {
      if (reserve) this.used += events;
      return Promise.resolve();
    }
    if (reserve) this.reserving += events;
    return new Promise((wake) => this.waiters.push({ events, reserve, wake }));
  }

  /** Give back room and wake the waiters that now fit, in order (never all at once: no thundering herd). */
  release(events: number): void {
    this.used -= events;
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.events)) {
      const waiter = this.waiters.shift()!;
      if (waiter.reserve) {
        this.used += waiter.events;
        this.reserving -= waiter.events;
      }
      waiter.wake();
    }
  }

  private fits(events: number): boolean {
    // Hint: a batch larger than the whole window still goes, alone, or it would wait forever.
    return this.used === 0 || this.used + events <= this.max;
  }
}
