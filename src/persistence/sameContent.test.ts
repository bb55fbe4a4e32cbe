import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, samePayload } from './sameContent.js';

describe('samePayload', () => {
  it('is true for any key order of the same JSON and false for any other value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), (a, b) => {
        const text = JSON.stringify(a);
        const reordered = canonicalJson(JSON.parse(text));
        expect(samePayload(text, reordered)).toBe(true);
        expect(samePayload(text, JSON.stringify(b))).toBe(canonicalJson(a) === canonicalJson(b));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a __proto__ key as a key', () => {
    expect(samePayload('{"__proto__":1}', '{}')).toBe(false);
    expect(samePayload('{"a":1,"__proto__":{"x":2}}', '{"__proto__":{"x":2},"a":1}')).toBe(true);
  });

  it('compares unparseable text by identity only', () => {
    expect(samePayload('{oops', '{oops')).toBe(true);
    expect(samePayload('{oops', '{"oops":1}')).toBe(false);
  });
});
