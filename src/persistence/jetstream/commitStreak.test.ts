import { describe, expect, it } from 'vitest';
import { LogWriteError } from '../eventLog.js';
import { CommitStreak, FAILING_MS } from './commitStreak.js';

const fine = () => ({ writable: true, reason: null });
const timeout = new LogWriteError('committed to the stream but not yet applied on this node; retry with ids', {
  uncertain: true,
});

describe('CommitStreak', () => {
  it('makes the node not writable after three failed commits in a row, naming the last failure', () => {
    let now = 1_000;
    const streak = new CommitStreak(() => now);
    streak.failed(new LogWriteError('no PubAck'));
    streak.failed(new LogWriteError('no PubAck'));
    expect(streak.health(fine)).toEqual({ writable: true, reason: null });
    streak.failed(timeout);
    expect(streak.health(fine)).toEqual({ writable: false, reason: `the last 3 commits failed (${timeout.message})` });
    now += FAILING_MS;
    expect(streak.health(fine).writable).toBe(false);
    // Once no commit has failed for FAILING_MS, the node is offered publishes again.
    now += 1;
    expect(streak.health(fine)).toEqual({ writable: true, reason: null });
  });

  it('starts again at a success, and a refusal does not count', () => {
    const streak = new CommitStreak(() => 0);
    for (let i = 0; i < 5; i++) streak.failed(new LogWriteError('stream remade', { refusal: true }));
    streak.failed(timeout);
    streak.failed(timeout);
    streak.succeeded();
    streak.failed(timeout);
    streak.failed(timeout);
    expect(streak.health(fine)).toEqual({ writable: true, reason: null });
    streak.failed(timeout);
    expect(streak.health(fine).writable).toBe(false);
  });

  it("passes the replica's own health through", () => {
    const streak = new CommitStreak(() => 0);
    const full = { writable: false, reason: 'the disk is full' } as const;
    expect(streak.health(() => full)).toBe(full);
  });
});
