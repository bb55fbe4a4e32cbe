import type Database from 'better-sqlite3';
import type { EventFilter } from '../protocol/eventFilter.js';
import type { AheadFrame, FrameStream, ReplayFrame } from './eventLog.js';
import { ROW_JSON_SQL } from './eventRows.js';
import { filterConditions } from './filterConditions.js';
import type { FrameReaderThread } from './frameReaderThread.js';
import type { LogDamage } from './logDamage.js';
import { frameMatches } from './recordChecksum.js';
import { BOUND_LIMIT, TupleStatements } from './sqlRows.js';

/**
 * The frame query's one row: rows, formatted rows, last offset, the `[…]` bytes, and each record's length in bytes and
 * checksum as JSON arrays.
 */
export type FrameRow = [number, number, number | null, Uint8Array | null, string, string];

/** The frame query for one filter; its parameters, in order: ROW_JSON_SQL's two, lo, hi, `filterParams`, the limit. */
export interface FrameSql {
  readonly sql: string;
  readonly filterParams: readonly unknown[];
}

/** Pages a stream reads ahead of the one being written (each costs up to one batch message of memory). */
const AHEAD_PAGES = 2;

const EMPTY_FRAME: ReplayFrame = { frame: new Uint8Array(0), count: 0, lastOffset: null };

/**
 * The query that builds a batch:true replay message in SQLite: at most `limit` records matching `filter` in [lo, hi]
 * (ROW_JSON_SQL's day parameters first). Hint: group_concat takes the rows in the ordered subquery's order (SQLite
 * runs it as a co-routine); a property test holds the frame equal to the joined readJsonFrom records.
 */
export function frameSql(filter: EventFilter): FrameSql {
  const filterParams: unknown[] = [];
  const where = filterConditions(filter, '', filterParams, null);
  const sql =
    `SELECT count(*), count(json), max(offset), CAST('[' || group_concat(json, ',') || ']' AS BLOB), ` +
    `json_group_array(octet_length(json)), json_group_array(crc) FROM (SELECT offset, ${ROW_JSON_SQL} AS json, ` +
    `crc FROM events WHERE offset BETWEEN ? AND ?${where} ORDER BY offset ${BOUND_LIMIT})`;
  return { sql, filterParams };
}

/**
 * The frame a query's row holds; null when the log cannot serve it as one (a row SQLite could not format, or a record
 * that does not match its checksum: the caller's string path reads it again and names the offset).
 */
function frameOf(row: FrameRow | undefined): ReplayFrame | null {
  if (row === undefined || row[0] !== row[1]) return null;
  if (row[0] === 0) return EMPTY_FRAME;
  const lengths = JSON.parse(row[4]) as number[];
  if (!frameMatches(row[3]!, lengths, JSON.parse(row[5]) as (number | null)[])) return null;
  return { frame: row[3]!, count: row[0], lastOffset: row[2] };
}

/** The log's offset bounds: the oldest retained offset and the next to append. */
interface FrameBounds {
  first(): number;
  next(): number;
}

/**
 * Replay pages as one batch:true message each, built by SQLite: inline (readFrameFrom), or on the reader thread
 * (requestFrame), so a replay's SQLite work runs beside the I/O thread. Range scans only: keyed filters read through
 * the index as strings.
 */
export class FrameReads {
  private readonly reads: TupleStatements<FrameRow>;

  constructor(
    db: Database.Database,
    private readonly bounds: FrameBounds,
    private readonly damage: LogDamage,
    private readonly dayOf: (offset: number) => [number, string],
    private readonly thread: FrameReaderThread | null,
  ) {
    this.reads = new TupleStatements<FrameRow>(db);
  }

  /** At most `limit` records matching `filter` in [fromOffset, upTo] as one frame; null: read them as strings. */
  readFrameFrom(fromOffset: number, filter: EventFilter, limit: number, upTo: number): ReplayFrame | null {
    const query = this.query(fromOffset, filter, limit, upTo);
    if (query === null || 'frame' in query) return query;
    return frameOf(this.damage.guard(query.from, () => this.reads.get(query.sql).get(...query.params)));
  }

  /**
   * Pages of at most `asked` records from `fromOffset` on, read ahead on the reader thread (`window`: offsets a page
   * may span), in order, each starting where the one before ended; `onPage` gets each, then null after the last.
   * Null when they cannot be read that way (no thread, a keyed filter, nothing below the head).
   */
  readFramesAhead(
    fromOffset: number,
    filter: EventFilter,
    asked: number,
    window: number,
    onPage: (page: AheadFrame | null) => void,
  ): FrameStream | null {
    const head = this.bounds.next() - 1;
    if (this.thread === null || filter.session_id !== undefined || filter.user_id !== undefined) return null;
    if (fromOffset < this.bounds.first() || fromOffset > head) return null;
    const { sql, filterParams } = frameSql(filter);
    const spec = { sql, filterParams, from: fromOffset, asked, window, head, credits: AHEAD_PAGES };
    const stream = this.thread.stream(spec, (page) =>
      onPage(page === null ? null : { from: page.from, asked: page.asked, upTo: page.upTo, frame: frameOf(page.row) }),
    );
    if (stream === null) return null;
    return { more: () => stream.more(this.bounds.next() - 1), cancel: () => stream.cancel() };
  }

  /** End the reader thread (the log is closing). */
  close(): void {
    this.thread?.close();
  }

  /** The read for these arguments; an empty frame when the range is empty; null for keyed filters. */
  private query(fromOffset: number, filter: EventFilter, limit: number, upTo: number): FrameQuery | ReplayFrame | null {
    if (filter.session_id !== undefined || filter.user_id !== undefined) return null;
    const lo = Math.max(fromOffset, this.bounds.first());
    const hi = Math.min(upTo, this.bounds.next() - 1);
    if (lo > hi) return EMPTY_FRAME;
    const { sql, filterParams } = frameSql(filter);
    const day = this.damage.guard(lo, () => this.dayOf(lo));
    return { sql, params: [...day, lo, hi, ...filterParams, limit], from: lo };
  }
}

/** One inline frame read: its SQL and parameters, and the offset it reads from (for damage reports). */
interface FrameQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly from: number;
}
