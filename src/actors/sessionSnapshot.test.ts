import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../protocol/eventTypes.js';
import { SESSION_STATUSES } from '../protocol/sessionStatus.js';
import type { SessionContext } from './sessionMachine.js';
import { decodeSnapshot, encodeSnapshot, snapshotDue } from './sessionSnapshot.js';
import { UserList } from './userList.js';

const context = (extra: Partial<SessionContext> = {}): SessionContext => ({
  session_id: 's1',
  user_ids: UserList.of(['u1', 'u2']),
  counts: { quiz_started: 1, answer_submitted: 299 },
  event_count: 300,
  first_offset: 10,
  last_offset: 900,
  started_at: 1_700_000_000_000,
  completed_at: null,
  quiz_id: 'q1',
  ...extra,
});

const anyContext: fc.Arbitrary<SessionContext> = fc
  .record({
    session_id: fc.string(),
    user_ids: fc.uniqueArray(fc.string()),
    counts: fc.dictionary(fc.constantFrom(...EVENT_TYPES), fc.nat()),
    event_count: fc.nat(),
    first_offset: fc.integer({ min: 1, max: 1_000 }),
    span: fc.nat(1_000),
    started_at: fc.option(fc.integer({ min: 0 })),
    completed_at: fc.option(fc.integer({ min: 0 })),
    quiz_id: fc.option(fc.string()),
  })
  .map(({ span, user_ids, ...rest }) => ({
    ...rest,
    user_ids: UserList.of(user_ids),
    last_offset: rest.first_offset + span,
  }));

describe('session snapshots', () => {
  it('decode what they encode, for any status and context, when the log holds every offset they count', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SESSION_STATUSES), anyContext, (status, folded) => {
        const decoded = decodeSnapshot(folded.session_id, encodeSnapshot(status, folded), 1, 2_000);
        expect(decoded).toEqual({ status, context: folded });
      }),
    );
  });

  it('are not used when retention deleted records they count or they reach past the fold', () => {
    const text = encodeSnapshot('in_progress', context());
    expect(decodeSnapshot('s1', text, 10, 900)).not.toBeNull();
    expect(decodeSnapshot('s1', text, 11, 900)).toBeNull();
    expect(decodeSnapshot('s1', text, 1, 899)).toBeNull();
  });

  it('name what is wrong with one that cannot be read', () => {
    expect(decodeSnapshot('s1', '{"version":1', 1, 900)).toBe('not JSON');
    expect(decodeSnapshot('s2', encodeSnapshot('created', context()), 1, 900)).toBe('it is the snapshot of session s1');
    const badCount = JSON.stringify({ version: 1, status: 'created', context: { ...context(), event_count: -1 } });
    expect(decodeSnapshot('s1', badCount, 1, 900)).toMatch(/^context\.event_count: /);
    const badStatus = JSON.stringify({ version: 1, status: 'paused', context: context() });
    expect(decodeSnapshot('s1', badStatus, 1, 900)).toMatch(/^status: /);
    const otherVersion = JSON.stringify({ version: 2, status: 'created', context: context() });
    expect(decodeSnapshot('s1', otherVersion, 1, 900)).toMatch(/^version: /);
  });

  it('are due at passivation past the minimum, and while live every so many records, never twice for one count', () => {
    const cadence = { minEvents: 100, everyEvents: 1_000 };
    const state = (events: number, status = 'active') => ({
      status,
      value: 'in_progress' as const,
      context: context({ event_count: events }),
    });
    expect(snapshotDue(state(99), 0, true, 1, cadence)).toBeNull();
    expect(snapshotDue(state(100), 0, true, 1, cadence)?.count).toBe(100);
    expect(snapshotDue(state(100), 100, true, 1, cadence)).toBeNull();
    expect(snapshotDue(state(100), 0, false, 1, cadence)).toBeNull();
    expect(snapshotDue(state(1_100), 100, false, 1, cadence)?.count).toBe(1_100);
    expect(snapshotDue(state(1_099), 100, false, 1, cadence)).toBeNull();
    expect(snapshotDue(state(500, 'error'), 0, true, 1, cadence)).toBeNull();
    // Its first record is below the log's first offset: retention deleted records it counts.
    expect(snapshotDue(state(500), 0, true, 11, cadence)).toBeNull();
    const due = snapshotDue(state(500), 0, true, 10, cadence);
    expect(decodeSnapshot('s1', due!.snapshot, 10, 900)).toEqual({
      status: 'in_progress',
      context: context({ event_count: 500 }),
    });
  });

  it('while live, wait a record per four users in a session of many users', () => {
    const cadence = { minEvents: 100, everyEvents: 1_000 };
    const users = UserList.of(Array.from({ length: 40_000 }, (_, i) => `u${i}`));
    const state = (events: number) => ({
      status: 'active',
      value: 'in_progress' as const,
      context: context({ event_count: events, user_ids: users }),
    });
    expect(snapshotDue(state(10_099), 100, false, 1, cadence)).toBeNull();
    expect(snapshotDue(state(10_100), 100, false, 1, cadence)?.count).toBe(10_100);
    // Passivation saves it whatever the interval.
    expect(snapshotDue(state(200), 100, true, 1, cadence)?.count).toBe(200);
  });
});
