import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePathSegment } from './pathSegment.js';

/** How GET /events reads `?session_id=<raw>` (URLSearchParams), with `+ & = #` sent escaped so `raw` is one value. */
function asQueryValue(raw: string): string {
  return new URLSearchParams(`v=${raw.replace(/[+&=#]/g, (c) => encodeURIComponent(c))}`).get('v')!;
}

// Hint: ASCII only, as a request line carries it; Node's URLSearchParams reads a raw non-ASCII character next to an
// escape as one Latin-1 byte (`%C3\u00e9` gives "é"), which WHATWG does not.
const asciiUnit = fc.integer({ min: 0x20, max: 0x7e }).map((unit) => String.fromCharCode(unit));
const escapes = fc.constantFrom('%', '%2', '%ZZ', '%41', '%C3', '%A9', '%FF', '%ED%A0%80', '%F0%9F%98%80', '+');
const pathText = fc.string({ unit: fc.oneof(escapes, asciiUnit) });

describe('decodePathSegment', () => {
  it('decodes what it can and keeps the rest, as a query value is read', () => {
    expect(decodePathSegment('a%2Fb')).toBe('a/b');
    expect(decodePathSegment('%zz%41')).toBe('%zzA');
    expect(decodePathSegment('%FF')).toBe('\ufffd');
    expect(decodePathSegment('caf%C3%A9%')).toBe('caf\u00e9%');
    expect(decodePathSegment('a+b')).toBe('a+b');
    expect(decodePathSegment('%EF%BB%BFx')).toBe('\ufeffx');
    // A raw non-ASCII character (uWS hands the request line over as UTF-8 text) is kept as it is.
    expect(decodePathSegment('caf\u00e9%zz')).toBe('caf\u00e9%zz');
  });

  it('reads any segment as URLSearchParams reads the same text as a query value (property)', () => {
    fc.assert(
      fc.property(pathText, (raw) => {
        expect(decodePathSegment(raw)).toBe(asQueryValue(raw));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives back any well-formed id sent encoded (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (id) => {
        expect(decodePathSegment(encodeURIComponent(id))).toBe(id);
      }),
    );
  });
});
