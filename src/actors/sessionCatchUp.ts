import { initialTransition, type SnapshotFrom, transition } from 'xstate';
import { type EventLog, LogCorruptError, type RefoldedRow, type SessionStatusRow } from '../persistence/eventLog.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { isSessionStatus, type SessionStatus } from '../protocol/sessionStatus.js';
import { CatchUpSaves } from './catchUpSaves.js';
import { readPastDamage } from './readPastDamage.js';
import { sessionLogic } from './sessionLogic.js';
import { mentionsQuizId, statusAfter } from './sessionMachine.js';
import { encodeSnapshot, SNAPSHOT_MIN_EVENTS } from './sessionSnapshot.js';

/** Log records read per page while looking for touched sessions. */
const PAGE = 5_000;
/** A session's records read per page when it is rebuilt from the log. */
const SESSION_PAGE = 5_000;
/** Status rows saved per transaction. */
const SAVE_BATCH = 1_000;

/** A session's status before its first lifecycle record: the session machine's initial state. */
const FIRST_STATUS: SessionStatus = initialTransition(sessionLogic, { session_id: '' })[0].value;

/** A session touched after the high-water: its last offset, and its saved status moved on (null: fold it from the log). */
interface Since {
  offset: number;
  status: SessionStatus | null;
}

/**
 * Bring the session_status projection up to the log's head (at startup, after a kill -9 too): fold every session
 * touched after the projection's high-water offset and save the statuses with the head as the new high-water.
 * Hint: the log is read in pages and only a little per session is kept, so memory is bounded by sessions, not events.
 * While the log never deleted an event (first offset 1), a saved status follows from all of its session's records up
 * to the high-water (maybe some after too: moving on by them again changes nothing, the last lifecycle record wins and
 * ended absorbs), so it is moved on by the records after the high-water, without reading the session's history
 * (which `fold` does: after retention, and for a session with no saved status, unless the scan began at the log's
 * first record and so saw all of its records). Sessions in `folded` are left as they are (already folded from the
 * whole log). Returns how many sessions it folded.
 */
export function catchUpSessionStatus(
  log: EventLog,
  fold: (sessionId: string) => SessionStatusRow | null,
  folded: ReadonlySet<string> = new Set(),
): number {
  const head = log.headOffset();
  const from = Math.max(log.sessionsFoldedUpTo() + 1, log.firstOffset());
  if (from > head) return 0;
  const whole = log.firstOffset() === 1;
  // Hint: a scan from the first record sees each session's every record, so one with no saved status is folded from
  // the machine's first status as the scan goes, not read again (1,000 sessions of 1,000 records: 8 s of 13 s).
  const complete = from === log.firstOffset();
  const touched = new Map<string, Since>();
  for (let at: number | null = from; at !== null && at <= head; ) {
    const { records: page, next } = readPastDamage(log, at, PAGE, head);
    for (const record of page) {
      if (record.session_id === null) continue;
      let since = touched.get(record.session_id);
      if (since === undefined) {
        const saved = whole ? (log.savedSession(record.session_id)?.status ?? null) : null;
        since = { offset: 0, status: isSessionStatus(saved) ? saved : complete ? FIRST_STATUS : null };
        touched.set(record.session_id, since);
      }
      since.offset = record.offset;
      if (since.status !== null) since.status = statusAfter(since.status, record.event_type);
    }
    at = next;
  }
  const saves = new CatchUpSaves(log);
  let rows: SessionStatusRow[] = [];
  for (const [sessionId, { offset, status }] of touched) {
    if (folded.has(sessionId)) continue;
    const row = status === null ? foldOrKeep(fold, sessionId) : { session_id: sessionId, status, offset };
    if (row !== null) rows.push(row);
    if (rows.length >= SAVE_BATCH) {
      saves.save(rows);
      rows = [];
    }
  }
  // Hint: the high-water moves only with the last batch, so a crash mid-way refolds from the same point.
  saves.save(rows, head);
  saves.end();
  let count = 0;
  for (const sessionId of touched.keys()) if (!folded.has(sessionId)) count++;
  return count;
}

/** `fold(sessionId)`, or null (the session keeps the row it had) when its records meet a damaged page. */
function foldOrKeep(fold: (sessionId: string) => SessionStatusRow | null, sessionId: string): SessionStatusRow | null {
  try {
    return fold(sessionId);
  } catch (error) {
    if (error instanceof LogCorruptError) return null;
    throw error;
  }
}

/**
 * Startup: fold again the sessions a delete queued and a crash left (see refoldSessions), then catchUpSessionStatus
 * for the rest (those folds read the whole log, so they are not folded again). Returns how many sessions were folded.
 */
export function catchUpSessions(log: EventLog): number {
  const queued = log.sessionsToRefold();
  // Hint: a refold whose save fails (a full disk) does not keep the rest from being caught up; its error follows.
  const refold = new CatchUpSaves(log);
  refold.attempt(() => refoldSessions(log, queued));
  const count = catchUpSessionStatus(log, (sessionId) => foldSessionFromLog(log, sessionId), new Set(queued));
  refold.end();
  return queued.length + count;
}

/** A session's refold in progress between slices: its fold of the records below `from`. */
export interface PartialFold {
  readonly sessionId: string;
  readonly snapshot: SessionFold;
  readonly from: number;
}

/** A session's records per page of a refold, between which a slice may end (~1.5 ms at ~3 µs a record). */
const REFOLD_PAGE = 500;

/**
 * After retention: fold sessions again from what is left of the log, saving each row (with the fold's snapshot from
 * SNAPSHOT_MIN_EVENTS records on, so the session's next hydration starts there, not at its first record: the delete
 * made every older snapshot unusable), or dropping it when nothing is left, in one transaction (saveRefolded). It folds `sessionIds` from `from` on until `deadline` on `clock` (all by
 * default) and returns how many it finished. Hint: the clock is read after every page, so a slice ends within a page
 * of its deadline even inside a long session, whose fold `carry` keeps for the next call. Read every 8 sessions, one
 * 0.5 ms slice folded 8 cut sessions of about 15,000 records each (a soak probe's stall after a delete).
 */
export function refoldSessions(
  log: EventLog,
  sessionIds: readonly string[],
  from = 0,
  deadline = Number.POSITIVE_INFINITY,
  clock: () => number = () => 0,
  carry: { partial: PartialFold | null } = { partial: null },
): number {
  const rows: RefoldedRow[] = [];
  const gone: string[] = [];
  let at = from;
  while (at < sessionIds.length) {
    const sessionId = sessionIds[at]!;
    const resumed = carry.partial?.sessionId === sessionId ? carry.partial : null;
    carry.partial = null;
    const start = resumed?.snapshot ?? initialFold(sessionId);
    const { snapshot, next } = foldPages(log, sessionId, start, resumed?.from ?? 1, deadline, clock);
    if (next !== null) {
      carry.partial = { sessionId, snapshot, from: next };
      break;
    }
    const row = rowOf(sessionId, snapshot);
    if (row === null) gone.push(sessionId);
    else if (snapshot.context.event_count < SNAPSHOT_MIN_EVENTS) rows.push(row);
    else rows.push({ ...row, snapshot: encodeSnapshot(snapshot.value, snapshot.context) });
    at++;
    if (clock() > deadline) break;
  }
  if (rows.length + gone.length > 0) log.saveRefolded(rows, gone);
  return at - from;
}

/** Read one session's records (from `from`, up to `upTo`, default the head) in pages of SESSION_PAGE, oldest first. */
export function readSession(
  log: EventLog,
  sessionId: string,
  onPage: (records: readonly StoredEvent[]) => void,
  upTo?: number,
  from = 1,
): void {
  for (;;) {
    const page = log.readFrom(from, { session_id: sessionId }, SESSION_PAGE, upTo);
    if (page.length === 0) return;
    onPage(page);
    if (page.length < SESSION_PAGE) return;
    from = page[page.length - 1]!.offset + 1;
  }
}

/** The payloads that mention a quiz_id among one session's records in [from, upTo], by offset (see PendingRecords). */
export function quizPayloads(log: EventLog, sessionId: string, from: number, upTo: number): Map<number, string> {
  const found = new Map<number, string>();
  const keep = (page: readonly StoredEvent[]) => {
    for (const record of page) if (mentionsQuizId(record.payloadJson)) found.set(record.offset, record.payloadJson);
  };
  if (from <= upTo) readSession(log, sessionId, keep, upTo, from);
  return found;
}

/** A session actor's state, folded without an actor (xstate's `transition` with the session's logic). */
export type SessionFold = SnapshotFrom<typeof sessionLogic>;

export const initialFold = (sessionId: string): SessionFold =>
  initialTransition(sessionLogic, { session_id: sessionId })[0];

const rowOf = (sessionId: string, fold: SessionFold): SessionStatusRow | null =>
  fold.context.last_offset === null
    ? null
    : { session_id: sessionId, status: fold.value, offset: fold.context.last_offset };

/**
 * Fold `sessionId`'s records from offset `from` on (up to `upTo`, default the head) into `fold`, a page at a time,
 * until none is left (`next` null) or `clock` passed `deadline` after a page (`next` the offset to go on from).
 */
export function foldPages(
  log: EventLog,
  sessionId: string,
  fold: SessionFold,
  from: number,
  deadline: number,
  clock: () => number,
  upTo?: number,
): { readonly snapshot: SessionFold; readonly next: number | null } {
  let snapshot = fold;
  for (let next = from; ; ) {
    const page = log.readFrom(next, { session_id: sessionId }, REFOLD_PAGE, upTo);
    if (page.length > 0) [snapshot] = transition(sessionLogic, snapshot, { type: 'session.records', records: page });
    if (page.length < REFOLD_PAGE) return { snapshot, next: null };
    next = page[page.length - 1]!.offset + 1;
    if (clock() > deadline) return { snapshot, next };
  }
}

/**
 * A session's status row folded from the log, null when it has no events. Hint: a pure fold (xstate's
 * `transition`, with the session actor's own logic), not an actor: nothing outlives the call, so nothing to stop.
 */
export function foldSessionFromLog(log: EventLog, sessionId: string): SessionStatusRow | null {
  return rowOf(
    sessionId,
    foldPages(log, sessionId, initialFold(sessionId), 1, Number.POSITIVE_INFINITY, () => 0).snapshot,
  );
}
