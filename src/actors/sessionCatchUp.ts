import type { EventLog, SessionStatusRow } from '../persistence/eventLog.js';

/** Log records read per page while looking for touched sessions. */
const PAGE = 5_000;
/** Status rows saved per transaction. */
const SAVE_BATCH = 1_000;

/**
 * Bring the session_status projection up to the log's head (at startup, after a kill -9 too): fold every session
 * touched after the projection's high-water offset and save the statuses with the head as the new high-water.
 * Hint: the log is read in pages and only session ids are kept, so memory is bounded by sessions, not events.
 */
export function catchUpSessionStatus(log: EventLog, fold: (sessionId: string) => SessionStatusRow | null): number {
  const head = log.headOffset();
  const from = Math.max(log.sessionsFoldedUpTo() + 1, log.firstOffset());
  if (from > head) return 0;
  const touched = new Set<string>();
  for (let at = from; at <= head; ) {
    const page = log.readFrom(at, {}, PAGE, head);
    if (page.length === 0) break;
    for (const record of page) if (record.session_id !== null) touched.add(record.session_id);
    at = page[page.length - 1]!.offset + 1;
  }
  let rows: SessionStatusRow[] = [];
  for (const sessionId of touched) {
    const row = fold(sessionId);
    if (row !== null) rows.push(row);
    if (rows.length >= SAVE_BATCH) {
      log.saveSessionStatuses(rows);
      rows = [];
    }
  }
  // Hint: the high-water moves only with the last batch, so a crash mid-way refolds from the same point.
  log.saveSessionStatuses(rows, head);
  return touched.size;
}
