import { formatTimestamp } from '../protocol/eventRecord.js';
import type { SessionStatus } from '../protocol/sessionStatus.js';
import type { SessionContext } from './sessionMachine.js';

/** The GET /sessions/{session_id} body. */
export interface SessionView {
  readonly session_id: string;
  readonly status: SessionStatus;
  readonly user_ids: readonly string[];
  /** How many distinct users the session has; in a listing, `user_ids` may hold only the first LISTED_USER_IDS. */
  readonly user_count: number;
  readonly event_count: number;
  readonly counts: SessionContext['counts'];
  readonly first_offset: number | null;
  readonly last_offset: number | null;
  readonly started_at: string | null;
  readonly completed_at: string | null;
  readonly quiz_id: string | null;
}

/**
 * A session actor's snapshot as the REST view, with its first `maxUsers` user ids (in order of first event; all of
 * them by default) and `user_count` counting all.
 */
export function toView(
  status: SessionStatus,
  context: SessionContext,
  maxUsers = Number.POSITIVE_INFINITY,
): SessionView {
  return {
    session_id: context.session_id,
    status,
    user_ids: context.user_ids.toArray(maxUsers),
    user_count: context.user_ids.size,
    event_count: context.event_count,
    counts: context.counts,
    first_offset: context.first_offset,
    last_offset: context.last_offset,
    started_at: context.started_at === null ? null : formatTimestamp(context.started_at),
    completed_at: context.completed_at === null ? null : formatTimestamp(context.completed_at),
    quiz_id: context.quiz_id,
  };
}

/**
 * At most this many user ids per session in GET /sessions. Why: a session's users are unbounded, and the listing
 * (up to 1,000 sessions, polled by every open dashboard) grew to megabytes; GET /sessions/{session_id} still has them all.
 */
export const LISTED_USER_IDS = 20;
