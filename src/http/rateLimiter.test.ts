import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rateLimiter.js';

describe('RateLimiter', () => {
  it('gives an IPv6 /64 one budget, whichever of its addresses a request comes from', () => {
    let now = 0;
    const limiter = new RateLimiter({ count: 2, windowMs: 60_000 }, () => now, 'RATE_LIMIT_QUERY');
    expect(limiter.take('2001:db8:1:2::1')).toBe(0);
    expect(limiter.take('2001:db8:1:2::2')).toBe(0);
    expect(limiter.take('2001:db8:1:2:ffff::3')).toBe(60);
    // Another /64, and an IPv4 client, have budgets of their own; a new window restores them all.
    expect(limiter.take('2001:db8:1:3::1')).toBe(0);
    expect(limiter.take('203.0.113.7')).toBe(0);
    now = 60_000;
    expect(limiter.take('2001:db8:1:2::4')).toBe(0);
  });
});
