import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nonFiniteNumberIn } from './nonFiniteNumbers.js';

describe('nonFiniteNumberIn', () => {
  it('finds nothing in a value JSON carries as it is', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        expect(nonFiniteNumberIn(value)).toBeNull();
      }),
    );
  });

  it('names the path and the number JSON would write as null', () => {
    expect(nonFiniteNumberIn({ payload: { a: [1, { b: Number.NaN }] } })).toEqual({
      path: 'payload.a[1].b',
      value: NaN,
    });
    expect(nonFiniteNumberIn([Infinity])).toEqual({ path: '[0]', value: Infinity });
    expect(nonFiniteNumberIn({ payload: { n: null, s: 'null' } })).toBeNull();
  });

  it('names the first, in document order, of the numbers JSON.parse read as ±Infinity', () => {
    const parsed = JSON.parse('{"payload":{"a":[1,{"b":1e400}],"c":-1e999},"ref":1e309}') as unknown;
    expect(nonFiniteNumberIn(parsed)).toEqual({ path: 'payload.a[1].b', value: Infinity });
    expect(nonFiniteNumberIn(JSON.parse('[1e309]'))).toEqual({ path: '[0]', value: Infinity });
    expect(nonFiniteNumberIn(JSON.parse('-1e400'))).toEqual({ path: '', value: -Infinity });
    expect(nonFiniteNumberIn(JSON.parse('{"x":1e308,"y":-1.7976931348623157e308}'))).toBeNull();
  });

  it('sees what is sent: after toJSON, and not keys JSON leaves out', () => {
    const hidden = { inner: Number.NaN, toJSON: () => ({ shown: 1 }) };
    expect(nonFiniteNumberIn({ payload: { hidden, gone: undefined } })).toBeNull();
    expect(nonFiniteNumberIn({ payload: { exposed: { toJSON: () => ({ x: -Infinity }) } } })).toEqual({
      path: 'payload.exposed.x',
      value: -Infinity,
    });
  });

  it('finds one wherever it is put, exactly when the JSON text differs from the value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(NaN, Infinity, -Infinity), (value, bad) => {
        const wrapped = { before: value, payload: { list: [value, bad] } };
        expect(nonFiniteNumberIn(wrapped)).toEqual({ path: 'payload.list[1]', value: bad });
      }),
    );
  });
});
