import type { RateLimit } from '../config.js';

/** Fixed-window request counter per client key; a null limit means unlimited. The clock is injected. */
export class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    private readonly limit: RateLimit | null,
    private readonly now: () => number,
  ) {}

  /** Seconds to wait when `key` is over its limit, or 0 when the request may go ahead. */
  take(key: string): number {
    if (this.limit === null) return 0;
    const { count: max, windowMs } = this.limit;
    const now = this.now();
    if (now - this.windowStart >= windowMs) {
      this.windowStart = now;
      this.counts = new Map();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count <= max) return 0;
    return Math.max(1, Math.ceil((this.windowStart + windowMs - now) / 1000));
  }
}
