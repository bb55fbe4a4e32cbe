import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { whileApplying } from './clusterWrites.js';

describe('whileApplying', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps waiting past the idle time while the replica applies, and answers once it settles', async () => {
    let applied = 0;
    let settle: (value: string) => void = () => {};
    const waiting = whileApplying(
      new Promise<string>((resolve) => (settle = resolve)),
      () => applied,
      10_000,
      () => new Error('stalled'),
    );
    // A catch-up that takes 35 s, applying something every second.
    for (let second = 0; second < 35; second++) {
      applied += 5_000;
      await vi.advanceTimersByTimeAsync(1_000);
    }
    settle('applied');
    await expect(waiting).resolves.toBe('applied');
  });

  it('gives up once the replica applied nothing for the idle time', async () => {
    let applied = 0;
    const waiting = whileApplying(
      new Promise<string>(() => {}),
      () => applied,
      10_000,
      () => new Error('stalled'),
    );
    const outcome = expect(waiting).rejects.toThrow('stalled');
    applied = 7;
    await vi.advanceTimersByTimeAsync(10_000);
    // Progress in the first period: a second period starts; nothing after it, so it ends there.
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
  });
});
