import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowedMethods } from './allowedMethods.js';

describe('allowedMethods', () => {
  it('lists the methods in a fixed order, HEAD with GET and OPTIONS always', () => {
    expect(allowedMethods(['DELETE', 'POST', 'GET'])).toBe('GET, HEAD, POST, DELETE, OPTIONS');
    expect(allowedMethods(['GET'])).toBe('GET, HEAD, OPTIONS');
    expect(allowedMethods(['POST'])).toBe('POST, OPTIONS');
  });

  it('names each method once, whatever the order or repeats of its input', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('GET', 'POST', 'DELETE')), (methods) => {
        const listed = allowedMethods(methods).split(', ');
        expect(new Set(listed).size).toBe(listed.length);
        expect(listed.includes('HEAD')).toBe(methods.includes('GET'));
        expect(listed.at(-1)).toBe('OPTIONS');
      }),
    );
  });
});
