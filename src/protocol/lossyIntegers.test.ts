import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLossyInteger, lossyIntegerIn, lossyIntegerMessage, lossyIntegerPath } from './lossyIntegers.js';

const TOO_LONG = '12345678901234567890';

describe('lossyIntegerIn', () => {
  it('finds an integer JSON.parse would change, outside strings, and names its field', () => {
    const text = `{"s":"${TOO_LONG}","payload":{"ids":[1,${TOO_LONG}]}}`;
    expect(lossyIntegerIn(text)).toBe(TOO_LONG);
    expect(lossyIntegerPath(JSON.parse(text), TOO_LONG)).toBe('payload.ids[1]');
    expect(lossyIntegerPath(JSON.parse(`[{"a":{"b":-${TOO_LONG}}}]`), `-${TOO_LONG}`)).toBe('[0].a.b');
    expect(lossyIntegerIn(`{"n":-${TOO_LONG}}`)).toBe(`-${TOO_LONG}`);
    expect(lossyIntegerMessage(TOO_LONG)).toBe(
      'is the integer 12345678901234567890, which a JSON number here (a 64-bit float) cannot hold: it would be ' +
        'stored as 12345678901234567000; send it as a string',
    );
  });

  it('keeps digits in strings (escaped quotes too), fractions, exponents and integers that print back the same', () => {
    expect(lossyIntegerIn(`{"s":"\\"${TOO_LONG}"}`)).toBeNull();
    expect(lossyIntegerIn(`{"f":${TOO_LONG}.5,"e":${TOO_LONG}e2,"g":1.${TOO_LONG}}`)).toBeNull();
    // As JavaScript writes the float nearest 12345678901234567890, and an exact one it writes as 1e+21.
    expect(lossyIntegerIn('{"a":12345678901234567000,"b":1000000000000000000000,"c":9007199254740993}')).toBe(
      '9007199254740993',
    );
    expect(isLossyInteger('9007199254740992')).toBe(false);
    expect(isLossyInteger('9007199254740993')).toBe(true);
    // 2^60 is a float exactly, but is stored as 1152921504606847000: an exact reader (Python) gets another integer.
    expect(isLossyInteger('1152921504606846976')).toBe(true);
    expect(isLossyInteger('-1000000000000000000000')).toBe(false);
    // Past the float range it is ±Infinity, which the non-finite check names.
    expect(isLossyInteger('9'.repeat(400))).toBe(false);
  });

  it('names no field deeper than 1,000 levels rather than overflow the stack (the body is refused for depth)', () => {
    const text = `${'['.repeat(50_000)}${TOO_LONG}${']'.repeat(50_000)}`;
    expect(lossyIntegerIn(text)).toBe(TOO_LONG);
    expect(lossyIntegerPath(JSON.parse(text), TOO_LONG)).toBe('');
  });

  it('never refuses what JSON.stringify writes (so no JavaScript producer is refused)', () => {
    const number = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(Number),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        number,
        fc.string(),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(lossyIntegerIn(JSON.stringify(v))).toBeNull();
      }),
    );
  });

  it('finds every integer beyond 2^53 that is not stored as sent, wherever it sits', () => {
    const lossy = fc.bigInt({ min: 2n ** 53n, max: 10n ** 21n - 1n }).filter((n) => String(Number(n)) !== String(n));
    fc.assert(
      fc.property(lossy, fc.boolean(), fc.nat(3), (n, negative, pad) => {
        const token = `${negative ? '-' : ''}${n}`;
        const text = `{"a":[${'0,'.repeat(pad)}{"b":${token}}],"s":"${n}"}`;
        expect(lossyIntegerIn(text)).toBe(token);
        expect(lossyIntegerPath(JSON.parse(text), token)).toBe(`a[${pad}].b`);
      }),
    );
  });
});
