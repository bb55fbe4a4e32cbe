import type { RateLimit } from '../config.js';
import { rateKey } from './clientAddress.js';

/** How a refusal names a limit's window (the units RATE_LIMIT_* accept). */
const WINDOW_NAMES: ReadonlyMap<number, string> = new Map([
  [1_000, 'second'],
  [60_000, 'minute'],
  [3_600_000, 'hour'],
  [86_400_000, 'day'],
]);

/** Fixed-window request counter per client key; a null limit means unlimited. The clock is injected. */
export class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  /** `setting`: the variable the limit came from, which refusals name (e.g. RATE_LIMIT_PUBLISH). */
  constructor(
    private readonly limit: RateLimit | null,
    private readonly now: () => number,
    private readonly setting = 'rate limit',
  ) {}

  /** Seconds to wait when `key` (a client address; IPv6 counts by /64) is over its limit, or 0 when it may go ahead. */
  take(key: string): number {
    if (this.limit === null) return 0;
    const { count: max, windowMs } = this.limit;
    const now = this.now();
    if (now - this.windowStart >= windowMs) {
      this.windowStart = now;
      this.counts = new Map();
    }
    const counted = rateKey(key);
    const count = (this.counts.get(counted) ?? 0) + 1;
    this.counts.set(counted, count);
    if (count <= max) return 0;
    return Math.max(1, Math.ceil((this.windowStart + windowMs - now) / 1000));
  }

  /** The refusal for a request `take` answered `wait`: which budget was spent (setting and value), and when to retry. */
  refusal(wait: number): string {
    const budget =
      this.limit === null
        ? this.setting
        : `${this.setting}: ${this.limit.count} per ${WINDOW_NAMES.get(this.limit.windowMs) ?? `${this.limit.windowMs} ms`} per client`;
    return `rate limit exceeded (${budget}); retry in ${wait} s`;
  }
}
