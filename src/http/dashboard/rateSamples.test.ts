import { describe, expect, it } from 'vitest';
import { headRate, RateSamples } from './rateSamples.js';

/** What the chart's once-a-second ticks return while head readings arrive at `arrivals` (ms) at `perSecond` events/s. */
function run(arrivals: readonly number[], until: number, perSecond: number, lateMs = 0) {
  const samples = new RateSamples(120);
  const rates: (number | null)[] = [];
  const pending = [...arrivals];
  for (let now = 1000; now <= until; now += 1000) {
    // Hint: the server read the head when it answered, `lateMs` before the answer arrived.
    while (pending.length > 0 && pending[0]! <= now) {
      const at = pending.shift()!;
      samples.observe(Math.floor(((at - lateMs) * perSecond) / 1000), at);
    }
    rates.push(samples.tick());
  }
  return { rates, values: samples.values };
}

describe('headRate', () => {
  it('is the head delta over the time between the two readings', () => {
    expect(headRate({ head: 100, at: 1_000 }, { head: 3_100, at: 4_000 })).toBe(1_000);
    expect(headRate({ head: 100, at: 1_000 }, { head: 100, at: 46_000 })).toBe(0);
  });

  it('is unknown (null) when no time passed or the head went back (another log)', () => {
    expect(headRate({ head: 100, at: 1_000 }, { head: 200, at: 1_000 })).toBeNull();
    expect(headRate({ head: 500, at: 1_000 }, { head: 3, at: 2_000 })).toBeNull();
  });
});

describe('RateSamples', () => {
  it('reads 1,000/s with every /stats answer 2.5 s late, never 0.0 between answers nor 2,222-2,943 at one', () => {
    // Hint: the probe's case: each poll waits 2.5 s for /stats, then 0.5 s before the next (an answer every 3 s).
    const arrivals = Array.from({ length: 20 }, (_, i) => 2_600 + 3_000 * i);
    const { rates, values } = run(arrivals, 60_000, 1_000, 2_500);
    const known = rates.filter((rate) => rate !== null);
    expect(known.length).toBeGreaterThan(15);
    for (const rate of known) expect(rate).toBeCloseTo(1_000, 0);
    // One sample a second: the seconds without an answer take the rate of the answer that ends them.
    expect(values.length).toBeGreaterThanOrEqual(55);
    for (const value of values) expect(value).toBeCloseTo(1_000, 0);
  });

  it('reads a 45 s stall as the rate over those 45 s, not 45 s of events in one second', () => {
    const steady = Array.from({ length: 20 }, (_, i) => 500 + 500 * i);
    const after = Array.from({ length: 20 }, (_, i) => 55_500 + 500 * i);
    const { rates, values } = run([...steady, ...after], 65_000, 1_000);
    expect(rates.slice(10, 55)).toEqual(Array(45).fill(null));
    expect(rates[55]).toBeCloseTo(1_000, 0);
    expect(Math.max(...values)).toBeCloseTo(1_000, 0);
    expect(values.length).toBe(64);
  });

  it('keeps the last `size` seconds', () => {
    const samples = new RateSamples(3);
    for (let second = 1; second <= 6; second++) {
      samples.observe(second * second, second * 1_000);
      samples.tick();
    }
    expect(samples.values).toEqual([7, 9, 11]);
  });

  it('skips the readings across a head that went back (another log) and carries on from the new one', () => {
    const samples = new RateSamples(10);
    samples.observe(500, 1_000);
    samples.tick();
    samples.observe(3, 2_000);
    expect(samples.tick()).toBeNull();
    samples.observe(13, 3_000);
    expect(samples.tick()).toBe(10);
    expect(samples.values).toEqual([10]);
  });
});
