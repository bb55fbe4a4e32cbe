import type { SessionStatusRow } from './eventLog.js';

/**
 * Session rows folded but not in session_status, since a save of them failed (a full disk: say the start's catch-up
 * after a kill -9). A listing reads the table through them, so it orders and filters by the statuses it shows, not by
 * rows the disk kept stale. Hint: each holds its session's newest fold (null: a refold found nothing left of it) until
 * a save of that session lands; the next start catches up from the log anyway (a failed save holds the high-water).
 */
/** What besides() answers on the normal path: nothing held, nothing made per save. */
const NOTHING_HELD = { rows: [], gone: [] } as const satisfies { rows: SessionStatusRow[]; gone: string[] };

export class UnsavedStatuses {
  private readonly rows = new Map<string, SessionStatusRow | null>();

  /** Sessions held. */
  get size(): number {
    return this.rows.size;
  }

  /** The sessions held (a retention delete may have cut into their folds: they are folded again). */
  ids(): string[] {
    return [...this.rows.keys()];
  }

  /** A save of these did not land: the table is behind them. */
  failed(rows: readonly SessionStatusRow[], gone: readonly string[] = []): void {
    for (const { session_id, status, offset } of rows) this.rows.set(session_id, { session_id, status, offset });
    for (const sessionId of gone) this.rows.set(sessionId, null);
  }

  /**
   * What is held beside `rows` (a save about to be made): written with it, so the table catches up at the next save
   * that lands (see landed). Hint (review): rows held until their own session was saved again stayed for the whole run,
   * and a listing read that many more rows each time (221 ms with 100,000 held).
   */
  besides(rows: readonly SessionStatusRow[]): { rows: SessionStatusRow[]; gone: string[] } {
    if (this.rows.size === 0) return NOTHING_HELD;
    const saving = new Set(rows.map((row) => row.session_id));
    const held: SessionStatusRow[] = [];
    const gone: string[] = [];
    for (const [sessionId, row] of this.rows)
      if (saving.has(sessionId)) continue;
      else if (row === null) gone.push(sessionId);
      else held.push(row);
    return { rows: held, gone };
  }

  /** A save that wrote every row held (besides) landed: nothing is held any more. */
  landed(): void {
    this.rows.clear();
  }

  /** A save of these landed: the table holds them. */
  saved(rows: readonly SessionStatusRow[], gone: readonly string[] = []): void {
    if (this.rows.size === 0) return;
    for (const row of rows) this.rows.delete(row.session_id);
    for (const sessionId of gone) this.rows.delete(sessionId);
  }

  /**
   * A save of these was queued on the writer thread, its outcome told later: rows held move on to them. Hint: held
   * until a save lands here, since a failure there does not say which rows it lost.
   */
  queued(rows: readonly SessionStatusRow[]): void {
    if (this.rows.size === 0) return;
    for (const row of rows) if (this.rows.has(row.session_id)) this.failed([row]);
  }

  /**
   * Sessions of `status` (all when undefined), newest first, at most `limit`: the table's rows (`read`, newest first,
   * up to the bound it is given) with those held here in place of theirs. Hint: the table is read `size` rows further,
   * as that many of its rows may be replaced; nothing more when none is held (the normal path).
   */
  list(status: string | undefined, limit: number, read: (bound: number) => SessionStatusRow[]): SessionStatusRow[] {
    if (this.rows.size === 0) return read(limit);
    const merged = read(limit + this.rows.size).filter((row) => !this.rows.has(row.session_id));
    for (const row of this.rows.values())
      if (row !== null && (status === undefined || row.status === status)) merged.push(row);
    // Hint: no two sessions share an offset (a row holds its session's newest record), so the order is total.
    return merged.sort((a, b) => b.offset - a.offset).slice(0, limit);
  }
}
