import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { EventType } from '../protocol/eventTypes.js';
import { emptySessionContext, foldLifecycle, foldRecords, type SessionContext } from './sessionMachine.js';
import { foldedBelow, PendingRecords } from './sessionPending.js';
import { foldSummary, type RecordSummary } from './sessionSummary.js';

/** Payloads the quiz id fold meets: none, a string or number quiz_id, one it ignores (null, nested, inside a string). */
const PAYLOADS = [
  '{}',
  '{"quiz_id":"qa"}',
  '{"quiz_id":"qb","n":1}',
  '{"quiz_id":7}',
  '{"quiz_id":null}',
  '{"x":{"quiz_id":"nested"}}',
  '{"note":"\\"quiz_id\\""}',
];

const record = (
  offset: number,
  user: string | null,
  payloadJson = `{"quiz_id":"q${offset}"}`,
  event_type: EventType = 'answer_submitted',
): StoredEvent => ({
  offset,
  id: `e${offset}`,
  event_type,
  source: 's',
  session_id: 'sess',
  user_id: user,
  payloadJson,
  ts: offset * 10,
});

const START = emptySessionContext('sess');

const TYPES: EventType[] = ['answer_submitted', 'timer_tick', 'quiz_started', 'quiz_completed', 'session_ended'];

/** The fold of a summary, counters and lifecycle, as the session logic applies it. */
function foldedBy(context: SessionContext, summary: RecordSummary | null) {
  if (summary === null) return { context, lifecycle: null };
  return {
    context: { ...context, ...foldSummary(context, summary) },
    lifecycle: foldLifecycle('active', context, summary.lifecycle),
  };
}

describe('PendingRecords', () => {
  it('summarizes what was pushed since the last take, folding to what the full records fold to', () => {
    const step = fc.oneof(
      fc.record({
        user: fc.option(fc.constantFrom('u1', 'u2', 'u3'), { nil: null }),
        payload: fc.constantFrom(...PAYLOADS),
        type: fc.constantFrom(...TYPES),
      }),
      fc.constant('take' as const),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.boolean(), (steps, folded) => {
        const pending = new PendingRecords();
        const log: StoredEvent[] = [];
        let model: StoredEvent[] = [];
        let context = START;
        let offset = 0;
        const take = () => {
          let asked = 0;
          const summary = pending.take((from, upTo) => {
            asked++;
            const inRange = log.filter(
              (r) => r.offset >= from && r.offset <= upTo && r.payloadJson.includes('quiz_id'),
            );
            return new Map(inRange.map((r) => [r.offset, r.payloadJson]));
          });
          expect(asked).toBeLessThanOrEqual(1);
          expect(summary === null).toBe(model.length === 0);
          expect(summary?.first_offset).toBe(model[0]?.offset);
          expect(summary?.last_offset).toBe(model.at(-1)?.offset);
          expect(summary?.event_count ?? 0).toBe(model.length);
          const full = { ...context, ...foldRecords(context, model) };
          expect(foldedBy(context, summary)).toEqual({
            context: full,
            lifecycle: foldLifecycle('active', context, model),
          });
          // Folded before (`folded`) or not, the next take continues from this context.
          context = folded ? full : context;
          model = [];
        };
        for (const s of steps) {
          if (s === 'take') take();
          else {
            const r = record(++offset, s.user, s.payload, s.type);
            log.push(r);
            pending.push(r);
            model.push(r);
          }
          expect(pending.size).toBe(model.length);
          expect(pending.firstOffset).toBe(model[0]?.offset);
        }
        take();
        expect(pending.take()).toBeNull();
      }),
      { numRuns: 400 },
    );
  });

  it('keeps one payload, the newest holding a quiz_id, and reads the older ones back only when it names no quiz', () => {
    const pending = new PendingRecords();
    for (let offset = 1; offset <= 5; offset++) pending.push(record(offset, null));
    pending.push(record(6, null, '{}'));
    const asked: [number, number][] = [];
    const taken = pending.take((from, upTo) => {
      asked.push([from, upTo]);
      return new Map();
    });
    expect(taken?.quiz_id).toBe('q5');
    expect(asked).toEqual([]);

    for (let offset = 7; offset <= 9; offset++) pending.push(record(offset, null));
    pending.push(record(10, null, '{"quiz_id":null}'));
    const older = pending.take((from, upTo) => {
      asked.push([from, upTo]);
      return new Map([
        [8, '{"quiz_id":"q8"}'],
        [9, '{"quiz_id":"q9"}'],
      ]);
    });
    expect(asked).toEqual([[7, 9]]);
    expect(older?.quiz_id).toBe('q9');
  });
});

describe('foldedBelow', () => {
  it('is just below the oldest record still waiting in any session, or what was applied when none waits', () => {
    const offsets = fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 4 });
    fc.assert(
      fc.property(fc.array(offsets, { maxLength: 6 }), fc.integer({ min: 100, max: 200 }), (lists, applied) => {
        const waiting = lists.map((list) => {
          const pending = new PendingRecords();
          for (const offset of [...list].sort((a, b) => a - b)) pending.push(record(offset, null, '{}'));
          return { pending };
        });
        const firsts = lists.filter((list) => list.length > 0).map((list) => Math.min(...list));
        expect(foldedBelow(waiting, applied)).toBe(firsts.length === 0 ? applied : Math.min(...firsts) - 1);
      }),
    );
  });
});
