import { afterEach, describe, expect, it, vi } from 'vitest';
import { realScheduler } from './scheduler.js';

describe('realScheduler', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reads a clock that a step of the system clock does not move, so deadlines and pauses keep their length', () => {
    const before = realScheduler.now();
    // The system clock steps back a day. Before: `now` was Date.now, so every delivery deadline, retry pause and
    // liveness check in flight was a day further off.
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() - 86_400_000);
    expect(realScheduler.now()).toBeGreaterThanOrEqual(before);
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 2 * 86_400_000);
    expect(realScheduler.now() - before).toBeLessThan(86_400_000);
  });
});
