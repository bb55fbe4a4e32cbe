import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApplyStall, STALLED_MS } from './applyStall.js';

describe('ApplyStall', () => {
  it('names a replica that applied nothing for STALLED_MS while behind, and nothing once it moves or catches up', () => {
    const stall = new ApplyStall();
    stall.sample(10, 15, 0);
    stall.sample(10, 15, STALLED_MS - 1);
    expect(stall.problem(STALLED_MS - 1)).toBeNull();
    stall.sample(10, 16, STALLED_MS);
    expect(stall.problem(STALLED_MS)).toBe(
      "this node's replica has applied nothing for 5 s while 6 offsets behind the stream: its reads are stale, and " +
        'publishes through it wait for it',
    );
    // With the consumer failing, the reason says why it applies nothing.
    expect(stall.problem(STALLED_MS, '; its consumer cannot be made: maximum consumers limit reached')).toMatch(
      /wait for it; its consumer cannot be made: maximum consumers limit reached$/,
    );
    stall.sample(11, 16, STALLED_MS + 1);
    expect(stall.problem(STALLED_MS + 1)).toBeNull();
    stall.sample(16, 16, 3 * STALLED_MS);
    expect(stall.problem(3 * STALLED_MS)).toBeNull();
  });

  it('says so exactly when the last STALLED_MS of samples were all behind at one applied offset', () => {
    const sample = fc.record({ applied: fc.integer({ min: 0, max: 3 }), ahead: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.array(fc.tuple(sample, fc.integer({ min: 1, max: 3_000 })), { minLength: 1 }), (samples) => {
        const stall = new ApplyStall();
        let now = 0;
        const seen: { applied: number; behind: boolean; at: number }[] = [];
        for (const [{ applied, ahead }, gap] of samples) {
          now += gap;
          stall.sample(applied, applied + ahead, now);
          seen.push({ applied, behind: ahead > 0, at: now });
        }
        // The stalled run: the latest samples, all behind, at the last sample's applied offset.
        const last = seen.at(-1)!;
        let start = seen.length - 1;
        while (start > 0 && seen[start - 1]!.behind && seen[start - 1]!.applied === last.applied) start--;
        const stalled = last.behind && now - seen[start]!.at >= STALLED_MS;
        expect(stall.problem(now) !== null).toBe(stalled);
      }),
    );
  });
});
