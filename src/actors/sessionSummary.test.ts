import { describe, expect, it } from 'vitest';
import { emptySessionContext, foldRecords, type SessionContext } from './sessionMachine.js';
import { foldSummary, OverlappingSummaryError, type RecordSummary } from './sessionSummary.js';
import { UserList } from './userList.js';

const summary = (first: number, last: number, extra: Partial<RecordSummary> = {}): RecordSummary => ({
  first_offset: first,
  last_offset: last,
  event_count: last - first + 1,
  counts: { answer_submitted: last - first + 1 },
  user_ids: [],
  lifecycle: [],
  quiz_id: null,
  ...extra,
});

/** A context that has folded offsets 1..10: two users, ten answers, quiz q1. */
function foldedUpTo10(): SessionContext {
  const records = Array.from({ length: 10 }, (_, i) => ({
    offset: i + 1,
    event_type: 'answer_submitted' as const,
    user_id: i % 2 === 0 ? 'u1' : 'u2',
    payloadJson: '{"quiz_id":"q1"}',
    ts: i,
  }));
  const start = emptySessionContext('s1');
  return { ...start, ...foldRecords(start, records) };
}

describe('foldSummary', () => {
  it('adds counts and new users in order, keeps the first offset, and takes the newest quiz id', () => {
    const context = foldedUpTo10();
    const next = foldSummary(
      context,
      summary(11, 14, { counts: { timer_tick: 3, answer_submitted: 1 }, user_ids: ['u2', 'u3'], quiz_id: 'q2' }),
    );
    expect(next).toEqual({
      counts: { answer_submitted: 11, timer_tick: 3 },
      user_ids: UserList.of(['u1', 'u2', 'u3']),
      event_count: 14,
      first_offset: 1,
      last_offset: 14,
      quiz_id: 'q2',
    });
    // The folded context is not changed in place.
    expect([...context.user_ids]).toEqual(['u1', 'u2']);
    expect(foldSummary(context, summary(11, 11)).quiz_id).toBe('q1');
  });

  it('changes nothing for a summary already folded, and refuses one that straddles the fold', () => {
    const context = foldedUpTo10();
    expect(foldSummary(context, summary(3, 10))).toEqual({});
    expect(() => foldSummary(context, summary(10, 12))).toThrow(OverlappingSummaryError);
    expect(() => foldSummary(context, summary(10, 12))).toThrow(
      'records from offset 10 overlap the fold up to offset 10',
    );
  });
});
