import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GapNotices } from './gapNotices.js';

describe('GapNotices', () => {
  it('says a gap when first seen, keeps quiet on retries, and reminds once a minute while it stays', () => {
    let now = 0;
    const notices = new GapNotices(() => now);
    expect(notices.decide(100)).toBe('say');
    now += 250;
    expect(notices.decide(100)).toBe('quiet');
    now += 59_000;
    expect(notices.decide(100)).toBe('quiet');
    now += 1_000;
    expect(notices.decide(100)).toBe('still');
    now += 250;
    expect(notices.decide(100)).toBe('quiet');
    // A new first missing sequence is a new gap.
    expect(notices.decide(140)).toBe('say');
  });

  it('never stays quiet about a gap for a minute or more, nor says anything twice within a minute', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 1, max: 3 }), after: fc.integer({ min: 0, max: 30_000 }) }), {
          maxLength: 80,
        }),
        (steps) => {
          let now = 0;
          const notices = new GapNotices(() => now);
          let gap: number | null = null;
          let lastSaid = 0;
          for (const step of steps) {
            now += step.after;
            const said = notices.decide(step.gap);
            if (step.gap !== gap) {
              expect(said).toBe('say');
              gap = step.gap;
              lastSaid = now;
              continue;
            }
            if (now - lastSaid >= 60_000) {
              expect(said).toBe('still');
              lastSaid = now;
            } else expect(said).toBe('quiet');
          }
        },
      ),
    );
  });
});
