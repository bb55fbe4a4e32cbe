import * as v from 'valibot';
import type { EventLog, SessionSnapshotRow } from '../persistence/eventLog.js';
import { EVENT_TYPES } from '../protocol/eventTypes.js';
import { SESSION_STATUSES, type SessionStatus } from '../protocol/sessionStatus.js';
import type { Logger } from './logger.js';
import type { SessionEntry } from './sessionEntry.js';
import type { SessionContext } from './sessionMachine.js';
import { UserList } from './userList.js';

/**
 * A session with fewer folded records than this is not snapshotted: folding it again from the log costs about what
 * reading a snapshot does (a session costs ~10 µs per record to fold from the log, measured with
 * bench/tools/coldSessions.ts).
 */
export const SNAPSHOT_MIN_EVENTS = 256;
/**
 * A live session is snapshotted again once it has folded this many records more, so what a kill -9 leaves to fold
 * from the log at the next read of it is bounded (about 0.1 s), not the whole session.
 */
export const SNAPSHOT_EVERY_EVENTS = 10_000;
/**
 * ...and, in a session of many users, at least this many records per user it holds. Why: a snapshot costs about its
 * users to encode and write (14 MB of JSON for a million), and every 10,000 records that made a session gaining its
 * millionth user spend most of the I/O thread on snapshots. So a record pays for at most four users' worth of
 * snapshot, and a kill -9 leaves at most a quarter of the session's users in records to fold again.
 */
export const SNAPSHOT_RECORDS_PER_USER = 0.25;

/** A session actor's state as the snapshot holds it. */
export interface SessionSnapshot {
  readonly status: SessionStatus;
  readonly context: SessionContext;
}

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const offset = v.pipe(v.number(), v.integer(), v.minValue(1));
const time = v.nullable(v.number());

const SnapshotSchema = v.object({
  version: v.literal(1),
  status: v.picklist(SESSION_STATUSES),
  context: v.object({
    session_id: v.string(),
    user_ids: v.pipe(
      v.array(v.string()),
      v.transform((ids) => UserList.ofDistinct(ids)),
    ),
    counts: v.record(v.picklist(EVENT_TYPES), count),
    event_count: count,
    first_offset: offset,
    last_offset: offset,
    started_at: time,
    completed_at: time,
    quiz_id: v.nullable(v.string()),
  }),
});

/** The snapshot's JSON text (only a session that has folded records has one: its offsets are set). */
export function encodeSnapshot(status: SessionStatus, context: SessionContext): string {
  return JSON.stringify({ version: 1, status, context });
}

/**
 * The snapshot of `sessionId` if `text` is one and it can start a fold whose records end at `upTo`: it holds only
 * offsets from `firstOffset` (retention deleted none of what it counts) up to `upTo`. Null when it is one that
 * cannot (retention deleted records it counts, or it reaches past `upTo`); why it is none, for the log.
 */
export function decodeSnapshot(
  sessionId: string,
  text: string,
  firstOffset: number,
  upTo: number,
): SessionSnapshot | string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const result = v.safeParse(SnapshotSchema, parsed);
  if (!result.success) {
    const issue = result.issues[0];
    return `${v.getDotPath(issue) ?? 'snapshot'}: ${issue.message}`;
  }
  const { status, context } = result.output;
  if (context.session_id !== sessionId) return `it is the snapshot of session ${context.session_id}`;
  // Hint: retention deletes a prefix of offsets, so a session that lost records started below the log's first.
  if (context.first_offset < firstOffset || context.last_offset > upTo) return null;
  return { status, context };
}

/** When snapshots are due (SNAPSHOT_MIN_EVENTS and SNAPSHOT_EVERY_EVENTS by default; tests take small ones). */
export interface SnapshotCadence {
  readonly minEvents: number;
  readonly everyEvents: number;
}

const DEFAULT_CADENCE: SnapshotCadence = { minEvents: SNAPSHOT_MIN_EVENTS, everyEvents: SNAPSHOT_EVERY_EVENTS };

/** A session actor's snapshot as far as snapshotDue reads it. */
interface ActorState {
  readonly status: string;
  readonly value: SessionStatus;
  readonly context: SessionContext;
}

/**
 * The snapshot to save of a session actor's state, and the records it counts, or null when none is due: an active
 * actor with at least `minEvents` records, changed since the last one (`savedCount` records), when it is passivated
 * or `everyEvents` records after the last (more in a session of many users: SNAPSHOT_RECORDS_PER_USER); never one
 * that counts records below `firstOffset` (folded before retention deleted them: it would be refused when read).
 */
export function snapshotDue(
  state: ActorState,
  savedCount: number,
  passivating: boolean,
  firstOffset: number,
  cadence: SnapshotCadence = DEFAULT_CADENCE,
): { readonly snapshot: string; readonly count: number } | null {
  const { context } = state;
  const count = context.event_count;
  if (state.status !== 'active' || count < cadence.minEvents || count === savedCount) return null;
  const every = Math.max(cadence.everyEvents, context.user_ids.size * SNAPSHOT_RECORDS_PER_USER);
  if (!passivating && count - savedCount < every) return null;
  if (context.first_offset === null || context.first_offset < firstOffset) return null;
  return { snapshot: encodeSnapshot(state.value, context), count };
}

/** Snapshots due (see snapshotDue) of session actors, kept for the next save of the session projections. */
export class SnapshotQueue {
  private rows: SessionSnapshotRow[] = [];

  constructor(
    private readonly firstOffset: () => number,
    readonly cadence: SnapshotCadence = DEFAULT_CADENCE,
  ) {}

  /** Queue a snapshot of the entry's actor if one is due, and note what it counts. */
  offer(entry: SessionEntry, passivating: boolean): void {
    if (entry.actor === null) return;
    const state = entry.actor.getSnapshot();
    const due = snapshotDue(state, entry.snapshotCount, passivating, this.firstOffset(), this.cadence);
    if (due === null) return;
    this.rows.push({ session_id: entry.sessionId, snapshot: due.snapshot });
    entry.snapshotCount = due.count;
  }

  /** The queued snapshots, oldest first; the queue is left empty. */
  take(): SessionSnapshotRow[] {
    const taken = this.rows;
    if (taken.length > 0) this.rows = [];
    return taken;
  }
}

/** The session's saved snapshot if it can start a fold up to `upTo` (default: the head); an unusable one is logged. */
export function readSnapshot(
  log: EventLog,
  logger: Logger,
  sessionId: string,
  upTo: number | undefined,
): SessionSnapshot | null {
  const text = log.savedSession(sessionId)?.snapshot ?? null;
  if (text === null) return null;
  const snapshot = decodeSnapshot(sessionId, text, log.firstOffset(), upTo ?? log.headOffset());
  if (typeof snapshot !== 'string') return snapshot;
  // Hint: a snapshot is derived state; the log has every record it counts, so the fold starts from the first.
  logger.warn({ session_id: sessionId, reason: snapshot }, 'session snapshot not used; folding from the log');
  return null;
}
