import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyBudget } from './bodyBudget.js';

describe('BodyBudget', () => {
  it("refuses an address past its share before the total, and another address's bytes still fit", () => {
    const budget = new BodyBudget(100, 60);
    expect(budget.take('a', 50)).toBeNull();
    expect(budget.take('a', 20)).toBe('MAX_BODY_BUFFER_BYTES_PER_IP');
    expect(budget.take('b', 50)).toBeNull();
    expect(budget.take('c', 1)).toBe('MAX_BODY_BUFFER_BYTES');
    // A body that came whole is charged to the total alone.
    expect(budget.take(null, 59)).toBe('MAX_BODY_BUFFER_BYTES');
    budget.give('a', 50);
    expect(budget.heldBy('a')).toBe(0);
    expect(budget.take(null, 10)).toBeNull();
    budget.give(null, 10);
    expect(budget.take('c', 50)).toBeNull();
    expect(budget.bytes).toBe(100);
  });

  it('holds exactly what was taken and not given back, within both bounds, refusing only what would pass one', () => {
    const step = fc.record({ address: fc.constantFrom('a', 'b', 'c', null), bytes: fc.nat(40), giveBack: fc.nat(10) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(step),
        (total, share, steps) => {
          const budget = new BodyBudget(total, share);
          // Bodies that came whole (address null) count in the total only.
          const held = new Map<string | null, number>();
          const sum = () => [...held.values()].reduce((a, b) => a + b, 0);
          for (const { address, bytes, giveBack } of steps) {
            const before = held.get(address) ?? 0;
            const refusal = budget.take(address, bytes);
            const expected =
              (address === null ? 0 : before) + bytes > share
                ? 'MAX_BODY_BUFFER_BYTES_PER_IP'
                : sum() + bytes > total
                  ? 'MAX_BODY_BUFFER_BYTES'
                  : null;
            expect(refusal).toBe(expected);
            if (refusal === null) held.set(address, before + bytes);
            const back = Math.min(giveBack, held.get(address) ?? 0);
            budget.give(address, back);
            held.set(address, (held.get(address) ?? 0) - back);
            if (address !== null) expect(budget.heldBy(address)).toBe(held.get(address));
            expect(budget.bytes).toBe(sum());
            expect(budget.bytes).toBeLessThanOrEqual(total);
          }
        },
      ),
    );
  });
});
