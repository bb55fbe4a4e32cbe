import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nulledValueIn } from './nulledValues.js';

describe('nulledValueIn', () => {
  it('finds nothing in a value JSON carries as it is', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        expect(nulledValueIn(value)).toBeNull();
      }),
    );
  });

  it('names the path and the number JSON would write as null', () => {
    expect(nulledValueIn({ payload: { a: [1, { b: Number.NaN }] } })).toEqual({
      path: 'payload.a[1].b',
      value: 'NaN',
    });
    expect(nulledValueIn([Infinity])).toEqual({ path: '[0]', value: 'Infinity' });
    expect(nulledValueIn({ payload: { n: null, s: 'null' } })).toBeNull();
  });

  it('names the first, in document order, of the numbers JSON.parse read as ±Infinity', () => {
    const parsed = JSON.parse('{"payload":{"a":[1,{"b":1e400}],"c":-1e999},"ref":1e309}') as unknown;
    expect(nulledValueIn(parsed)).toEqual({ path: 'payload.a[1].b', value: 'Infinity' });
    expect(nulledValueIn(JSON.parse('[1e309]'))).toEqual({ path: '[0]', value: 'Infinity' });
    expect(nulledValueIn(JSON.parse('-1e400'))).toEqual({ path: '', value: '-Infinity' });
    expect(nulledValueIn(JSON.parse('{"x":1e308,"y":-1.7976931348623157e308}'))).toBeNull();
  });

  it('sees what is sent: after toJSON, and not keys JSON leaves out', () => {
    const hidden = { inner: Number.NaN, toJSON: () => ({ shown: 1 }) };
    expect(nulledValueIn({ payload: { hidden, gone: undefined } })).toBeNull();
    expect(nulledValueIn({ payload: { exposed: { toJSON: () => ({ x: -Infinity }) } } })).toEqual({
      path: 'payload.exposed.x',
      value: '-Infinity',
    });
  });

  it('finds one wherever it is put, exactly when the JSON text differs from the value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(NaN, Infinity, -Infinity), (value, bad) => {
        const wrapped = { before: value, payload: { list: [value, bad] } };
        expect(nulledValueIn(wrapped)).toEqual({ path: 'payload.list[1]', value: String(bad) });
      }),
    );
  });

  it('finds undefined, a function or a symbol where JSON writes null for it: an array element, after toJSON', () => {
    const fn = () => 1;
    expect(nulledValueIn({ payload: { arr: [undefined, fn] } })).toEqual({
      path: 'payload.arr[0]',
      value: 'undefined',
    });
    expect(nulledValueIn({ payload: { arr: [1, fn] } })).toEqual({ path: 'payload.arr[1]', value: 'a function' });
    expect(nulledValueIn([[Symbol('s')]])).toEqual({ path: '[0][0]', value: 'a symbol' });
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
    expect(nulledValueIn({ sparse: [1, , 3] })).toEqual({ path: 'sparse[1]', value: 'undefined' });
    expect(nulledValueIn({ list: [{ toJSON: () => undefined }] })).toEqual({ path: 'list[0]', value: 'undefined' });
    expect(nulledValueIn({ list: [{ toJSON: () => ({ inner: [fn] }) }] })).toEqual({
      path: 'list[0].inner[0]',
      value: 'a function',
    });
  });

  it('lets an object key hold undefined, a function or a symbol: JSON leaves the key out, losing nothing', () => {
    const gone = { a: undefined, f: () => 1, s: Symbol('s'), t: { toJSON: () => undefined } };
    expect(nulledValueIn({ payload: gone, list: [gone] })).toBeNull();
    expect(nulledValueIn(undefined)).toBeNull();
    expect(nulledValueIn(() => 1)).toBeNull();
  });

  it('finds an array element JSON would write as null, wherever it is put, and only there', () => {
    const unsendable = fc.constantFrom<[unknown, string]>(
      [undefined, 'undefined'],
      [() => 1, 'a function'],
      [Symbol('s'), 'a symbol'],
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), unsendable, (value, [bad, described]) => {
        expect(nulledValueIn({ before: value, payload: { list: [value, bad] } })).toEqual({
          path: 'payload.list[1]',
          value: described,
        });
        expect(nulledValueIn({ before: value, payload: { key: bad, list: [value] } })).toBeNull();
      }),
    );
  });
});
