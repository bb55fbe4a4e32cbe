import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tooDeepAt } from './jsonDepth.js';
import { nestsDeeperThan } from './textDepth.js';

describe('nestsDeeperThan', () => {
  it('counts containers, not brackets inside strings', () => {
    expect(nestsDeeperThan('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":[1,{"b":2}]}', 2)).toBe(true);
    expect(nestsDeeperThan('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('["\\\\",[[1]]]', 2)).toBe(true);
    expect(nestsDeeperThan('1', 0)).toBe(false);
    expect(nestsDeeperThan('[]', 0)).toBe(true);
  });

  it('handles 100,000 levels without recursion', () => {
    expect(nestsDeeperThan('['.repeat(100_000) + ']'.repeat(100_000), 32)).toBe(true);
  });

  it('agrees with tooDeepAt on random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 8 }), (value, max) => {
        expect(nestsDeeperThan(JSON.stringify(value), max)).toBe(tooDeepAt(value, max) !== null);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with tooDeepAt when strings and keys are full of brackets (the bracket count only ever overcounts)', () => {
    const bracketText = fc.string({ unit: fc.constantFrom('{', '[', '}', ']', '"', '\\', 'a') });
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        bracketText,
        fc.integer(),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(bracketText, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 6 }), (v, max) => {
        expect(nestsDeeperThan(JSON.stringify(v), max)).toBe(tooDeepAt(v, max) !== null);
      }),
      { numRuns: 1000 },
    );
  });
});
