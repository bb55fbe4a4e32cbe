import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition } from 'xstate';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { EVENT_TYPES, type EventType } from '../protocol/eventTypes.js';
import type { SessionStatus } from '../protocol/sessionStatus.js';
import { sessionLogic } from './sessionLogic.js';
import { mentionsQuizId, quizIdOf, type SessionEvent, type SessionRecord, sessionMachine } from './sessionMachine.js';
import { PendingRecords } from './sessionPending.js';

/** What the session fold should produce, written as the plainest possible loop. */
interface Expected {
  status: SessionStatus;
  started_at: number | null;
  completed_at: number | null;
  counts: Partial<Record<EventType, number>>;
  event_count: number;
  user_ids: string[];
  first_offset: number | null;
  last_offset: number | null;
  quiz_id: string | null;
}

const STATUS_OF: Partial<Record<EventType, SessionStatus>> = {
  session_created: 'created',
  quiz_started: 'in_progress',
  quiz_completed: 'completed',
  quiz_timeout: 'timed_out',
  session_ended: 'ended',
};

function referenceFold(records: readonly StoredEvent[]): Expected {
  const out: Expected = {
    status: 'active',
    started_at: null,
    completed_at: null,
    counts: {},
    event_count: 0,
    user_ids: [],
    first_offset: null,
    last_offset: null,
    quiz_id: null,
  };
  for (const r of records) {
    out.counts[r.event_type] = (out.counts[r.event_type] ?? 0) + 1;
    out.event_count++;
    if (r.user_id !== null && !out.user_ids.includes(r.user_id)) out.user_ids.push(r.user_id);
    if (out.first_offset === null) out.first_offset = r.offset;
    out.last_offset = r.offset;
    const quizId = (JSON.parse(r.payloadJson) as Record<string, unknown>).quiz_id;
    if (typeof quizId === 'string' || typeof quizId === 'number') out.quiz_id = String(quizId);
    // Ended is absorbing: nothing after it changes the lifecycle.
    if (out.status === 'ended') continue;
    const next = STATUS_OF[r.event_type];
    if (next === undefined) continue;
    out.status = next;
    if (r.event_type === 'quiz_started') out.started_at = r.ts;
    if (r.event_type === 'quiz_completed' || r.event_type === 'quiz_timeout') out.completed_at = r.ts;
  }
  return out;
}

/** Run the real actor over `batches`, one `session.records` message each, and read back the same fields. */
function foldWith(
  logic: typeof sessionMachine,
  sessionId: string,
  batches: readonly (readonly SessionRecord[])[],
): Expected {
  return foldEvents(
    logic,
    sessionId,
    batches.map((records) => ({ type: 'session.records', records })),
  );
}

/** A batch as the registry sends it: the summary PendingRecords gathers (none for an empty batch). */
function summaryEvents(all: readonly StoredEvent[], batch: readonly StoredEvent[]): SessionEvent[] {
  const pending = new PendingRecords();
  for (const record of batch) pending.push(record);
  const summary = pending.take(
    (from, upTo) =>
      new Map(
        all
          .filter((r) => r.offset >= from && r.offset <= upTo && mentionsQuizId(r.payloadJson))
          .map((r) => [r.offset, r.payloadJson]),
      ),
  );
  return summary === null ? [] : [{ type: 'session.summary', summary }];
}

/** Run the real actor over `events` and read back the fields the reference folds. */
function foldEvents(logic: typeof sessionMachine, sessionId: string, events: readonly SessionEvent[]): Expected {
  const actor = createActor(logic, { input: { session_id: sessionId } });
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  for (const event of events) actor.send(event);
  const snapshot = actor.getSnapshot();
  actor.stop();
  expect(errors).toEqual([]);
  expect(snapshot.context.session_id).toBe(sessionId);
  const c = snapshot.context;
  return {
    status: snapshot.value,
    started_at: c.started_at,
    completed_at: c.completed_at,
    counts: c.counts,
    event_count: c.event_count,
    user_ids: [...c.user_ids],
    first_offset: c.first_offset,
    last_offset: c.last_offset,
    quiz_id: c.quiz_id,
  };
}

const LIFECYCLE_TYPES: EventType[] = [
  'session_created',
  'quiz_started',
  'quiz_completed',
  'quiz_timeout',
  'session_ended',
];

const payloadArb = fc.oneof(
  fc.constant({}),
  fc.record({ quiz_id: fc.oneof(fc.constantFrom('q1', 'q2', 'q3'), fc.integer({ min: 0, max: 9 })) }),
  fc.record({ score: fc.integer({ min: 0, max: 100 }) }),
  // Not a top-level quiz_id: must not change the folded quiz_id.
  fc.record({ nested: fc.record({ quiz_id: fc.constant('inner') }) }),
  fc.record({ quiz_id: fc.constant(null) }),
);

const stepArb = fc.record({
  // Lifecycle types are over-weighted so interesting orders (ended early, restarts) show up often.
  event_type: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...LIFECYCLE_TYPES) },
    { weight: 2, arbitrary: fc.constantFrom(...EVENT_TYPES) },
  ),
  user_id: fc.option(fc.constantFrom('u1', 'u2', 'u3'), { nil: null }),
  payload: payloadArb,
  offsetGap: fc.integer({ min: 1, max: 3 }),
  tsGap: fc.integer({ min: 0, max: 5_000 }),
});

/** A session's records: strictly increasing offsets (other sessions fill the gaps), non-decreasing ts. */
const recordsArb = fc.array(stepArb, { maxLength: 60 }).map((steps) => {
  let offset = 0;
  let ts = 1_700_000_000_000;
  return steps.map((step, i): StoredEvent => {
    offset += step.offsetGap;
    ts += step.tsGap;
    return {
      offset,
      id: `evt_${i}`,
      event_type: step.event_type,
      source: 'quiz_engine',
      session_id: 's1',
      user_id: step.user_id,
      payloadJson: JSON.stringify(step.payload),
      ts,
    };
  });
});

/** Split `records` at random cut points into consecutive batches (possibly empty ones). */
const batchedArb = recordsArb.chain((records) =>
  fc.array(fc.nat(records.length), { maxLength: 8 }).map((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), records.length];
    const batches: StoredEvent[][] = [];
    for (let i = 1; i < points.length; i++) batches.push(records.slice(points[i - 1], points[i]));
    return { records, batches };
  }),
);

function record(offset: number, event_type: EventType, ts: number, extra: Partial<StoredEvent> = {}): StoredEvent {
  return {
    offset,
    id: `e${offset}`,
    event_type,
    source: 'src',
    session_id: 's1',
    user_id: null,
    payloadJson: '{}',
    ts,
    ...extra,
  };
}

// The machine, and the actor logic the registry runs (the machine with a plain fast path for lifecycle-free batches).
describe.each([
  ['sessionMachine', sessionMachine],
  ['sessionLogic (fast path)', sessionLogic],
])('%s', (_name, logic) => {
  const machineFold = (sessionId: string, batches: readonly (readonly SessionRecord[])[]) =>
    foldWith(logic, sessionId, batches);

  it('starts active with nothing folded', () => {
    expect(machineFold('s1', [])).toEqual(referenceFold([]));
    expect(machineFold('s1', []).status).toBe('active');
  });

  it('follows a plain quiz lifecycle and stays ended', () => {
    const records = [
      record(1, 'session_created', 10, { user_id: 'u2' }),
      record(2, 'quiz_started', 20, { user_id: 'u1', payloadJson: '{"quiz_id":"q9"}' }),
      record(3, 'answer_submitted', 30, { user_id: 'u2' }),
      record(5, 'quiz_completed', 40),
      record(6, 'session_ended', 50),
      record(9, 'quiz_started', 60),
      record(10, 'quiz_timeout', 70),
    ];
    const folded = machineFold('s1', [records.slice(0, 2), records.slice(2)]);
    expect(folded).toEqual({
      status: 'ended',
      started_at: 20,
      completed_at: 40,
      counts: {
        session_created: 1,
        quiz_started: 2,
        answer_submitted: 1,
        quiz_completed: 1,
        session_ended: 1,
        quiz_timeout: 1,
      },
      event_count: 7,
      user_ids: ['u2', 'u1'],
      first_offset: 1,
      last_offset: 10,
      quiz_id: 'q9',
    });
  });

  it('agrees with the reference fold however the records are batched', () => {
    fc.assert(
      fc.property(batchedArb, ({ records, batches }) => {
        expect(machineFold('s1', batches)).toEqual(referenceFold(records));
      }),
      { numRuns: 400 },
    );
  });

  it('folds the batches as summaries (as the registry sends them) to what the reference folds the records to', () => {
    fc.assert(
      fc.property(batchedArb, ({ records, batches }) => {
        const events = batches.flatMap((batch) => summaryEvents(records, batch));
        expect(foldEvents(logic, 's1', events)).toEqual(referenceFold(records));
      }),
      { numRuns: 400 },
    );
  });

  it('ignores records it has already folded when a batch overlaps the previous one', () => {
    fc.assert(
      fc.property(batchedArb, fc.nat(10), ({ records, batches }, back) => {
        // Each batch re-sends up to `back` records that were already folded (replay after live overlaps).
        let sent = 0;
        const overlapped = batches.map((batch) => {
          const start = Math.max(0, sent - back);
          sent += batch.length;
          return records.slice(start, sent);
        });
        expect(machineFold('s1', overlapped)).toEqual(referenceFold(records));
      }),
      { numRuns: 200 },
    );
  });
});

describe('quizIdOf', () => {
  it('reads the top-level quiz_id as JSON.parse does, from any JSON text (canonical or not)', () => {
    const payload = fc.dictionary(
      fc.constantFrom('quiz_id', 'a', 'quiz', 'é'),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.dictionary(fc.constantFrom('quiz_id', 'b'), fc.jsonValue())),
    );
    fc.assert(
      fc.property(payload, fc.constantFrom(0, 1), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const quizId = (JSON.parse(text) as Record<string, unknown>).quiz_id;
        const expected = typeof quizId === 'string' || typeof quizId === 'number' ? String(quizId) : null;
        expect(quizIdOf(text)).toBe(expected);
      }),
      { numRuns: 1_000 },
    );
    expect(quizIdOf('{"quiz_id":"a","quiz_id":7}')).toBe('7');
    expect(quizIdOf('{"x":{"quiz_id":"inner"}}')).toBeNull();
    expect(quizIdOf('["quiz_id"]')).toBeNull();
  });
});

describe('sessionLogic and sessionMachine on one snapshot', () => {
  // The fast path builds snapshots itself (a new status through resolveState): the machine must be able to carry on
  // from them, and the fast path from the machine's, with the same result as the reference.
  it('take turns batch by batch and still agree with the reference fold', () => {
    fc.assert(
      fc.property(batchedArb, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), ({ records, batches }, picks) => {
        let [snapshot] = initialTransition(sessionMachine, { session_id: 's1' });
        batches.forEach((batch, i) => {
          const logic = picks[i % picks.length] ? sessionLogic : sessionMachine;
          // Records (a hydration from the log) and summaries (live commits) in turn, as a session actor meets them.
          const events: SessionEvent[] = picks[(i + 1) % picks.length]
            ? [{ type: 'session.records', records: batch }]
            : summaryEvents(records, batch);
          for (const event of events) [snapshot] = transition(logic, snapshot, event);
        });
        const { status, ...folded } = referenceFold(records);
        expect(snapshot.value).toBe(status);
        expect(snapshot.matches(status)).toBe(true);
        expect(snapshot.status).toBe('active');
        const { session_id, user_ids, ...context } = snapshot.context;
        expect(session_id).toBe('s1');
        expect({ ...context, user_ids: [...user_ids] }).toEqual(folded);
      }),
      { numRuns: 300 },
    );
  });
});
