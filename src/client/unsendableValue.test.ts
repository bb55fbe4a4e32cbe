import { describe, expect, it } from 'vitest';
import { unsendableValueIn } from './unsendableValue.js';

describe('unsendableValueIn', () => {
  it('names a BigInt by its path, in objects and arrays', () => {
    expect(unsendableValueIn({ payload: { deep: { b: 1n } } })).toBe(
      'payload.deep.b is a BigInt (1n), which JSON cannot carry: send it as a string',
    );
    expect(unsendableValueIn({ payload: { list: [1, { x: [2n] }] } })).toMatch(
      /^payload\.list\[1\]\.x\[0\] is a BigInt/,
    );
  });

  it('names a cycle by where it closes and what it refers back to', () => {
    const payload: Record<string, unknown> = { a: 1 };
    payload.self = { inner: payload };
    expect(unsendableValueIn({ event_type: 'quiz_started', payload })).toBe(
      'payload.self.inner refers back to payload (a cycle)',
    );
    const event: Record<string, unknown> = {};
    event.payload = [event];
    expect(unsendableValueIn(event)).toBe('payload[0] refers back to the event (a cycle)');
  });

  it('does not call a value met twice (not a cycle) a cycle', () => {
    const shared = { n: 1 };
    expect(unsendableValueIn({ payload: { a: shared, b: shared } })).toBeNull();
  });

  it('applies toJSON as JSON.stringify does', () => {
    expect(unsendableValueIn({ payload: { big: { toJSON: () => 5n } } })).toMatch(/^payload\.big is a BigInt \(5n\)/);
    expect(unsendableValueIn({ payload: { big: { v: 5n, toJSON: () => 'five' } } })).toBeNull();
  });
});
