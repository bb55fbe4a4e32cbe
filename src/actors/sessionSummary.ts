import type { EventType } from '../protocol/eventTypes.js';
import type { SessionContext, SessionRecord } from './sessionMachine.js';

/** What the lifecycle fold reads of a record. */
export type LifecycleRecord = Pick<SessionRecord, 'offset' | 'event_type' | 'ts'>;

/**
 * What a run of a session's consecutive records adds to its fold, gathered as they commit without keeping the
 * records (sessionPending.ts). Folding it gives the context that folding the records one by one gives
 * (sessionSummary.test.ts), provided none of them is folded already.
 */
export interface RecordSummary {
  readonly first_offset: number;
  readonly last_offset: number;
  readonly event_count: number;
  readonly counts: Readonly<Partial<Record<EventType, number>>>;
  /** Distinct users, in the order they first appear. */
  readonly user_ids: readonly string[];
  /** The lifecycle records, oldest first: a session's statuses and times follow from them alone. */
  readonly lifecycle: readonly LifecycleRecord[];
  /** The newest quiz id among the records (as quizIdOf reads it), null when none names one. */
  readonly quiz_id: string | null;
}

/** A summary that starts at or below what the fold already holds, and ends above it: the fold cannot split it. */
export class OverlappingSummaryError extends Error {
  constructor(sessionId: string, firstOffset: number, foldedUpTo: number) {
    super(`session ${sessionId}: records from offset ${firstOffset} overlap the fold up to offset ${foldedUpTo}`);
    this.name = 'OverlappingSummaryError';
  }
}

/**
 * Fold a summary's counters into the context (the summary's counterpart of foldRecords). A summary wholly at or
 * below `last_offset` changes nothing, as foldRecords skips folded records; one straddling it throws, which fails the
 * actor, and a failed session actor is rebuilt from the log. Hint: the registry never sends one (a session is
 * hydrated from the log only below its first waiting record).
 */
export function foldSummary(context: SessionContext, summary: RecordSummary): Partial<SessionContext> {
  const folded = context.last_offset;
  if (folded !== null && summary.last_offset <= folded) return {};
  if (folded !== null && summary.first_offset <= folded)
    throw new OverlappingSummaryError(context.session_id, summary.first_offset, folded);
  const counts = { ...context.counts };
  for (const type of Object.keys(summary.counts) as EventType[])
    counts[type] = (counts[type] ?? 0) + (summary.counts[type] ?? 0);
  return {
    counts,
    // Hint: a new list only when a user is new; an older context still sees only its own (userList.ts).
    user_ids: context.user_ids.with(summary.user_ids),
    event_count: context.event_count + summary.event_count,
    first_offset: context.first_offset ?? summary.first_offset,
    last_offset: summary.last_offset,
    quiz_id: summary.quiz_id ?? context.quiz_id,
  };
}
