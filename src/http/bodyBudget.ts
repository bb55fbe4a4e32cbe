/**
 * Request body bytes received and not yet answered, for every POST together (MAX_BODY_BUFFER_BYTES). Why: each body
 * may be MAX_BODY_BYTES and uWS keeps a connection that sends a byte now and then, so 200 bodies stalled one byte
 * short held 2.1 GB; without a total, enough of them exhaust the machine's memory.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Take `bytes` of the budget, or false (taking nothing) when they would pass it. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }
}
