import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressBudget } from './addressBudget.js';

describe('AddressBudget', () => {
  it('refuses the take over the limit for that address only, and frees a place on release', () => {
    const budget = new AddressBudget(2);
    const a1 = budget.take('a');
    const a2 = budget.take('a');
    expect(a1).not.toBeNull();
    expect(a2).not.toBeNull();
    expect(budget.take('a')).toBeNull();
    expect(budget.take('b')).not.toBeNull();
    a1?.();
    a1?.();
    expect(budget.heldBy('a')).toBe(1);
    expect(budget.take('a')).not.toBeNull();
    expect(budget.take('a')).toBeNull();
  });

  it('holds exactly what was taken and not released, never over the limit, and forgets idle addresses', () => {
    const step = fc.record({ address: fc.constantFrom('a', 'b', 'c'), release: fc.nat(20), twice: fc.boolean() });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(step, { maxLength: 60 }), (limit, steps) => {
        const budget = new AddressBudget(limit);
        const open: { address: string; release: () => void }[] = [];
        for (const { address, release, twice } of steps) {
          const taken = budget.take(address);
          const holding = open.filter((o) => o.address === address).length;
          if ((taken === null) !== holding >= limit) return false;
          if (taken !== null) open.push({ address, release: taken });
          if (open.length > 0 && release % 2 === 0) {
            const [gone] = open.splice(release % open.length, 1);
            gone?.release();
            if (twice) gone?.release();
          }
          for (const name of ['a', 'b', 'c'])
            if (budget.heldBy(name) !== open.filter((o) => o.address === name).length) return false;
          if (budget.addresses !== new Set(open.map((o) => o.address)).size) return false;
          if (budget.total !== open.length) return false;
        }
        return true;
      }),
    );
  });

  it('counts an answer already under way past the limit (add), and frees it once on release', () => {
    const budget = new AddressBudget(1);
    const taken = budget.take('a');
    const added = budget.add('a');
    expect([budget.heldBy('a'), budget.total, budget.take('a')]).toEqual([2, 2, null]);
    added();
    added();
    taken?.();
    expect([budget.heldBy('a'), budget.total, budget.addresses]).toEqual([0, 0, 0]);
  });
});
