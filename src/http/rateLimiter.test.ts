import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateLimit, RateWindow } from '../config.js';
import { RateLimiter } from './rateLimiter.js';

const perSecond = (count: number): RateWindow => ({ count, windowMs: 1_000, per: 'second' });
const perMinute = (count: number): RateWindow => ({ count, windowMs: 60_000, per: 'minute' });

describe('RateLimiter', () => {
  it('gives an IPv6 /64 one budget, whichever of its addresses a request comes from', () => {
    let now = 0;
    const limiter = new RateLimiter([perMinute(2)], () => now, 'RATE_LIMIT_QUERY');
    expect(limiter.take('2001:db8:1:2::1')).toBe(0);
    expect(limiter.take('2001:db8:1:2::2')).toBe(0);
    expect(limiter.take('2001:db8:1:2:ffff::3')).toBe(60);
    // Another /64, and an IPv4 client, have budgets of their own; a new window restores them all.
    expect(limiter.take('2001:db8:1:3::1')).toBe(0);
    expect(limiter.take('203.0.113.7')).toBe(0);
    now = 60_000;
    expect(limiter.take('2001:db8:1:2::4')).toBe(0);
  });

  it('starts the first window at the first request, on a monotonic clock that does not start at 0 with it', () => {
    // Hint: performance.now counts from the process start; before, the first window began at 0, so a request 5 s
    // after the start was told to retry in 55 s instead of 60.
    let now = 5_000;
    const limiter = new RateLimiter([perMinute(1)], () => now);
    expect(limiter.take('203.0.113.7')).toBe(0);
    expect(limiter.take('203.0.113.7')).toBe(60);
    now = 64_999;
    expect(limiter.take('203.0.113.7')).toBe(1);
    now = 65_000;
    expect(limiter.take('203.0.113.7')).toBe(0);
  });

  it('refuses a request over any of several limits, naming the one that refused and waiting for its window', () => {
    let now = 0;
    const limiter = new RateLimiter([perMinute(5), perSecond(2)], () => now, 'RATE_LIMIT_PUBLISH');
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 1]);
    expect(limiter.refusal(1)).toBe('rate limit exceeded (RATE_LIMIT_PUBLISH: 2 per second per client); retry in 1 s');
    now = 1_000;
    // The refused request counted against the minute too (it is charged first): 3 of 5 spent, 2 left.
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 0]);
    now = 2_500;
    expect(limiter.take('a')).toBe(58);
    expect(limiter.refusal(58)).toBe(
      'rate limit exceeded (RATE_LIMIT_PUBLISH: 5 per minute per client); retry in 58 s',
    );
    now = 60_000;
    expect(limiter.take('a')).toBe(0);
  });

  it('does not charge the limits after the one that refused, as slowapi did', () => {
    let now = 0;
    const limiter = new RateLimiter([perSecond(1), perMinute(2)], () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 1, 1]);
    now = 1_000;
    // Only the first request reached the minute's limit: one is left of it.
    expect(limiter.take('a')).toBe(0);
    now = 2_000;
    expect(limiter.take('a')).toBe(58);
  });

  it('refuses every request under a count of 0 ("0/minute"), as the old service did', () => {
    const limiter = new RateLimiter([perMinute(0)], () => Date.UTC(2026, 0, 31), 'RATE_LIMIT_ADMIN');
    expect(limiter.take('a')).toBe(60);
    expect(limiter.take('b')).toBe(60);
  });

  it('is unlimited without a limit', () => {
    const limiter = new RateLimiter(null, () => 0);
    for (let i = 0; i < 1_000; i++) expect(limiter.take('a')).toBe(0);
  });

  it('property: a burst from one client gets the smallest count through, then the whole budget again once every window is over', () => {
    const window = fc.record({
      count: fc.nat(20),
      windowMs: fc.constantFrom(1_000, 60_000, 120_000, 3_600_000),
      per: fc.constant('-'),
    });
    fc.assert(
      fc.property(fc.array(window, { minLength: 1, maxLength: 4 }), fc.nat(10_000), (windows, start) => {
        let now = start;
        const limit: RateLimit = [windows[0] ?? perSecond(1), ...windows.slice(1)];
        const limiter = new RateLimiter(limit, () => now);
        const smallest = Math.min(...limit.map((w) => w.count));
        const longest = Math.max(...limit.map((w) => w.windowMs));
        for (let round = 0; round < 2; round++) {
          const waits = Array.from({ length: smallest + 3 }, () => limiter.take('203.0.113.9'));
          expect(waits.filter((wait) => wait === 0)).toHaveLength(smallest);
          for (const wait of waits.slice(smallest)) expect(wait).toBeGreaterThanOrEqual(1);
          expect(Math.max(...waits)).toBeLessThanOrEqual(longest / 1_000);
          now += longest;
        }
      }),
    );
  });
});
