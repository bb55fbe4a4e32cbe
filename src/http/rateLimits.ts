import type { Config } from '../config.js';
import { RateLimiter } from './rateLimiter.js';

/** The per-IP limiters, one per class. `publish` is shared by POST /events and /ws/publish messages. */
export interface RateLimiters {
  readonly publish: RateLimiter;
  readonly query: RateLimiter;
  readonly admin: RateLimiter;
}

/** One limiter per class from RATE_LIMIT_PUBLISH, RATE_LIMIT_QUERY and RATE_LIMIT_ADMIN, on a monotonic clock (ms). */
export function createRateLimiters(config: Config, monotonic: () => number): RateLimiters {
  return {
    publish: new RateLimiter(config.rateLimitPublish, monotonic, 'RATE_LIMIT_PUBLISH'),
    query: new RateLimiter(config.rateLimitQuery, monotonic, 'RATE_LIMIT_QUERY'),
    admin: new RateLimiter(config.rateLimitAdmin, monotonic, 'RATE_LIMIT_ADMIN'),
  };
}
