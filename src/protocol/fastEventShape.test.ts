import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { EventInputSchema, fastEventShape } from './eventInput.js';
import { EVENT_TYPES } from './eventTypes.js';

describe('fastEventShape', () => {
  // Values near every boundary of every rule, so both paths see valid and invalid cases often.
  const text = (max: number) =>
    fc.oneof(
      fc.string({ minLength: 0, maxLength: 3 }),
      fc.integer({ min: max - 1, max: max + 1 }).map((n) => 'a'.repeat(n)),
      fc.stringMatching(/^[A-Za-z0-9_.:-]{1,8}$/),
      fc.constantFrom('bad space', 'ünï', 'a/b', '', 'a:b', 'a\ud800b', '\udc00', 'ok\ud83d\ude00'),
    );
  const edge = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.integer(),
    fc.boolean(),
    fc.string({ maxLength: 3 }),
    text(100),
    text(200),
  );
  // Valid records near every boundary, each with at most one field swapped for an edge value.
  const validRecord = fc.record({
    event_type: fc.constantFrom(...EVENT_TYPES),
    source: fc.oneof(
      fc.integer({ min: 1, max: 100 }).map((n) => 'a'.repeat(n)),
      fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/),
    ),
    session_id: fc.option(
      fc.integer({ min: 0, max: 200 }).map((n) => 's'.repeat(n)),
      { nil: undefined },
    ),
    user_id: fc.option(
      fc.oneof(
        fc.constant(null),
        fc.integer({ min: 0, max: 200 }).map((n) => 'ü'.repeat(n)),
      ),
      { nil: undefined },
    ),
    payload: fc.option(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), { nil: undefined }),
    id: fc.option(
      fc.oneof(
        fc.integer({ min: 1, max: 100 }).map((n) => 'i'.repeat(n)),
        fc.stringMatching(/^[A-Za-z0-9_.:-]{1,10}$/),
      ),
      { nil: undefined },
    ),
  });
  const candidate = fc
    .tuple(validRecord, fc.constantFrom('none', 'event_type', 'source', 'session_id', 'user_id', 'payload', 'id'), edge)
    .map(([record, swap, value]) => (swap === 'none' ? record : { ...record, [swap]: value }));

  it('accepts exactly what the valibot schema accepts, with the same output', () => {
    fc.assert(
      fc.property(fc.oneof({ arbitrary: candidate, weight: 4 }, { arbitrary: fc.anything(), weight: 1 }), (raw) => {
        const schema = v.safeParse(EventInputSchema, raw);
        const fast = fastEventShape(raw);
        if (Array.isArray(raw)) return; // parseEventInput rejects arrays before either path
        expect(fast !== null).toBe(schema.success);
        if (fast !== null && schema.success) {
          const normalize = (shape: Record<string, unknown>) =>
            Object.fromEntries(Object.entries(shape).filter(([, value]) => value !== undefined));
          expect(normalize(fast)).toEqual(normalize(schema.output));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
