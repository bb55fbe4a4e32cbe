import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SOURCE_FILTER_BOUNDS, SOURCE_MAX_CHARS, SOURCE_PATTERN, sourceFilterProblem } from './eventSource.js';

describe('sourceFilterProblem', () => {
  it('takes the empty filter and every source an event can have, and nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.\- :]{0,105}$/), fc.string()), (source) => {
        const storable = SOURCE_PATTERN.test(source) && source.length <= SOURCE_MAX_CHARS;
        expect(sourceFilterProblem(source) === null).toBe(source === '' || storable);
      }),
    );
  });

  it('is what its JSON Schema bounds say, as the API documents state them', () => {
    const pattern = new RegExp(SOURCE_FILTER_BOUNDS.pattern, 'u');
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.\- ]{0,105}$/), fc.string({ unit: 'binary' })), (source) => {
        const documented = pattern.test(source) && [...source].length <= SOURCE_FILTER_BOUNDS.maxLength;
        expect(documented).toBe(sourceFilterProblem(source) === null);
      }),
    );
  });
});
