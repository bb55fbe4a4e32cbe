/** Every status a session view can have, in lifecycle order (the session machine's states; GET /sessions?status=). */
export const SESSION_STATUSES = ['active', 'created', 'in_progress', 'completed', 'timed_out', 'ended'] as const;

/** One session status. */
export type SessionStatus = (typeof SESSION_STATUSES)[number];

const STATUS_SET: ReadonlySet<string> = new Set(SESSION_STATUSES);

/** True when `value` names a session status. */
export function isSessionStatus(value: unknown): value is SessionStatus {
  return typeof value === 'string' && STATUS_SET.has(value);
}
