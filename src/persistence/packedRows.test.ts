import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PIECE_CHARS, packRows, UNPACK_ROWS_SOURCE } from './packedRows.js';

/** The writer worker's decoder, built from the very source text the worker evaluates. */
const unpackRows = new Function(`${UNPACK_ROWS_SOURCE}; return unpackRows;`)() as (
  pieces: readonly string[],
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
        expect(unpackRows(packed.pieces, packed.lengths)).toEqual(values);
      }),
      { numRuns: 500 },
    );
  });

  it('cuts between values into pieces of at most PIECE_CHARS unless one value is longer, and unpacks them', () => {
    // Lengths around the piece size, so cuts fall just before, at and after it, with nulls and empties between.
    const value = fc.oneof(
      fc.constant(null),
      fc.constant(''),
      fc.integer({ min: 1, max: PIECE_CHARS + 2 }).map((n) => 'x'.repeat(n)),
      fc.constantFrom(PIECE_CHARS - 1, PIECE_CHARS, 1).map((n) => 'é'.repeat(n)),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 12 }), (values) => {
        const packed = packRows(values);
        expect(packed.pieces.join('')).toBe(values.join(''));
        for (const piece of packed.pieces) {
          expect(piece.length).toBeGreaterThan(0);
          const alone = values.includes(piece);
          expect(piece.length <= PIECE_CHARS || alone).toBe(true);
        }
        expect(unpackRows(packed.pieces, packed.lengths)).toEqual(values);
      }),
      { numRuns: 300 },
    );
  });

  it('packs small values into one piece of exactly the values joined', () => {
    const packed = packRows(['evt_a', null, '', '{"n":1}']);
    expect(packed.pieces).toEqual(['evt_a{"n":1}']);
    expect([...packed.lengths]).toEqual([5, -1, 0, 7]);
  });
});
