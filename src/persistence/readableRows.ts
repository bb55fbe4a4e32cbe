import type Database from 'better-sqlite3';
import { isCorruption } from './logDamage.js';
import { LogCorruptError } from './logErrors.js';
import { tupleStatement } from './sqlRows.js';

/** Rows read per page of a scan. */
const SCAN_PAGE = 5000;

/** What a scan of the log hands on: each page of rows, and each range it could not read. */
export interface ScanVisitor<R extends [number, ...unknown[]]> {
  /** Rows in offset order (the first column is the offset); a page cut short by damage too. */
  rows(rows: readonly R[]): void;
  /**
   * The scan met a damaged page after offset `last` (the last row read, or where it began): rows from `last + 1`
   * to `next - 1` were not read, and it goes on at `next` (null: nothing after `last` up to the head could be read).
   */
  skipped(last: number, next: number | null, error: unknown): void;
}

/** `read()`, or 'damaged' when it met a damaged page (SQLite's error, or a read's LogCorruptError). */
function tryRead<T>(read: () => T): T | 'damaged' {
  try {
    return read();
  } catch (error) {
    if (isCorruption(error) || error instanceof LogCorruptError) return 'damaged';
    throw error;
  }
}

/**
 * The first offset after `after` (where a read met a damaged page) that a read can reach again, up to `head`, or null.
 * `firstFrom(o)` is the first offset at or after `o` (undefined: none), or throws the damage. Hint: a seek into a
 * damaged leaf (or below a damaged interior page) fails and one past it does not, so the boundary is found in
 * O(log n) seeks: forward in doubling steps, then halving. Rows between two damaged places inside one step are
 * skipped with them.
 */
export function nextReadable(
  after: number,
  head: number,
  firstFrom: (offset: number) => number | undefined,
): number | null {
  let bad = after;
  let good = 0;
  for (let step = 1; good === 0; step *= 2) {
    if (bad >= head) return null;
    const at = Math.min(bad + step, head);
    if (tryRead(() => firstFrom(at)) === 'damaged') bad = at;
    else good = at;
  }
  while (good - bad > 1) {
    const mid = Math.floor((bad + good) / 2);
    if (tryRead(() => firstFrom(mid)) === 'damaged') bad = mid;
    else good = mid;
  }
  const first = tryRead(() => firstFrom(good));
  return first === 'damaged' || first === undefined ? null : first;
}

/**
 * Read `columns` (the offset first) of every row of `events` after offset `after`, up to `head`, in pages, passing
 * over damaged pages (see ScanVisitor.skipped). Hint: the scans at open (the unindexed tail, type_stats) go on past
 * a damaged page, so INTEGRITY_CHECK=off can start and serve what is left, as its reads do.
 */
export function scanReadable<R extends [number, ...unknown[]]>(
  db: Database.Database,
  columns: string,
  after: number,
  head: number,
  visitor: ScanVisitor<R>,
): void {
  const page = tupleStatement<R, [number]>(
    db,
    `SELECT ${columns} FROM events WHERE offset >= ? ORDER BY offset LIMIT ${SCAN_PAGE}`,
  );
  // Hint: the probe reads the same columns, so a row whose payload is on a damaged overflow page counts as damaged.
  const first = tupleStatement<R, [number]>(
    db,
    `SELECT ${columns} FROM events WHERE offset >= ? ORDER BY offset LIMIT 1`,
  );
  // Hint: pages start at an offset (>=), never after one (>): a seek after the last offset of a damaged page lands
  // on that page, one at the next offset does not.
  for (let from = after + 1; ; ) {
    const { rows, damage } = readPage(page, from);
    visitor.rows(rows);
    const last = rows.length > 0 ? rows[rows.length - 1]![0] : from - 1;
    if (damage !== null) {
      const next = nextReadable(last, head, (offset) => first.get(offset)?.[0]);
      visitor.skipped(last, next, damage);
      // Hint: next > last always (the probe reads the same columns as a page); the guard keeps a scan finite anyway.
      if (next === null || next <= last) return;
      from = next;
    } else if (rows.length < SCAN_PAGE) return;
    else from = last + 1;
  }
}

/**
 * One page of a scan from `from`, and the damage that cut it short (null: none). Hint: read whole first; only a page
 * that fails is read again row by row, to keep the rows before the damage.
 */
function readPage<R extends unknown[]>(
  page: Database.Statement<[number], R>,
  from: number,
): { readonly rows: R[]; readonly damage: unknown } {
  const whole = tryRead(() => page.all(from));
  if (whole !== 'damaged') return { rows: whole, damage: null };
  const rows: R[] = [];
  try {
    for (const row of page.iterate(from)) rows.push(row);
  } catch (error) {
    if (!isCorruption(error)) throw error;
    return { rows, damage: error };
  }
  return { rows, damage: null };
}
