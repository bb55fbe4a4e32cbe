import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codePoints, preview } from './issue.js';

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
