import type Database from 'better-sqlite3';
import type { LogMeta } from './logMeta.js';
import { selectTuples, selectValue } from './sqlRows.js';

/**
 * Meta key of the log's first offset (its lowest event's, or next_offset when it holds none) as this version last
 * left it. Hint: an older version on the same file (a downgrade) deletes without dropping rows; the next open sees the
 * first offset moved behind its back and folds every row again (see migrateSessionRows).
 */
const FIRST_KEY = 'session_rows_first';

/** The log's first offset as FIRST_KEY records it. */
function logFirst(db: Database.Database, nextOffset: number): number {
  return selectValue<number | null>(db, 'SELECT MIN(offset) FROM events') ?? nextOffset;
}

/** Record the log's first offset after this version changed it (deleteBelow, in its transaction). */
export function stampLogFirst(db: Database.Database, meta: LogMeta, nextOffset: number): void {
  meta.set(FIRST_KEY, String(logFirst(db, nextOffset)));
}

/**
 * Retention's share of the session projections, inside deleteBelow's transaction. Every row is saved with its
 * session's last folded record, so a touched session whose row lies below `boundary` has nothing left: its row and
 * snapshot go. One with records left is queued in session_refold: its status may follow from the deleted records,
 * so the session actors fold it again from what is left (a crash before they do leaves the queue for the next start).
 * Hint: a session whose newer records were not in its row yet also has a row below the boundary; the registry queues
 * every such session (sessionsToRefold) right after the delete and folds it from the log, which saves its row again.
 */
export function forgetDeletedSessions(db: Database.Database, boundary: number): void {
  const touched = selectTuples<[string, number]>(
    db,
    'SELECT session_id, offset FROM session_status WHERE session_id IN ' +
      '(SELECT session_id FROM events WHERE offset < ? AND session_id IS NOT NULL)',
    boundary,
  );
  const left: string[] = [];
  const gone: string[] = [];
  for (const [sessionId, offset] of touched) (offset >= boundary ? left : gone).push(sessionId);
  queueRefold(db, left);
  forgetSessions(db, gone);
}

/** Queue sessions to be folded again from the log (the caller's transaction, if any). */
export function queueRefold(db: Database.Database, sessionIds: readonly string[]): void {
  if (sessionIds.length === 0) return;
  const queue = db.prepare<[string]>('INSERT OR IGNORE INTO session_refold(session_id) VALUES (?)');
  for (const sessionId of sessionIds) queue.run(sessionId);
}

/** Drop sessions' rows and snapshots and take them off the refold queue (the caller's transaction, if any). */
export function forgetSessions(db: Database.Database, sessionIds: readonly string[]): void {
  if (sessionIds.length === 0) return;
  const statements = ['session_status', 'session_snapshot', 'session_refold'].map((table) =>
    db.prepare<[string]>(`DELETE FROM ${table} WHERE session_id = ?`),
  );
  for (const sessionId of sessionIds) for (const statement of statements) statement.run(sessionId);
}

/**
 * Fold every row again at start (the high-water `upToKey` goes to 0) when they may not follow this version's rule: a
 * row holds its session's newest folded record. Versions before it kept the offset of the last status change under
 * another high-water key, so `upToKey` is missing the first time; and an older version run on the file since (a
 * downgrade) moved the first offset without dropping rows, or appended without moving `upToKey` (the catch-up folds
 * those sessions from `upToKey` on). Hint: while the log never deleted an event (its first offset is 1) the saved
 * statuses still hold and are only moved on by the whole log; otherwise they are dropped and each session is folded
 * from what is left. Returns true when it did.
 */
export function migrateSessionRows(db: Database.Database, meta: LogMeta, upToKey: string): boolean {
  const first = logFirst(db, Number(meta.get('next_offset') ?? 1));
  const known = meta.get(upToKey) !== undefined;
  if (known && meta.get(FIRST_KEY) === String(first)) return false;
  const rows = selectValue<number>(db, 'SELECT COUNT(*) FROM (SELECT 1 FROM session_status LIMIT 1)') ?? 0;
  db.transaction(() => {
    // Snapshots are a cache; dropping them with the rows also drops those of sessions deleted long ago.
    if (rows > 0 && (known || first !== 1))
      db.exec('DELETE FROM session_status; DELETE FROM session_snapshot; DELETE FROM session_refold');
    meta.set(upToKey, '0');
    meta.set(FIRST_KEY, String(first));
  })();
  return rows > 0;
}
