import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventFilter, type Filterable, matchesFilter } from './eventFilter.js';
import { EVENT_TYPES } from './eventTypes.js';

const event: Filterable = { event_type: 'quiz_started', session_id: 's1', user_id: 'u1', source: 'quiz' };

const small = fc.constantFrom('a', 'b', 'c');
const filterableArb: fc.Arbitrary<Filterable> = fc.record({
  event_type: fc.constantFrom(...EVENT_TYPES.slice(0, 3)),
  session_id: fc.option(small, { nil: null }),
  user_id: fc.option(small, { nil: null }),
  source: small,
});
const filterArb: fc.Arbitrary<EventFilter> = fc.record(
  {
    event_types: fc.subarray(EVENT_TYPES.slice(0, 4)),
    session_id: small,
    user_id: small,
    source: small,
  },
  { requiredKeys: [] },
);

describe('matchesFilter', () => {
  it('matches everything with an empty filter or an empty type list', () => {
    expect(matchesFilter({}, event)).toBe(true);
    expect(matchesFilter({ event_types: [] }, event)).toBe(true);
  });

  it('checks each field', () => {
    expect(matchesFilter({ event_types: ['quiz_started', 'timer_tick'] }, event)).toBe(true);
    expect(matchesFilter({ event_types: ['timer_tick'] }, event)).toBe(false);
    expect(matchesFilter({ session_id: 's1' }, event)).toBe(true);
    expect(matchesFilter({ session_id: 's2' }, event)).toBe(false);
    expect(matchesFilter({ user_id: 'u1' }, event)).toBe(true);
    expect(matchesFilter({ user_id: 'u2' }, event)).toBe(false);
    expect(matchesFilter({ source: 'quiz' }, event)).toBe(true);
    expect(matchesFilter({ source: 'quiz2' }, event)).toBe(false);
    expect(
      matchesFilter({ event_types: ['quiz_started'], session_id: 's1', user_id: 'u1', source: 'quiz' }, event),
    ).toBe(true);
    expect(
      matchesFilter({ event_types: ['quiz_started'], session_id: 's1', user_id: 'u2', source: 'quiz' }, event),
    ).toBe(false);
  });

  it('never matches a null session or user against a filter on it', () => {
    const anonymous: Filterable = { ...event, session_id: null, user_id: null };
    expect(matchesFilter({ session_id: 's1' }, anonymous)).toBe(false);
    expect(matchesFilter({ user_id: 'u1' }, anonymous)).toBe(false);
    expect(matchesFilter({ source: 'quiz' }, anonymous)).toBe(true);
  });

  it('is the conjunction of its single-field filters', () => {
    fc.assert(
      fc.property(filterArb, filterableArb, (filter, candidate) => {
        const parts: EventFilter[] = [];
        if (filter.event_types !== undefined) parts.push({ event_types: filter.event_types });
        if (filter.session_id !== undefined) parts.push({ session_id: filter.session_id });
        if (filter.user_id !== undefined) parts.push({ user_id: filter.user_id });
        if (filter.source !== undefined) parts.push({ source: filter.source });
        expect(matchesFilter(filter, candidate)).toBe(parts.every((part) => matchesFilter(part, candidate)));
      }),
      { numRuns: 200 },
    );
  });

  it('matches an event by its own fields', () => {
    fc.assert(
      fc.property(filterableArb, (candidate) => {
        const filter: EventFilter = {
          event_types: [candidate.event_type as (typeof EVENT_TYPES)[number]],
          source: candidate.source,
          ...(candidate.session_id === null ? {} : { session_id: candidate.session_id }),
          ...(candidate.user_id === null ? {} : { user_id: candidate.user_id }),
        };
        expect(matchesFilter(filter, candidate)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
