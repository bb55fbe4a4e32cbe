import { assign, enqueueActions, setup } from 'xstate';
import { canonicalMemberText } from '../protocol/canonicalJson.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { EventType } from '../protocol/eventTypes.js';
import type { SessionStatus } from '../protocol/sessionStatus.js';
import { foldSummary, type LifecycleRecord, type RecordSummary } from './sessionSummary.js';
import { UserList } from './userList.js';

/** The lifecycle event types and the status each one leads to. */
export const LIFECYCLE: Partial<Record<EventType, SessionStatus>> = {
  session_created: 'created',
  quiz_started: 'in_progress',
  quiz_completed: 'completed',
  quiz_timeout: 'timed_out',
  session_ended: 'ended',
};

/** What a session actor folds out of its events. */
export interface SessionContext {
  readonly session_id: string;
  readonly user_ids: UserList;
  readonly counts: Partial<Record<EventType, number>>;
  readonly event_count: number;
  readonly first_offset: number | null;
  readonly last_offset: number | null;
  readonly started_at: number | null;
  readonly completed_at: number | null;
  readonly quiz_id: string | null;
}

/** The fields of a record the fold reads (a StoredEvent has them all). */
export type SessionRecord = Pick<StoredEvent, 'offset' | 'event_type' | 'user_id' | 'payloadJson' | 'ts'>;

/**
 * One message per batch per session: the session's records since the last fold, in offset order (read from the log),
 * or their summary (the registry's, gathered as they commit).
 */
export type SessionEvent =
  | { readonly type: 'session.records'; readonly records: readonly SessionRecord[] }
  | { readonly type: 'session.summary'; readonly summary: RecordSummary }
  | { readonly type: 'session_created' | 'session_ended'; readonly ts: number }
  | { readonly type: 'quiz_started' | 'quiz_completed' | 'quiz_timeout'; readonly ts: number };

/** A session's context before any record is folded. */
export function emptySessionContext(session_id: string): SessionContext {
  return {
    session_id,
    user_ids: UserList.empty(),
    counts: {},
    event_count: 0,
    first_offset: null,
    last_offset: null,
    started_at: null,
    completed_at: null,
    quiz_id: null,
  };
}

/**
 * Whether a payload may hold a quiz_id: false means quizIdOf is null. The one test shared by the fold, the pending
 * buffer (which keeps only such payloads) and the read-back of older ones, so the three cannot disagree.
 */
export function mentionsQuizId(payloadJson: string): boolean {
  return payloadJson.includes('"quiz_id"');
}

/** A payload's top-level quiz_id as the fold keeps it: a string or number as a string, anything else null. */
export function quizIdOf(payloadJson: string): string | null {
  // Hint: most payloads have no quiz_id; skip the scan unless the key is there.
  if (!mentionsQuizId(payloadJson)) return null;
  const text = canonicalMemberText(payloadJson, 'quiz_id');
  const value =
    text === undefined
      ? (JSON.parse(payloadJson) as Record<string, unknown>).quiz_id
      : text === null
        ? null
        : (JSON.parse(text) as unknown);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/**
 * Fold a batch's counters into the context (the `foldCounters` action; sessionLogic's fast path too). Records at or
 * below `last_offset` are already folded: replay after live can overlap by design.
 */
export function foldRecords(context: SessionContext, records: readonly SessionRecord[]): Partial<SessionContext> {
  const counts = { ...context.counts };
  const users: string[] = [];
  let { first_offset, last_offset, quiz_id, event_count } = context;
  const before = last_offset;
  for (const record of records) {
    if (last_offset !== null && record.offset <= last_offset) continue;
    counts[record.event_type] = (counts[record.event_type] ?? 0) + 1;
    event_count++;
    if (record.user_id !== null) users.push(record.user_id);
    first_offset ??= record.offset;
    last_offset = record.offset;
  }
  // The last quiz_id wins, so parse from the newest record backwards and stop at the first one that has it.
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    if (before !== null && record.offset <= before) break;
    const found = quizIdOf(record.payloadJson);
    if (found !== null) {
      quiz_id = found;
      break;
    }
  }
  return { counts, user_ids: context.user_ids.with(users), first_offset, last_offset, quiz_id, event_count };
}

/** The lifecycle part of a batch's fold: the status it leads to and the times it marks. */
export interface LifecycleFold {
  readonly status: SessionStatus;
  readonly started_at: number | null;
  readonly completed_at: number | null;
}

/** The status a record leads to from `status`: its lifecycle target, unless the session has ended (ended absorbs). */
export function statusAfter(status: SessionStatus, eventType: EventType): SessionStatus {
  return status === 'ended' ? status : (LIFECYCLE[eventType] ?? status);
}

/**
 * The machine's lifecycle transitions as a plain loop over a batch (sessionLogic's fast path): each new lifecycle
 * record leads to its status unless the session has ended; quiz_started marks started_at, quiz_completed and
 * quiz_timeout mark completed_at. Null when the batch holds no lifecycle record not folded yet.
 */
export function foldLifecycle(
  status: SessionStatus,
  context: SessionContext,
  records: readonly LifecycleRecord[],
): LifecycleFold | null {
  let { started_at, completed_at } = context;
  let next = status;
  let seen = false;
  for (const record of records) {
    if (context.last_offset !== null && record.offset <= context.last_offset) continue;
    const target = LIFECYCLE[record.event_type];
    if (target === undefined) continue;
    seen = true;
    // Ended absorbs, as in the machine: later lifecycle records change nothing.
    if (next === 'ended') break;
    next = statusAfter(next, record.event_type);
    if (record.event_type === 'quiz_started') started_at = record.ts;
    else if (record.event_type === 'quiz_completed' || record.event_type === 'quiz_timeout') completed_at = record.ts;
  }
  return seen ? { status: next, started_at, completed_at } : null;
}

/** The records of a batch event the lifecycle fold reads: all of them, or a summary's lifecycle records. */
export function lifecycleOf(event: SessionEvent): readonly LifecycleRecord[] {
  if (event.type === 'session.records') return event.records;
  return event.type === 'session.summary' ? event.summary.lifecycle : [];
}

const lifecycleTransitions = {
  session_created: { target: 'created' },
  quiz_started: { target: 'in_progress', actions: 'markStarted' },
  quiz_completed: { target: 'completed', actions: 'markCompleted' },
  quiz_timeout: { target: 'timed_out', actions: 'markCompleted' },
  session_ended: { target: 'ended' },
} as const;

/**
 * A session's lifecycle as a pure fold over its events. Counters fold in a plain loop per batch; only lifecycle
 * records are raised as machine events, so a batch costs one send plus one raise per lifecycle record.
 */
export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as { session_id: string },
  },
  actions: {
    foldCounters: assign(({ context, event }) =>
      event.type === 'session.records'
        ? foldRecords(context, event.records)
        : event.type === 'session.summary'
          ? foldSummary(context, event.summary)
          : {},
    ),
    raiseLifecycle: enqueueActions(({ context, event, enqueue }) => {
      const records = lifecycleOf(event);
      for (const record of records) {
        if (context.last_offset !== null && record.offset <= context.last_offset) continue;
        if (LIFECYCLE[record.event_type] !== undefined) {
          enqueue.raise({ type: record.event_type as 'quiz_started', ts: record.ts });
        }
      }
    }),
    markStarted: assign({ started_at: ({ event }) => ('ts' in event ? event.ts : null) }),
    markCompleted: assign({ completed_at: ({ event }) => ('ts' in event ? event.ts : null) }),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => emptySessionContext(input.session_id),
  initial: 'active',
  on: {
    // Hint: raise before fold, so the raise guard sees the pre-batch last_offset; raised events run after both.
    'session.records': { actions: ['raiseLifecycle', 'foldCounters'] },
    'session.summary': { actions: ['raiseLifecycle', 'foldCounters'] },
  },
  // Hint: one state per protocol status (`satisfies` below), so the machine and GET /sessions?status= cannot drift
  // apart. `active`: events were seen, but no lifecycle event yet.
  states: {
    active: { on: lifecycleTransitions },
    created: { on: lifecycleTransitions },
    in_progress: { on: lifecycleTransitions },
    completed: { on: lifecycleTransitions },
    timed_out: { on: lifecycleTransitions },
    // Ended absorbs: later events still count, but the lifecycle is over.
    ended: {},
  } satisfies Record<SessionStatus, object>,
});
