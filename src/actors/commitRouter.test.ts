import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventFilter, matchesFilter } from '../protocol/eventFilter.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { EVENT_TYPES } from '../protocol/eventTypes.js';
import { CommitRouter, cachedRecordJson } from './commitRouter.js';

const TYPES = EVENT_TYPES.slice(0, 4);
const pool = fc.constantFrom('a', 'b', 'c');

const filterArb: fc.Arbitrary<EventFilter> = fc.record(
  { event_types: fc.array(fc.constantFrom(...TYPES), { maxLength: 3 }), session_id: pool, user_id: pool, source: pool },
  { requiredKeys: [] },
);

const recordArb = fc.record({
  event_type: fc.constantFrom(...TYPES),
  session_id: fc.option(pool, { nil: null }),
  user_id: fc.option(pool, { nil: null }),
  source: pool,
});

/** A commit: records with consecutive offsets from 1. */
function commit(
  fields: readonly Pick<StoredEvent, 'event_type' | 'session_id' | 'user_id' | 'source'>[],
): StoredEvent[] {
  return fields.map((f, i) => ({ ...f, offset: i + 1, id: `e${i + 1}`, payloadJson: '{}', ts: 1_000 + i }));
}

describe('CommitRouter', () => {
  it('delivers each subscriber exactly the records a naive filter picks, in offset order, in one delivery per commit', () => {
    fc.assert(
      fc.property(
        fc.array(filterArb, { maxLength: 8 }),
        fc.array(recordArb, { minLength: 1, maxLength: 30 }),
        (filters, fields) => {
          const router = new CommitRouter();
          for (const [i, filter] of filters.entries()) router.file(`s${i}`, filter);
          const records = commit(fields);
          const deliveries = router.route(records);
          const ids = deliveries.map((d) => d.id);
          expect(new Set(ids).size).toBe(ids.length);
          filters.forEach((filter, i) => {
            const expected = records.filter((r) => matchesFilter(filter, r));
            const delivery = deliveries.find((d) => d.id === `s${i}`);
            if (expected.length === 0) expect(delivery).toBeUndefined();
            else expect(delivery?.records).toEqual(expected);
          });
        },
      ),
    );
  });

  it('routes by the latest filter and stops routing to a forgotten subscriber', () => {
    const router = new CommitRouter();
    router.file('x', { session_id: 'a' });
    router.file('y', {});
    router.file('x', { session_id: 'b' });
    const records = commit([
      { event_type: TYPES[0]!, session_id: 'a', user_id: null, source: 's' },
      { event_type: TYPES[0]!, session_id: 'b', user_id: null, source: 's' },
    ]);
    expect(router.route(records)).toEqual([
      { id: 'y', records },
      { id: 'x', records: [records[1]] },
    ]);
    router.forget('y');
    expect(router.size).toBe(1);
    expect(router.route(records).map((d) => d.id)).toEqual(['x']);
  });

  it('serializes a record once however many subscribers get it', () => {
    const json = cachedRecordJson();
    const [record] = commit([{ event_type: TYPES[0]!, session_id: null, user_id: null, source: 's' }]);
    expect(json(record!)).toBe(json(record!));
    expect(JSON.parse(json(record!))).toMatchObject({ offset: 1, id: 'e1' });
  });
});
