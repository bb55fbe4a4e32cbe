import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nonFiniteAt } from './jsonNumbers.js';

/** Scalars in a JSON value (a scalar value is one). */
function countLeaves(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 1;
  return (Array.isArray(value) ? value : Object.values(value)).reduce<number>(
    (sum, child) => sum + countLeaves(child),
    0,
  );
}

describe('nonFiniteAt', () => {
  it('finds nothing in any value JSON text can carry', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(nonFiniteAt(value)).toBeNull();
      }),
    );
  });

  it('names the first field, in document order, that JSON.parse read as ±Infinity', () => {
    expect(nonFiniteAt(JSON.parse('{"payload":{"a":[1,{"b":1e400}],"c":-1e999}}'))).toBe('payload.a[1].b');
    expect(nonFiniteAt(JSON.parse('[1e309]'))).toBe('[0]');
    expect(nonFiniteAt(JSON.parse('1e400'))).toBe('body');
    expect(nonFiniteAt(JSON.parse('{"x":1e308,"y":-1.7976931348623157e308}'))).toBeNull();
    expect(nonFiniteAt({ ref: Number.NaN }, 'message')).toBe('message.ref');
  });

  it('finds a non-finite number wherever one is put in a value', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 5 }),
        fc.nat(),
        fc.constantFrom(Infinity, -Infinity, Number.NaN),
        (value, n, bad) => {
          fc.pre(countLeaves(value) > 0);
          let leaves = 0;
          const replaced = JSON.parse(JSON.stringify(value), (_key, leaf: unknown) =>
            typeof leaf === 'object' && leaf !== null ? leaf : leaves++ === n % countLeaves(value) ? bad : leaf,
          ) as unknown;
          expect(nonFiniteAt(replaced)).not.toBeNull();
        },
      ),
    );
  });

  it('handles nesting far beyond the stack without throwing', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}1e400${']'.repeat(100_000)}`) as unknown;
    expect(nonFiniteAt(deep)).toBe('[0]'.repeat(100_000));
  });
});
