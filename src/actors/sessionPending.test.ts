import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { SessionRecord } from './sessionMachine.js';
import { foldedBelow, PendingRecords } from './sessionPending.js';

const record = (offset: number, user: string | null): StoredEvent => ({
  offset,
  id: `e${offset}`,
  event_type: 'answer_submitted',
  source: 's',
  session_id: 'sess',
  user_id: user,
  payloadJson: `{"quiz_id":"q${offset}"}`,
  ts: offset * 10,
});

describe('PendingRecords', () => {
  it('takes exactly what was pushed since the last take, oldest first, however pushes and takes interleave', () => {
    const step = fc.oneof(fc.option(fc.constantFrom('u1', 'u2'), { nil: null }), fc.constant('take' as const));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const pending = new PendingRecords();
        let model: SessionRecord[] = [];
        let offset = 0;
        for (const s of steps) {
          if (s === 'take') {
            expect(pending.take()).toEqual(model);
            model = [];
          } else {
            const r = record(++offset, s);
            // Every other record keeps its payload, the rest the fold's '{}' (what the registry does without a quiz id).
            const payloadJson = offset % 2 === 0 ? r.payloadJson : '{}';
            pending.push(r, payloadJson);
            model.push({ offset: r.offset, event_type: r.event_type, user_id: r.user_id, ts: r.ts, payloadJson });
          }
          expect(pending.size).toBe(model.length);
          expect(pending.firstOffset).toBe(model[0]?.offset);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('foldedBelow', () => {
  it('is just below the oldest record still waiting in any session, or what was applied when none waits', () => {
    const offsets = fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 4 });
    fc.assert(
      fc.property(fc.array(offsets, { maxLength: 6 }), fc.integer({ min: 100, max: 200 }), (lists, applied) => {
        const waiting = lists.map((list) => {
          const pending = new PendingRecords();
          for (const offset of [...list].sort((a, b) => a - b)) pending.push(record(offset, null), '{}');
          return { pending };
        });
        const firsts = lists.filter((list) => list.length > 0).map((list) => Math.min(...list));
        expect(foldedBelow(waiting, applied)).toBe(firsts.length === 0 ? applied : Math.min(...firsts) - 1);
      }),
    );
  });
});
