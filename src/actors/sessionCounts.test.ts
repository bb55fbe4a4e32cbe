import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { EVENT_TYPES, type EventType } from '../protocol/eventTypes.js';
import { orderedCounts } from './sessionCounts.js';
import { emptySessionContext, foldRecords, type SessionContext } from './sessionMachine.js';
import { PendingRecords } from './sessionPending.js';
import { foldSummary } from './sessionSummary.js';
import { toView } from './sessionView.js';

const record = (offset: number, event_type: EventType, user: number): StoredEvent => ({
  offset,
  ts: offset,
  id: `e${offset}`,
  event_type,
  source: 'svc',
  session_id: 's1',
  user_id: `u${user}`,
  payloadJson: '{}',
});

const apply = (context: SessionContext, change: Partial<SessionContext>): SessionContext => ({ ...context, ...change });

/** The session as a node that lived through the records folds them: one batch per `cut`. */
function live(records: readonly StoredEvent[], cuts: readonly number[]): SessionContext {
  let context = emptySessionContext('s1');
  let from = 0;
  for (const cut of [...cuts, records.length]) {
    context = apply(context, foldRecords(context, records.slice(from, Math.max(from, cut))));
    from = Math.max(from, cut);
  }
  return context;
}

/** The session as a node rebuilt from the stream folds it: records up to `split` from the log, the rest summarized. */
function rebuilt(records: readonly StoredEvent[], split: number): SessionContext {
  let context = emptySessionContext('s1');
  context = apply(context, foldRecords(context, records.slice(0, split)));
  const pending = new PendingRecords();
  for (const r of records.slice(split)) pending.push(r);
  const summary = pending.take();
  return summary === null ? context : apply(context, foldSummary(context, summary));
}

describe('orderedCounts', () => {
  it('orders counts by EVENT_TYPES, then any other key sorted, whatever order they came in', () => {
    const counts = { timer_tick: 2, zz: 1, answer_submitted: 3, aa: 4 } as Partial<Record<EventType, number>>;
    const keys = Object.keys(orderedCounts(counts));
    const known = EVENT_TYPES.filter((type) => type in counts);
    expect(keys).toEqual([...known, 'aa', 'zz']);
  });

  it('gives byte-identical views of the same records, whichever path folded them', () => {
    const records = fc
      .array(fc.tuple(fc.constantFrom(...EVENT_TYPES), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 40 })
      .map((rows) => rows.map(([type, user], i) => record(i + 1, type, user)));
    fc.assert(
      fc.property(records, fc.array(fc.nat(40), { maxLength: 4 }), fc.nat(40), (rs, cuts, split) => {
        const views = [
          live(rs, []),
          live(
            rs,
            [...cuts].sort((a, b) => a - b),
          ),
          rebuilt(rs, 0),
          rebuilt(rs, Math.min(split, rs.length)),
        ].map((context) => JSON.stringify(toView('active', context)));
        for (const view of views) expect(view).toBe(views[0]);
      }),
    );
  });
});
