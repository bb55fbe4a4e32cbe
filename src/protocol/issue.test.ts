import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codePoints, preview, previewValue } from './issue.js';

describe('preview', () => {
  it('cuts and counts by code points, never halving an emoji', () => {
    // Before: `"😀…😀"… (200 characters)` for 100 emoji, and `"a😀…😀\ud83d"… (101 characters)` for a + 50.
    expect(preview('\u{1F600}'.repeat(100))).toBe(`${JSON.stringify('\u{1F600}'.repeat(40))}… (100 characters)`);
    expect(preview(`a${'\u{1F600}'.repeat(50)}`)).toBe(
      `${JSON.stringify(`a${'\u{1F600}'.repeat(39)}`)}… (51 characters)`,
    );
    expect(preview('\u{1F600}'.repeat(40))).toBe(JSON.stringify('\u{1F600}'.repeat(40)));
    expect(preview('x'.repeat(1_000_000))).toBe(`${JSON.stringify('x'.repeat(40))}… (1000000 characters)`);
  });

  it('shows a prefix of the code points sent, and their count (property)', () => {
    const unit = fc.oneof(
      fc.constantFrom('a', '\u00e9', '\u{1F600}', '\ud800', '\udc00'),
      fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 120 }), (parts) => {
        const text = parts.join('');
        const points = Array.from(text);
        expect(codePoints(text)).toBe(points.length);
        const shown = preview(text);
        if (points.length <= 40) expect(shown).toBe(JSON.stringify(text));
        else expect(shown).toBe(`${JSON.stringify(points.slice(0, 40).join(''))}… (${points.length} characters)`);
      }),
    );
  });
});

describe('previewValue', () => {
  it('names what a value is when it is not text: a BLOB by its size', () => {
    expect(previewValue(Buffer.from([1, 2, 3, 4, 5, 6, 7]))).toBe('a BLOB of 7 bytes');
    expect(previewValue(new Uint8Array(1))).toBe('a BLOB of 1 byte');
    expect(previewValue([1])).toBe('an array');
    expect(previewValue({})).toBe('a value of type object');
    expect(previewValue(12)).toBe('12');
  });
});
