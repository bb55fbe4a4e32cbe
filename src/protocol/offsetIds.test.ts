import fc from 'fast-check';
import { urlAlphabet } from 'nanoid';
import { describe, expect, it } from 'vitest';
import { idOffset, offsetIds } from './offsetIds.js';

const SHAPE = /^evt_[A-Za-z0-9_-]{21}$/;
const MAX_OFFSET = 2 ** 48 - 1;

describe('offsetIds', () => {
  it('makes ids of the server shape that name their offset, across blocks and offsets that go back', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: MAX_OFFSET }), { minLength: 1, maxLength: 50 }), (starts) => {
        const next = offsetIds('evt_');
        for (const start of starts)
          for (const offset of [start, start + 1, start + 1_023, start + 1_024, start - 1].filter(
            (o) => o >= 0 && o <= MAX_OFFSET,
          )) {
            const id = next(offset);
            expect(id).toMatch(SHAPE);
            expect(idOffset(id)).toBe(offset);
          }
      }),
    );
  });

  it('gives each offset of a dense run its own id, and two generators different ids for one offset', () => {
    const a = offsetIds('evt_');
    const b = offsetIds('evt_');
    const ids = Array.from({ length: 5_000 }, (_, i) => a(i + 1));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id, i) => idOffset(id) !== i + 1)).toEqual([]);
    expect(b(1)).not.toBe(a(1));
    // Offset 64 is the digits 0,…,0,1,0; the 13 random symbols come from the injected bytes, six bits each.
    const fixed = offsetIds('p:', (n) => new Uint8Array(n).fill(64 + 3));
    const [zero, one, , three] = urlAlphabet;
    expect(fixed(64)).toBe(`p:${zero!.repeat(6)}${one}${zero}${three!.repeat(13)}`);
  });

  it('reads no offset from an id that cannot be one, and any offset from the 8 symbols it reads', () => {
    expect(idOffset('')).toBeNull();
    expect(idOffset('evt_short')).toBeNull();
    expect(idOffset(`evt_${'!'.repeat(21)}`)).toBeNull();
    expect(idOffset(`evt_${'é'.repeat(21)}`)).toBeNull();
    fc.assert(
      fc.property(fc.string(), (id) => {
        const offset = idOffset(id);
        if (offset !== null) expect(offset).toBeGreaterThanOrEqual(0);
        if (offset !== null) expect(offset).toBeLessThanOrEqual(MAX_OFFSET);
      }),
    );
  });

  it('refuses offsets it cannot spell in 8 symbols, and a prefix a block cannot hold', () => {
    expect(() => offsetIds('évt_')).toThrow(RangeError);
    const next = offsetIds('evt_');
    expect(() => next(-1)).toThrow(RangeError);
    expect(() => next(2 ** 48)).toThrow(RangeError);
    expect(() => next(1.5)).toThrow(RangeError);
  });
});
