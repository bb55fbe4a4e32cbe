import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tooDeepAt } from './jsonDepth.js';

/** A recursive reference depth, for comparison on shallow values. */
function depth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((max, child) => Math.max(max, depth(child)), 0);
}

describe('tooDeepAt', () => {
  it('agrees with a recursive depth on random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 8 }), (value, max) => {
        expect(tooDeepAt(value, max) !== null).toBe(depth(value) > max);
      }),
    );
  });

  it('names the path where nesting went too deep', () => {
    expect(tooDeepAt({ payload: { a: [{ b: {} }] } }, 3)).toBe('payload.a[0]');
    expect(tooDeepAt([[[]]], 2)).toBe('[0][0]');
    expect(tooDeepAt({ a: 1 }, 1)).toBeNull();
  });

  it('handles nesting far beyond the stack without throwing', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(tooDeepAt(deep, 32)).toBe('[0]'.repeat(32));
  });
});
