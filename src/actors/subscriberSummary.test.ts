import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lastDelivered, listSubscribers, type SubscriberFacts } from './subscriberSummary.js';

const modeArb = fc.constantFrom('awaitingConfig', 'replaying', 'live', 'lagging', 'closed' as const);

const factsArb: fc.Arbitrary<SubscriberFacts> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 6 }),
  mode: modeArb,
  filter: fc.constant({}),
  nextOffset: fc.integer({ min: 1, max: 1_000 }),
  openedAt: fc.nat(),
  lastActivity: fc.nat(),
});

describe('subscriber summary', () => {
  it('a live subscriber has been sent everything routed; a replaying or lagging one, up to its next offset', () => {
    expect(lastDelivered('live', 5, 40)).toBe(40);
    expect(lastDelivered('live', 51, 40)).toBe(50); // from_offset beyond the head
    expect(lastDelivered('replaying', 12, 40)).toBe(11);
    expect(lastDelivered('lagging', 30, 40)).toBe(29);
    expect(lastDelivered('awaitingConfig', 1, 40)).toBeNull();
  });

  it('lists lag against the head, most lagging first, unconfigured last, and leaves closed actors out', () => {
    const base = { filter: {}, openedAt: 0, lastActivity: 0 };
    const listing = listSubscribers(
      [
        { ...base, id: 'a', mode: 'live', nextOffset: 1 },
        { ...base, id: 'b', mode: 'lagging', nextOffset: 71 },
        { ...base, id: 'c', mode: 'awaitingConfig', nextOffset: 1 },
        { ...base, id: 'd', mode: 'replaying', nextOffset: 11 },
        { ...base, id: 'e', mode: 'closed', nextOffset: 1 },
      ],
      100,
      100,
      10,
    );
    expect(listing.by_mode).toEqual({ awaiting_config: 1, replaying: 1, live: 1, lagging: 1 });
    expect(listing.total).toBe(4);
    expect(listing.subscribers.map((s) => [s.id, s.mode, s.last_delivered, s.lag])).toEqual([
      ['d', 'replaying', 10, 90],
      ['b', 'lagging', 70, 30],
      ['a', 'live', 100, 0],
      ['c', 'awaiting_config', null, null],
    ]);
  });

  it('names as next_offset the one after the last it was sent: a live one moves on with what is routed', () => {
    fc.assert(
      fc.property(fc.array(factsArb, { maxLength: 20 }), fc.integer({ min: 0, max: 2_000 }), (all, routed) => {
        for (const row of listSubscribers(all, 2_000, routed, 100).subscribers)
          expect(row.next_offset).toBe(row.last_delivered === null ? null : row.last_delivered + 1);
      }),
    );
    const live = { id: 'a', mode: 'live', filter: {}, nextOffset: 5, openedAt: 0, lastActivity: 0 } as const;
    expect(listSubscribers([live], 9, 9, 10).subscribers[0]).toMatchObject({ next_offset: 10, last_delivered: 9 });
  });

  it('counts every subscriber, keeps at most `limit` rows sorted by lag, and never reports a negative lag', () => {
    fc.assert(
      fc.property(
        fc.array(factsArb, { maxLength: 30 }),
        fc.nat(1_000),
        fc.nat(1_000),
        fc.integer({ min: 1, max: 40 }),
        (all, head, routedUpTo, limit) => {
          const listing = listSubscribers(all, head, routedUpTo, limit);
          const open = all.filter((f) => f.mode !== 'closed').length;
          expect(listing.total).toBe(open);
          expect(Object.values(listing.by_mode).reduce((a, b) => a + b, 0)).toBe(open);
          expect(listing.subscribers).toHaveLength(Math.min(limit, open));
          const lags = listing.subscribers.map((s) => s.lag ?? -1);
          expect(lags).toEqual([...lags].sort((a, b) => b - a));
          for (const row of listing.subscribers) {
            if (row.lag !== null) expect(row.lag).toBeGreaterThanOrEqual(0);
            expect(row.lag === null).toBe(row.mode === 'awaiting_config');
          }
        },
      ),
    );
  });
});
