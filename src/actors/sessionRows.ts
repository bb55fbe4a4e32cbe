import type { SessionStatusRow } from '../persistence/eventLog.js';
import type { SessionStatus } from '../protocol/sessionStatus.js';
import type { FailureLines } from './failureLines.js';
import type { SessionEntry } from './sessionEntry.js';

const NO_ROWS: readonly SessionStatusRow[] = [];

/**
 * When a fold's session_status row is written. A row holds its session's status and newest offset: it is saved at
 * once when the status moves (or none is saved yet); when only the offset moves it waits until `take` (each sweep,
 * and before a listing reads the rows or the process stops), so a session folded many times a second is written once.
 * Hint: writing every fold wrote each of ingest-ws-batch's 1,000 sessions many times a second (bench/HISTORY.md,
 * 2026-12-04). The projection's high-water must not pass a record a waiting row does not show
 * yet: `cap` bounds it below the first record folded into any waiting row.
 */
export class SessionRows {
  private readonly waiting = new Map<string, SessionEntry>();
  /** Rows a save failed to write (disk full), each session's newest; written again by the next save. */
  private readonly unsaved = new Map<string, SessionStatusRow>();
  private floor = Number.POSITIVE_INFINITY;

  /** `failures`: where a failed save is told (a full disk fails every save alike: one line, not two a second). */
  constructor(private readonly failures?: FailureLines) {}

  /**
   * `entry` folded records `first`..`last` (first = last + 1 when none) and is now in `status`: the row to save now,
   * or null (nothing moved, or only the offset: it waits).
   */
  settle(entry: SessionEntry, status: SessionStatus, first: number, last: number): SessionStatusRow | null {
    if (status !== entry.savedStatus || entry.savedOffset === null) {
      entry.savedStatus = status;
      entry.savedOffset = last;
      entry.foldedOffset = last;
      this.waiting.delete(entry.sessionId);
      return { session_id: entry.sessionId, status, offset: last };
    }
    entry.foldedOffset = last;
    if (last === entry.savedOffset) return null;
    // Hint: a session already waiting set the floor at its earlier first record, which is lower.
    if (!this.waiting.has(entry.sessionId)) this.floor = Math.min(this.floor, first - 1);
    this.waiting.set(entry.sessionId, entry);
    return null;
  }

  /** A new entry of a passivated session starts where it was (its row holds that, or will once `take` saves it). */
  resume(entry: SessionEntry, status: SessionStatus, offset: number): void {
    if (entry.savedStatus !== null) return;
    entry.savedStatus = status;
    entry.savedOffset = offset;
    entry.foldedOffset = offset;
  }

  /** The rows that wait, now to be saved; afterwards none waits. */
  take(): readonly SessionStatusRow[] {
    if (this.waiting.size === 0) return NO_ROWS;
    const rows: SessionStatusRow[] = [];
    for (const entry of this.waiting.values()) {
      rows.push({ session_id: entry.sessionId, status: entry.savedStatus!, offset: entry.foldedOffset! });
      entry.savedOffset = entry.foldedOffset;
    }
    this.drop();
    return rows;
  }

  /**
   * Save `rows` with `write`, after the rows earlier saves failed to write; when it throws, each session's newest of
   * them is kept for the next save, and the failure is told.
   */
  save(rows: readonly SessionStatusRow[], write: (rows: readonly SessionStatusRow[]) => void): void {
    const all = this.unsaved.size === 0 ? rows : [...this.unsaved.values(), ...rows];
    this.unsaved.clear();
    try {
      write(all);
      if (all.length > 0) this.failures?.ended();
    } catch (error) {
      for (const row of all) this.unsaved.set(row.session_id, row);
      this.failures?.failed(error);
    }
  }

  /** Forget the waiting and unsaved rows (retention folds their sessions again from the log); their session ids. */
  drop(): string[] {
    const ids = [...this.waiting.keys(), ...this.unsaved.keys()];
    this.waiting.clear();
    this.unsaved.clear();
    this.floor = Number.POSITIVE_INFINITY;
    return ids;
  }

  /** `upTo`, lowered so that every session record it covers is in a row saved or about to be. */
  cap(upTo: number): number {
    return Math.min(upTo, this.floor);
  }
}
