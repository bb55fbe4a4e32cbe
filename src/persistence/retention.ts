import type Database from 'better-sqlite3';
import type { EventType } from '../protocol/eventTypes.js';
import { LogWriteError } from './eventLog.js';
import type { LogMeta } from './logMeta.js';
import { openFailureReason } from './openError.js';
import { forgetDeletedSessions, stampLogFirst } from './sessionRetention.js';
import { BOUND_LIMIT, selectTuples, selectValue } from './sqlRows.js';

/**
 * Rows a scan of producer_ids reads for the cost of one key probe (~57 ns a row against ~1.3 µs a probe, measured).
 * Hint: a scan reads every producer id (570 ms at ten million) and probes cost one per deleted event, so probes win
 * when the table holds many times more rows than the events deleted, and lose on a log with few producer ids.
 */
const ROWS_PER_PROBE = 16;

/** A retention step the store refused (disk full): that step deleted nothing; `reason` says why. */
export class RetentionStepError extends LogWriteError {
  constructor(reason: string, options: ErrorOptions) {
    super(`storage unavailable; nothing was deleted, retry (${reason})`, { ...options, reason });
  }
}

/**
 * The error of a delete whose step `error` failed after earlier steps deleted `deleted` events: what is gone (every
 * offset below `first`) and what is left below `boundary`, so a retry knows it finishes the job (503, retry).
 */
export function retentionStopped(error: RetentionStepError, deleted: number, first: number, boundary: number): Error {
  if (deleted === 0) return error;
  return new LogWriteError(
    `storage unavailable; deleted ${deleted} events (every offset below ${first}), ` +
      `not the ${boundary - first} offsets from ${first} to ${boundary - 1}: retry to delete the rest (${error.reason})`,
    { cause: error },
  );
}

/**
 * Delete every event below `boundary`, with its producer ids, its share of the type counters and the session rows it
 * leaves stale (see forgetDeletedSessions), in one transaction (IMMEDIATE: it reads before it writes, and the writer
 * thread may commit in between); next_offset is saved with it so offsets are never reused. Returns the number of
 * events deleted. A write the store refuses (disk full) rolls back: a RetentionStepError naming why (503, retry).
 * Hint: retention calls it once per bounded step (LogRetention, and a cluster replica's CutSteps).
 */
export function deleteBelow(db: Database.Database, meta: LogMeta, boundary: number, nextOffset: number): number {
  return storeStep(() => deleteInTransaction(db, meta, boundary, nextOffset));
}

/**
 * Run a retention write; what the store throws (a full disk: SQLite's or the file system's error code) comes out as a
 * RetentionStepError naming why. Anything else (a bug) passes as it is, not as a retryable refusal retried for good.
 */
export function storeStep<T>(write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof RetentionStepError || !storeError(error)) throw error;
    throw new RetentionStepError(openFailureReason(error), { cause: error });
  }
}

function storeError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && /^(SQLITE_|E[A-Z]+$)/.test(code);
}

function deleteInTransaction(db: Database.Database, meta: LogMeta, boundary: number, nextOffset: number): number {
  return db
    .transaction(() => {
      const counts = selectTuples<[EventType, number]>(
        db,
        'SELECT event_type, COUNT(*) FROM events WHERE offset < ? GROUP BY event_type',
        boundary,
      );
      const decrement = db.prepare<[number, EventType]>('UPDATE type_stats SET count = count - ? WHERE event_type = ?');
      for (const [type, count] of counts) decrement.run(count, type);
      const first = selectValue<number | null>(db, 'SELECT MIN(offset) FROM events') ?? boundary;
      // Hint: count producer ids only up to the bound that decides, so the count never costs more than the scan.
      const bound = (boundary - first) * ROWS_PER_PROBE;
      const held =
        selectValue<number>(db, `SELECT count(*) FROM (SELECT 1 FROM producer_ids ${BOUND_LIMIT})`, bound) ?? 0;
      // A producer id's key is its event's id, so both deletes remove the same rows (o < boundary either way).
      if (held >= bound)
        db.prepare<[number, number]>(
          'DELETE FROM producer_ids WHERE k IN (SELECT id FROM events WHERE offset < ?) AND o < ?',
        ).run(boundary, boundary);
      else db.prepare<[number]>('DELETE FROM producer_ids WHERE o < ?').run(boundary);
      forgetDeletedSessions(db, boundary);
      const deleted = db.prepare<[number]>('DELETE FROM events WHERE offset < ?').run(boundary).changes;
      stampLogFirst(db, meta, nextOffset);
      meta.set('next_offset', String(nextOffset));
      return deleted;
    })
    .immediate();
}
