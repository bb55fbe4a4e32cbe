import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { offsetIds } from '../protocol/offsetIds.js';
import { type SealedRange, UnindexedTail } from './unindexedTail.js';

const ownIds = offsetIds('evt_');

/** An event whose id is plain (`e<offset>`), or names its own offset (`own`, as the server's do). */
const event = (offset: number, session: string | null, user: string | null, own = false): StoredEvent => ({
  offset,
  id: own ? ownIds(offset) : `e${offset}`,
  event_type: 'timer_tick',
  source: 'svc',
  session_id: session,
  user_id: user,
  payloadJson: '{}',
  ts: 0,
});

describe('UnindexedTail', () => {
  it('answers keyed and id lookups like a naive list of what it still holds, through seals and releases', () => {
    const key = fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null });
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        session: key,
        user: key,
        id: fc.constantFrom('plain' as const, 'producer' as const, 'own' as const),
      }),
      fc.record({ kind: fc.constant('seal' as const), size: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('asc' as const, 'desc' as const),
        // Hint: tiny blocks make appends cross the blocks the tail fills in place.
        fc.integer({ min: 1, max: 3 }),
        (steps, from, order, blockEvents) => {
          const tail = new UnindexedTail(from, blockEvents);
          let next = from;
          const held: StoredEvent[] = [];
          /** Ids the tail must find: neither a producer's nor one that names its offset (those are found elsewhere). */
          const recorded = new Set<string>();
          const sealed: SealedRange[] = [];
          for (const s of steps) {
            if (s.kind === 'add') {
              const e = event(next++, s.session, s.user, s.id === 'own');
              tail.add(e, s.id === 'producer');
              held.push(e);
              if (s.id === 'plain') recorded.add(e.id);
            } else if (s.kind === 'seal') {
              const range = tail.seal(s.size);
              if (range !== null) sealed.push(range);
            } else if (sealed.length > 0) {
              const [range] = sealed.splice(s.pick % sealed.length, 1);
              expect(tail.release(range!)).toBe(true);
              held.splice(0, held.length, ...held.filter((e) => e.offset < range!.lo || e.offset > range!.hi));
            }
          }
          expect(tail.size).toBe(held.length);
          for (const first of [from, from + 2, next - 1, next + 1])
            expect(tail.sizeFrom(first)).toBe(held.filter((e) => e.offset >= first).length);
          for (const value of ['a', 'b', 'c']) {
            const naive = held.filter((e) => e.session_id === value).map((e) => e.offset);
            expect([...tail.offsetsFor('session', value, from, next, order)]).toEqual(
              order === 'asc' ? naive : naive.reverse(),
            );
            const users = held.filter((e) => e.user_id === value && e.offset > from).map((e) => e.offset);
            expect([...tail.offsetsFor('user', value, from + 1, next, 'asc')]).toEqual(users);
          }
          for (const e of held) expect(tail.offsetOf(e.id)).toBe(recorded.has(e.id) ? e.offset : undefined);
          expect(tail.offsetOf('missing')).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('forgets a rolled-back suffix of the open segment', () => {
    const tail = new UnindexedTail(1);
    for (let o = 1; o <= 5; o++) tail.add(event(o, 's', 'u'));
    tail.forgetFrom(4);
    expect([...tail.offsetsFor('session', 's', 1, 10, 'asc')]).toEqual([1, 2, 3]);
    expect(tail.offsetOf('e4')).toBeUndefined();
    expect(tail.size).toBe(3);
  });
});
