import { formatTimestamp } from '../protocol/eventRecord.js';
import type { SessionStatus } from '../protocol/sessionStatus.js';
import type { SessionContext } from './sessionMachine.js';

/** The GET /sessions/{id} body. */
export interface SessionView {
  readonly session_id: string;
  readonly status: SessionStatus;
  readonly user_ids: readonly string[];
  readonly event_count: number;
  readonly counts: SessionContext['counts'];
  readonly first_offset: number | null;
  readonly last_offset: number | null;
  readonly started_at: string | null;
  readonly completed_at: string | null;
  readonly quiz_id: string | null;
}

/** A session actor's snapshot as the REST view. */
export function toView(status: SessionStatus, context: SessionContext): SessionView {
  return {
    session_id: context.session_id,
    status,
    user_ids: context.user_ids,
    event_count: context.event_count,
    counts: context.counts,
    first_offset: context.first_offset,
    last_offset: context.last_offset,
    started_at: context.started_at === null ? null : formatTimestamp(context.started_at),
    completed_at: context.completed_at === null ? null : formatTimestamp(context.completed_at),
    quiz_id: context.quiz_id,
  };
}
