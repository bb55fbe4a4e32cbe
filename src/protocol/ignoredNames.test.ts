import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ignoredNamesHeader, listedNames } from './ignoredNames.js';

/** Any UTF-16 code unit, lone surrogates included (what a JSON `\ud800` escape in a key gives). */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));

describe('ignoredNamesHeader', () => {
  it('writes a lone surrogate as its \\u escape instead of throwing', () => {
    // Before: encodeURIComponent threw URIError, and POST /events answered a valid event with 500.
    expect(ignoredNamesHeader('X-Ignored-Fields', ['a\ud800', '\udc00b', '\ud83d\ude00'])).toEqual({
      'X-Ignored-Fields': 'a%5Cud800, %5Cudc00b, %F0%9F%98%80',
    });
  });

  it('is printable ASCII for any names, and a short well-formed name decodes back to itself (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: anyUnit, maxLength: 80 }), { minLength: 1, maxLength: 12 }), (names) => {
        const header = ignoredNamesHeader('X-Ignored-Fields', names)['X-Ignored-Fields']!;
        expect(header).toMatch(/^[\x20-\x7e]*$/);
        const shown = header.split(', ');
        names.slice(0, 10).forEach((name, i) => {
          if (name.isWellFormed() && [...name].length <= 64) expect(decodeURIComponent(shown[i]!)).toBe(name);
        });
      }),
    );
  });
});

describe('listedNames', () => {
  it('lists at most 20 names of at most 64 code points, and counts the rest (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 100 }), { maxLength: 60 }), (names) => {
        const listed = listedNames(names);
        expect(listed.length).toBe(Math.min(names.length, 20) + (names.length > 20 ? 1 : 0));
        for (const [i, name] of listed.slice(0, 20).entries()) {
          const points = Array.from(names[i]!);
          expect(name).toBe(points.length <= 64 ? names[i] : `${points.slice(0, 64).join('')}…`);
        }
        if (names.length > 20) expect(listed[20]).toBe(`… and ${names.length - 20} more`);
      }),
    );
  });
});
