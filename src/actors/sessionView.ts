import { formatTimestamp } from '../protocol/eventRecord.js';
import type { SessionStatus } from '../protocol/sessionStatus.js';
import { orderedCounts } from './sessionCounts.js';
import type { SessionContext } from './sessionMachine.js';

/** The GET /sessions/{session_id} body. */
export interface SessionView {
  readonly session_id: string;
  readonly status: SessionStatus;
  readonly user_ids: readonly string[];
  /** How many distinct users the session has; `user_ids` holds only a window of them (see UserWindow). */
  readonly user_count: number;
  readonly event_count: number;
  readonly counts: SessionContext['counts'];
  readonly first_offset: number | null;
  readonly last_offset: number | null;
  readonly started_at: string | null;
  readonly completed_at: string | null;
  readonly quiz_id: string | null;
}

/** Which of a session's user ids a view holds, in order of first event: `skip` them, then at most `limit`. */
export interface UserWindow {
  readonly skip: number;
  readonly limit: number;
}

/** Every user id (the default of toView). */
export const EVERY_USER: UserWindow = { skip: 0, limit: Number.POSITIVE_INFINITY };

/**
 * A session actor's snapshot as the REST view, with the user ids in `users` (in order of first event; all of them by
 * default) and `user_count` counting all; `counts` in one fixed order (orderedCounts), so equal states serialize equally.
 */
export function toView(status: SessionStatus, context: SessionContext, users: UserWindow = EVERY_USER): SessionView {
  return {
    session_id: context.session_id,
    status,
    user_ids: context.user_ids.toArray(users.limit, users.skip),
    user_count: context.user_ids.size,
    event_count: context.event_count,
    counts: orderedCounts(context.counts),
    first_offset: context.first_offset,
    last_offset: context.last_offset,
    started_at: context.started_at === null ? null : formatTimestamp(context.started_at),
    completed_at: context.completed_at === null ? null : formatTimestamp(context.completed_at),
    quiz_id: context.quiz_id,
  };
}

/**
 * At most this many user ids per session in GET /sessions. Why: a session's users are unbounded, and the listing
 * (up to 1,000 sessions, polled by every open dashboard) grew to megabytes.
 */
export const LISTED_USER_IDS = 20;

/** The users a listing shows: its first LISTED_USER_IDS. */
export const LISTED_USERS: UserWindow = { skip: 0, limit: LISTED_USER_IDS };

/**
 * At most this many user ids in GET /sessions/{session_id} (`user_limit`, its default too; `user_skip` pages on).
 * Why: 50,000 users of 190 characters made a 9.65 MB view, each read keeping the I/O thread busy (135 ms p50).
 */
export const VIEW_USER_IDS = 1000;

/** The users GET /sessions/{session_id} holds when the request names no window. */
export const VIEW_USERS: UserWindow = { skip: 0, limit: VIEW_USER_IDS };
