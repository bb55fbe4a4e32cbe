import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outOfRangeNumberIn } from './outOfRangeNumber.js';

describe('outOfRangeNumberIn', () => {
  it('finds every number JSON.parse reads as Infinity, whatever its digits and exponent (property)', () => {
    const digits = (min: number, max: number) =>
      fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
    const number = fc
      .record({
        whole: fc.tuple(fc.constantFrom(...'123456789'), digits(0, 330)).map(([first, rest]) => first + rest),
        fraction: fc.option(digits(1, 5), { nil: undefined }),
        exponent: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 4)), {
          nil: undefined,
        }),
      })
      .map(({ whole, fraction, exponent }) => {
        const point = fraction === undefined ? '' : `.${fraction}`;
        return `${whole}${point}${exponent === undefined ? '' : exponent.join('')}`;
      });
    fc.assert(
      fc.property(number, (text) => {
        const line = `{"payload":{"a":${text}}}`;
        const found = outOfRangeNumberIn(line, () => JSON.parse(line));
        expect(found !== null).toBe(!Number.isFinite(Number(text)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('looks no further than one pass over a line of long digit runs in strings', () => {
    const line = JSON.stringify({ payload: { blob: `${'1'.repeat(208)}x`.repeat(280) } });
    expect(outOfRangeNumberIn(line, () => JSON.parse(line))).toBeNull();
  });
});
