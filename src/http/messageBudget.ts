/**
 * One connection's message count in fixed windows: `take` says whether a message still fits. Hint: uWS hands every
 * message of a read (up to 512 KiB, some 75,000 one-byte frames) to the handlers in one go, so a client flooding a
 * socket held the thread that serves every other client for seconds; past the budget the connection is closed.
 */
export class MessageBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Count one message at `now` (ms); false once more than `max` arrived within the current window. */
  take(now: number): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    return this.count <= this.max;
  }
}
