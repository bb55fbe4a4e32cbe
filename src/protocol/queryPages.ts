import type { EventQuery } from './eventQuery.js';
import { recordJson, type StoredEvent } from './eventRecord.js';

/** Rows of the first read: a default query (limit 100) is one read, answered in one write as before. */
export const FIRST_PAGE_ROWS = 100;
/** About how much JSON each piece holds, later reads sized from the rows read so far. */
export const PAGE_BYTES = 1 << 20;
/** Offsets one read of a server's answer covers at most (a filter no stored event matches scans only these). */
export const SCAN_OFFSETS = 65_536;

/** Retention deleted records a reply still owed after its headers went out, which could no longer say so. */
export class RetentionOvertookError extends Error {
  override readonly name = 'RetentionOvertookError';
}

/** The log's ends, as the answer reads them. */
export interface LogBounds {
  firstOffset(): number;
  headOffset(): number;
}

/** How QueryPages reads: the size of a piece, the offsets one read may cover, and the log's ends. */
export interface QueryPagesOptions {
  readonly pageBytes?: number;
  /** At most this many offsets per read (default: any), so a sparse filter over a long log is read turn by turn. */
  readonly scanOffsets?: number;
  readonly bounds?: LogBounds;
}

const UNBOUNDED: LogBounds = { firstOffset: () => 1, headOffset: () => Number.MAX_SAFE_INTEGER };

/**
 * One query's JSON array, read and serialized a page at a time. Each page asks only for offsets past the last one
 * (after it in `asc` order, before it in `desc`), so the pages together are the query's answer, and a reply of a
 * thousand 60 KB records costs one page of memory and of the thread per turn instead of 60 MB at once. The answer
 * holds what was stored when it began: offsets up to the head then.
 */
export class QueryPages {
  private cursor: EventQuery;
  private remaining: number;
  /** Mean JSON length of the last page's rows (0 before the first read). */
  private rowBytes = 0;
  private started = false;
  private wrote = false;
  private ended = false;
  /** True when the last read covered its whole span of offsets without filling its page. */
  private spanSpent = false;
  private readonly pageBytes: number;
  private readonly scanOffsets: number;
  private readonly bounds: LogBounds;
  /** The first stored offset when the answer began (X-First-Available-Offset was decided by it). */
  private readonly firstAtStart: number;
  /** The lowest and highest offsets the answer may hold. */
  private readonly floor: number;
  private readonly ceiling: number;

  constructor(
    private readonly read: (query: EventQuery) => readonly StoredEvent[],
    query: EventQuery,
    options: QueryPagesOptions = {},
  ) {
    this.pageBytes = options.pageBytes ?? PAGE_BYTES;
    this.scanOffsets = options.scanOffsets ?? Number.POSITIVE_INFINITY;
    this.bounds = options.bounds ?? UNBOUNDED;
    this.cursor = query;
    this.remaining = query.limit;
    this.firstAtStart = this.bounds.firstOffset();
    this.floor = Math.max((query.after_offset ?? 0) + 1, this.firstAtStart);
    this.ceiling = Math.min((query.before_offset ?? Number.MAX_SAFE_INTEGER) - 1, this.bounds.headOffset());
  }

  /** True once the closing `]` has been returned. */
  get done(): boolean {
    return this.ended;
  }

  /**
   * The next piece of the array's text (the first opens it, the last closes it; others may be empty), or null after
   * the last. The first piece reads on until it holds about `pageBytes`, the whole answer, or a read found its whole
   * span sparse. Hint: an answer of one piece is sent in one write while its request is handled, and only then may
   * a client pipeline requests behind it (uWS closes a connection whose next request arrives while a reply is still
   * being written, cutting that reply short).
   */
  next(): string | null {
    if (this.ended) return null;
    const first = !this.started;
    let text = (first ? '[' : '') + this.page(this.pageBytes);
    this.started = true;
    while (first && !this.ended && !this.spanSpent && text.length < this.pageBytes)
      text += this.page(this.pageBytes - text.length);
    return this.ended ? `${text}]` : text;
  }

  /** One read of about `budget` bytes of JSON (FIRST_PAGE_ROWS rows for the first), its records joined by commas. */
  private page(budget: number): string {
    const asc = this.cursor.order === 'asc';
    if (this.started && asc) this.checkRetention((this.cursor.after_offset ?? 0) + 1);
    // Hint: rows from the mean size read so far, so a page of large records stays near its budget.
    const rows = this.rowBytes === 0 ? FIRST_PAGE_ROWS : Math.max(1, Math.floor(budget / this.rowBytes));
    const asked = Math.min(rows, this.remaining);
    const span = this.span();
    const page = this.read({ ...this.cursor, ...span.query, limit: asked });
    // Hint: descending, retention (which deletes a prefix) cuts only the end: a full page has no gap in it.
    if (this.started && !asc && page.length < asked) this.checkRetention(span.lo);
    let text = '';
    for (const event of page) {
      if (this.wrote) text += ',';
      text += recordJson(event);
      this.wrote = true;
    }
    this.remaining -= page.length;
    if (page.length > 0) this.rowBytes = Math.max(1, text.length / page.length);
    this.spanSpent = page.length < asked;
    if (this.remaining === 0 || (this.spanSpent && span.whole)) {
      this.ended = true;
      return text;
    }
    const next = this.spanSpent ? (asc ? span.hi : span.lo) : page.at(-1)!.offset;
    this.cursor = asc ? { ...this.cursor, after_offset: next } : { ...this.cursor, before_offset: next };
    return text;
  }

  /** The offsets the next read covers: the rest of the answer, or its next `scanOffsets` of it. */
  private span(): {
    lo: number;
    hi: number;
    whole: boolean;
    query: Pick<EventQuery, 'after_offset' | 'before_offset'>;
  } {
    let lo: number;
    let hi: number;
    if (this.cursor.order === 'asc') {
      lo = Math.max(this.floor, (this.cursor.after_offset ?? 0) + 1);
      hi = Math.min(this.ceiling, lo + this.scanOffsets - 1);
    } else {
      hi = Math.min(this.ceiling, (this.cursor.before_offset ?? Number.MAX_SAFE_INTEGER) - 1);
      lo = Math.max(this.floor, hi - this.scanOffsets + 1);
    }
    const whole = this.cursor.order === 'asc' ? hi >= this.ceiling : lo <= this.floor;
    return { lo, hi, whole, query: { after_offset: lo - 1, before_offset: hi + 1 } };
  }

  /**
   * Throw when retention has deleted offsets from `lowest` on that this answer had yet to send. Hint: its status and
   * headers are out, so the only honest end is a cut connection (an error to the client, who asks again and is told
   * by the header), never an array that parses with a gap in it.
   */
  private checkRetention(lowest: number): void {
    const first = this.bounds.firstOffset();
    if (first > Math.max(lowest, this.firstAtStart))
      throw new RetentionOvertookError(`retention deleted offsets below ${first} while this answer was being sent`);
  }
}
