import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventFilter, type Filterable, matchesFilter } from '../protocol/eventFilter.js';
import { EVENT_TYPES } from '../protocol/eventTypes.js';
import { SubscriberIndex } from './subscriberIndex.js';

/** A stand-in subscriber: the index only reads `filter`, which update_filters replaces in place. */
interface Sub {
  readonly name: number;
  filter: EventFilter;
}

const TYPES = EVENT_TYPES.slice(0, 4);
const pool = fc.constantFrom('a', 'b', 'c');

const filterArb: fc.Arbitrary<EventFilter> = fc.record(
  {
    // Hint: duplicates and the empty list are both legal on the wire (empty means "all types").
    event_types: fc.array(fc.constantFrom(...TYPES), { maxLength: 5 }),
    session_id: pool,
    user_id: pool,
    source: pool,
  },
  { requiredKeys: [] },
);

const eventArb: fc.Arbitrary<Filterable> = fc.record({
  event_type: fc.constantFrom(...TYPES),
  session_id: fc.option(pool, { nil: null }),
  user_id: fc.option(pool, { nil: null }),
  source: pool,
});

/** Every subscriber the index visits for `event`, with how often. */
function visits(index: SubscriberIndex<Sub>, event: Filterable): Map<number, number> {
  const seen = new Map<number, number>();
  index.forEachMatch(event, (s) => seen.set(s.name, (seen.get(s.name) ?? 0) + 1));
  return seen;
}

function expectAgreesWithNaive(index: SubscriberIndex<Sub>, live: Iterable<Sub>, events: readonly Filterable[]): void {
  const all = [...live];
  expect(index.size).toBe(all.length);
  for (const event of events) {
    const seen = visits(index, event);
    const expected = all
      .filter((s) => matchesFilter(s.filter, event))
      .map((s) => s.name)
      .sort((a, b) => a - b);
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(expected);
    for (const count of seen.values()) expect(count).toBe(1);
  }
}

type Op =
  | { readonly kind: 'add'; readonly name: number; readonly filter: EventFilter }
  | { readonly kind: 'remove'; readonly name: number }
  | { readonly kind: 'update'; readonly name: number; readonly filter: EventFilter };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), name: fc.nat(7), filter: filterArb }),
  fc.record({ kind: fc.constant('remove' as const), name: fc.nat(7) }),
  fc.record({ kind: fc.constant('update' as const), name: fc.nat(7), filter: filterArb }),
);

describe('SubscriberIndex', () => {
  it('visits a session-filtered subscriber only for its session, and an unfiltered one always', () => {
    const index = new SubscriberIndex<Sub>();
    const bySession: Sub = { name: 1, filter: { session_id: 'a', event_types: ['quiz_started'] } };
    const everyone: Sub = { name: 2, filter: {} };
    index.add(bySession);
    index.add(everyone);
    expect(
      [...visits(index, { event_type: 'quiz_started', session_id: 'a', user_id: null, source: 'x' }).keys()].sort(),
    ).toEqual([1, 2]);
    expect([
      ...visits(index, { event_type: 'quiz_completed', session_id: 'a', user_id: null, source: 'x' }).keys(),
    ]).toEqual([2]);
    expect([
      ...visits(index, { event_type: 'quiz_started', session_id: 'b', user_id: null, source: 'x' }).keys(),
    ]).toEqual([2]);
  });

  it('visits exactly the subscribers the naive filter matches, each once', () => {
    fc.assert(
      fc.property(
        fc.array(filterArb, { maxLength: 12 }),
        fc.array(eventArb, { minLength: 1, maxLength: 30 }),
        (filters, events) => {
          const index = new SubscriberIndex<Sub>();
          const subs = filters.map((filter, name) => ({ name, filter }));
          for (const s of subs) index.add(s);
          expectAgreesWithNaive(index, subs, events);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('still agrees after random adds, removes, re-adds and filter updates', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 40 }),
        fc.array(eventArb, { minLength: 1, maxLength: 20 }),
        (ops, events) => {
          const index = new SubscriberIndex<Sub>();
          const live = new Map<number, Sub>();
          // Subscriber objects are kept across remove/re-add, as a reconnect-free re-subscribe would.
          const objects = new Map<number, Sub>();
          for (const op of ops) {
            if (op.kind === 'remove') {
              const s = objects.get(op.name);
              if (s !== undefined) index.remove(s);
              live.delete(op.name);
              continue;
            }
            let s = objects.get(op.name);
            if (s === undefined) {
              s = { name: op.name, filter: op.filter };
              objects.set(op.name, s);
            }
            if (op.kind === 'update' && !live.has(op.name)) continue;
            // As update_filters does: mutate the filter, then re-file the same object.
            s.filter = op.filter;
            index.add(s);
            live.set(op.name, s);
          }
          expectAgreesWithNaive(index, live.values(), events);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('removing an unknown subscriber is a no-op', () => {
    const index = new SubscriberIndex<Sub>();
    const s: Sub = { name: 1, filter: { user_id: 'a' } };
    index.remove(s);
    index.add(s);
    index.remove(s);
    index.remove(s);
    expect(index.size).toBe(0);
    expect(visits(index, { event_type: 'quiz_started', session_id: null, user_id: 'a', source: 'x' }).size).toBe(0);
  });
});
