import type Database from 'better-sqlite3';
import type { LogMeta } from './logMeta.js';
import { selectTuples, selectValue } from './sqlRows.js';

/** Meta key saying what a session_status row's offset is (absent: an older rule; see migrateSessionRows). */
const ROWS_RULE = 'session_status_rows';
/** The rule now: a row's offset is its session's last record folded into the row (not its last status change). */
const LAST_RECORD = 'last-record';

/**
 * Retention's share of the session projections, inside deleteBelow's transaction. Every row is saved with its
 * session's last folded record, so a touched session whose row lies below `boundary` has nothing left: its row and
 * snapshot go. One with records left is queued in session_refold: its status may follow from the deleted records,
 * so the session actors fold it again from what is left (a crash before they do leaves the queue for the next start).
 * Hint: a session whose newer records were not folded yet also has a row below the boundary; the registry folds
 * every session it holds records for from the log after a delete, which saves its row again.
 */
export function forgetDeletedSessions(db: Database.Database, boundary: number): void {
  const touched = selectTuples<[string, number]>(
    db,
    'SELECT session_id, offset FROM session_status WHERE session_id IN ' +
      '(SELECT session_id FROM events WHERE offset < ? AND session_id IS NOT NULL)',
    boundary,
  );
  if (touched.length === 0) return;
  const forget = db.prepare<[string]>('DELETE FROM session_status WHERE session_id = ?');
  const forgetSnapshot = db.prepare<[string]>('DELETE FROM session_snapshot WHERE session_id = ?');
  const refold = db.prepare<[string]>('INSERT OR IGNORE INTO session_refold(session_id) VALUES (?)');
  for (const [sessionId, offset] of touched) {
    if (offset >= boundary) {
      refold.run(sessionId);
      continue;
    }
    forget.run(sessionId);
    forgetSnapshot.run(sessionId);
  }
}

/**
 * Rows saved under the older rule hold the offset of their session's last status change, which retention cannot
 * tell from a deleted session: fold them all again at start (the high-water goes to 0). Hint: while the log never
 * deleted an event (its first offset is 1) the saved statuses still hold and are only moved on by the whole log;
 * after retention they may not, so they are dropped and each session is folded from what is left. Returns true when
 * it did.
 */
export function migrateSessionRows(db: Database.Database, meta: LogMeta, upToKey: string): boolean {
  if (meta.get(ROWS_RULE) === LAST_RECORD) return false;
  const rows = selectValue<number>(db, 'SELECT COUNT(*) FROM (SELECT 1 FROM session_status LIMIT 1)') ?? 0;
  db.transaction(() => {
    if (rows > 0) {
      const first = selectValue<number | null>(db, 'SELECT MIN(offset) FROM events') ?? null;
      // Snapshots are a cache; dropping them with the rows also drops those of sessions deleted long ago.
      if (first !== 1) db.exec('DELETE FROM session_status; DELETE FROM session_snapshot');
      meta.set(upToKey, '0');
    }
    meta.set(ROWS_RULE, LAST_RECORD);
  })();
  return rows > 0;
}
