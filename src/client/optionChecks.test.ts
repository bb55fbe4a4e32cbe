import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkNumbers, shown } from './optionChecks.js';

describe('checkNumbers', () => {
  const rules = { size: 'count', waitMs: 'ms' } as const;

  it('accepts absent options, counts ≥ 1 and finite durations ≥ 0', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 1 }), { nil: undefined }),
        fc.option(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
        (size, waitMs) => {
          expect(() => checkNumbers({ size, waitMs }, rules)).not.toThrow();
        },
      ),
    );
  });

  it('names the option, the rule and the value it got', () => {
    expect(() => checkNumbers({ size: 0 }, rules)).toThrow(new RangeError('size: must be an integer ≥ 1, got 0'));
    expect(() => checkNumbers({ size: 1.5 }, rules)).toThrow('size: must be an integer ≥ 1, got 1.5');
    expect(() => checkNumbers({ size: '3' }, rules)).toThrow('size: must be an integer ≥ 1, got string');
    expect(() => checkNumbers({ waitMs: Number.NaN }, rules)).toThrow(
      'waitMs: must be a finite number of milliseconds ≥ 0, got NaN',
    );
    expect(() => checkNumbers({ waitMs: -1 }, rules, 'backoff.')).toThrow('backoff.waitMs: must be a finite');
    expect(() => checkNumbers({ waitMs: Number.POSITIVE_INFINITY }, rules)).toThrow('got Infinity');
  });
});

describe('shown', () => {
  it('shows what a caller passed: numbers as written, strings quoted, objects as (short) JSON', () => {
    expect([-3, Number.NaN, null, undefined, true].map(shown)).toEqual(['-3', 'NaN', 'null', 'undefined', 'true']);
    expect(shown('5')).toBe('"5"');
    expect(shown({ offset: 4 })).toBe('{"offset":4}');
    expect(shown(() => 1)).toBe('a function');
    expect(shown(Symbol('s'))).toBe('a symbol');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(shown(cyclic)).toBe('an object');
    expect(shown({ long: 'x'.repeat(200) })).toBe(`{"long":"${'x'.repeat(70)}…`);
  });
});
