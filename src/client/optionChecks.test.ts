import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkKinds, checkNumbers, MAX_TIMER_MS, shown } from './optionChecks.js';

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

describe('checkNumbers on a timer duration', () => {
  it('refuses one longer than a timer can wait (Node would run it after 1 ms), and takes the longest one', () => {
    expect(() => checkNumbers({ waitMs: MAX_TIMER_MS }, { waitMs: 'timer' })).not.toThrow();
    expect(() => checkNumbers({ waitMs: 1e12 }, { waitMs: 'timer' })).toThrow(
      new RangeError('waitMs: must be at most 2147483647 ms (the longest a timer waits), got 1000000000000'),
    );
    expect(() => checkNumbers({ waitMs: -1 }, { waitMs: 'timer' })).toThrow(
      new RangeError('waitMs: must be a finite number of milliseconds ≥ 0, got -1'),
    );
  });
});

describe('checkKinds', () => {
  const rules = {
    url: 'string',
    onEvent: 'function',
    backoff: 'object',
    store: ['load', 'save'],
    n: 'number',
  } as const;

  it('accepts known options of the right kinds, and absent ones', () => {
    const store = { load: () => null, save: () => undefined };
    expect(() => checkKinds({ url: 'u', onEvent: () => 1, backoff: {}, store, n: 'x' }, rules, 'it')).not.toThrow();
    expect(() => checkKinds({}, rules, 'it')).not.toThrow();
  });

  it('names an unknown key with the known ones, a value of the wrong kind, and options that are no object', () => {
    expect(() => checkKinds({ filter: 1 }, rules, 'it')).toThrow(
      new TypeError('filter: not an option of it; expected url, onEvent, backoff, store, n'),
    );
    expect(() => checkKinds({ onEvent: 5 }, rules, 'it')).toThrow(new TypeError('onEvent: must be a function, got 5'));
    expect(() => checkKinds({ backoff: [] }, rules, 'it')).toThrow(new TypeError('backoff: must be an object, got []'));
    expect(() => checkKinds({ store: { load: () => null } }, rules, 'it')).toThrow(
      'store: must be an object with load and save methods, got {}',
    );
    expect(() => checkKinds(undefined, rules, 'it')).toThrow(
      new TypeError("it options: must be an object such as { url: 'http://localhost:8001' }, got undefined"),
    );
  });
});
