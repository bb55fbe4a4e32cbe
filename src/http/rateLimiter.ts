import type { RateLimit, RateWindow } from '../config.js';
import { rateKey } from './clientAddress.js';

/** One limit's fixed window: when it began, and each client's requests in it. */
interface WindowCounts {
  readonly window: RateWindow;
  start: number;
  // Hint: one entry per client key seen since `start`, so a day-, month- or year-long window holds every client of it.
  counts: Map<string, number>;
}

/**
 * Fixed-window request counters per client key, one per limit of a RATE_LIMIT_* setting; a null limit means unlimited.
 * The clock is injected, and monotonic: a window's age and the Retry-After are elapsed time, which a step of the
 * system clock must not change.
 */
export class RateLimiter {
  private readonly windows: readonly WindowCounts[];
  /** The limit that refused the last request refused, which `refusal` names. */
  private refusedBy: RateWindow | null = null;

  /** `setting`: the variable the limit came from, which refusals name (e.g. RATE_LIMIT_PUBLISH). */
  constructor(
    limit: RateLimit | null,
    private readonly now: () => number,
    private readonly setting = 'rate limit',
  ) {
    this.windows =
      limit === null ? [] : limit.map((window) => ({ window, start: Number.NEGATIVE_INFINITY, counts: new Map() }));
  }

  /**
   * Seconds to wait when `key` (a client address; IPv6 counts by /64) is over any of its limits, from the limit that
   * refused; 0 when it may go ahead.
   */
  take(key: string): number {
    if (this.windows.length === 0) return 0;
    const now = this.now();
    const counted = rateKey(key);
    // Hint: as slowapi did, the limits are charged in the setting's order up to the first that refuses: a request one
    // limit refuses is not counted by the limits after it.
    for (const state of this.windows) {
      const { count: max, windowMs } = state.window;
      if (now - state.start >= windowMs) {
        state.start = now;
        state.counts = new Map();
      }
      const count = (state.counts.get(counted) ?? 0) + 1;
      state.counts.set(counted, count);
      if (count > max) {
        this.refusedBy = state.window;
        return Math.max(1, Math.ceil((state.start + windowMs - now) / 1000));
      }
    }
    return 0;
  }

  /**
   * The refusal for a request `take` answered `wait`: which budget was spent (setting and the limit that refused),
   * and when to retry. Hint: called at once after that `take`, so the limit it remembers is that request's.
   */
  refusal(wait: number): string {
    const limit = this.refusedBy;
    const budget = limit === null ? this.setting : `${this.setting}: ${limit.count} per ${limit.per} per client`;
    return `rate limit exceeded (${budget}); retry in ${wait} s`;
  }
}
