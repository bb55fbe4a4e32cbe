import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packRows, UNPACK_ROWS_SOURCE } from './packedRows.js';

/** The writer worker's decoder, built from the very source text the worker evaluates. */
const unpackRows = new Function(`${UNPACK_ROWS_SOURCE}; return unpackRows;`)() as (
  text: string,
  lengths: Int32Array,
) => (string | null)[];

describe('packed rows', () => {
  it('unpack(pack(values)) gives back every value, null and empty string apart, whatever the characters', () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.constant(''),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udc00', 'é', '"', 'a') }),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), (values) => {
        const packed = packRows(values);
        expect(packed.lengths).toHaveLength(values.length);
        expect(unpackRows(packed.text, packed.lengths)).toEqual(values);
      }),
      { numRuns: 500 },
    );
  });

  it('packs into one string of exactly the values joined', () => {
    const packed = packRows(['evt_a', null, '', '{"n":1}']);
    expect(packed.text).toBe('evt_a{"n":1}');
    expect([...packed.lengths]).toEqual([5, -1, 0, 7]);
  });
});
