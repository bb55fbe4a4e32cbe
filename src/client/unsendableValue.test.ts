import { describe, expect, it } from 'vitest';
import { TOO_DEEP, unsendableValueIn } from './unsendableValue.js';

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

  it('says nesting past the stack is too deep (stringify said only "Maximum call stack size exceeded")', () => {
    let payload: unknown = 1;
    for (let i = 0; i < 200_000; i++) payload = [payload];
    const event = { event_type: 'timer_tick', payload };
    expect(() => JSON.stringify(event)).toThrow(RangeError);
    expect(unsendableValueIn(event)).toBe(TOO_DEEP);
    // Another error on the way is a toJSON's own, which stringify's message already names.
    const throwing = {
      toJSON: () => {
        throw new TypeError('no');
      },
    };
    expect(unsendableValueIn({ payload: { throwing } })).toBeNull();
  });
});
