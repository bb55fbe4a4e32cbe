import fc from 'fast-check';
import { urlAlphabet } from 'nanoid';
import { describe, expect, it } from 'vitest';
import { prefixedIds } from './prefixedIds.js';

describe('prefixedIds', () => {
  it('makes ids of the nanoid form, all distinct, across many blocks', () => {
    const next = prefixedIds('evt_');
    const ids = Array.from({ length: 100_000 }, next);
    // Hint: one expect for all 100,000 (one per id cost about a second of CPU).
    expect(ids.filter((id) => !/^evt_[A-Za-z0-9_-]{21}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    // Every symbol of the alphabet shows up (2.1 million random characters).
    expect(new Set(ids.join('').replaceAll('evt_', '')).size).toBe(64);
  });

  it('maps each random byte to the alphabet symbol of its low six bits, in order, block after block', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 2_500 }),
        fc.nat(),
        (size, count, seed) => {
          const handed: Uint8Array[] = [];
          let state = seed;
          const random = (n: number) => {
            const bytes = Uint8Array.from({ length: n }, () => {
              state = (state * 1_103_515_245 + 12_345) >>> 0;
              return state >>> 24;
            });
            handed.push(bytes);
            return bytes;
          };
          const next = prefixedIds('p:', size, random);
          const all = Array.from({ length: count }, next);
          const expected = handed
            .flatMap((bytes) => Array.from(bytes, (b) => urlAlphabet[b & 63]))
            .slice(0, count * size)
            .join('');
          expect(all.map((id) => id.slice(2)).join('')).toBe(expected);
          expect(all.every((id) => id.startsWith('p:') && id.length === size + 2)).toBe(true);
          // One fill per 1,024 ids.
          expect(handed.length).toBe(Math.ceil(count / 1_024));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a prefix it cannot write byte for byte, and sizes past one random fill', () => {
    expect(() => prefixedIds('é_')).toThrow(RangeError);
    expect(() => prefixedIds('evt_', 0)).toThrow(RangeError);
    expect(() => prefixedIds('evt_', 65)).toThrow(RangeError);
  });
});
