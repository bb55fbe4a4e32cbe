import type { EventQuery } from './eventQuery.js';
import { recordJson, type StoredEvent } from './eventRecord.js';

/** Rows of the first read: a default query (limit 100) is one read, answered in one write as before. */
export const FIRST_PAGE_ROWS = 100;
/** About how much JSON each piece holds, later reads sized from the rows read so far. */
export const PAGE_BYTES = 1 << 20;

/** Retention deleted records a reply still owed after its headers went out, which could no longer say so. */
export class RetentionOvertookError extends Error {
  override readonly name = 'RetentionOvertookError';
}

/**
 * One query's JSON array, read and serialized a page at a time. Each page asks only for offsets past the last one
 * (after it in `asc` order, before it in `desc`), so the pages together are the query's answer, and a reply of a
 * thousand 60 KB records costs one page of memory and of the thread per turn instead of 60 MB at once.
 */
export class QueryPages {
  private cursor: EventQuery;
  private remaining: number;
  /** Mean JSON length of the last page's rows (0 before the first read). */
  private rowBytes = 0;
  private started = false;
  private wrote = false;
  private ended = false;
  /** The lowest offset a `desc` answer may hold (an `asc` one's cursor rises instead). */
  private readonly floor: number;
  /** The first stored offset when the answer began (X-First-Available-Offset was decided by it). */
  private readonly firstAtStart: number;

  constructor(
    private readonly read: (query: EventQuery) => readonly StoredEvent[],
    query: EventQuery,
    private readonly pageBytes = PAGE_BYTES,
    private readonly firstOffset: () => number = () => 1,
  ) {
    this.cursor = query;
    this.remaining = query.limit;
    this.floor = (query.after_offset ?? 0) + 1;
    this.firstAtStart = firstOffset();
  }

  /** True once the closing `]` has been returned. */
  get done(): boolean {
    return this.ended;
  }

  /**
   * The next piece of the array's text (the first opens it, the last closes it), or null after the last. The first
   * piece reads on until it holds about `pageBytes` or the whole answer. Hint: an answer of one piece is sent in one
   * write while its request is handled, and only then may a client pipeline requests behind it (uWS closes a
   * connection whose next request arrives while a reply is still being written, cutting that reply short).
   */
  next(): string | null {
    if (this.ended) return null;
    const first = !this.started;
    let text = (first ? '[' : '') + this.page(this.pageBytes);
    this.started = true;
    while (first && !this.ended && text.length < this.pageBytes) text += this.page(this.pageBytes - text.length);
    return this.ended ? `${text}]` : text;
  }

  /** One read of about `budget` bytes of JSON (FIRST_PAGE_ROWS rows for the first), its records joined by commas. */
  private page(budget: number): string {
    if (this.started && this.cursor.order === 'asc') this.checkRetention((this.cursor.after_offset ?? 0) + 1);
    // Hint: rows from the mean size read so far, so a page of large records stays near its budget.
    const rows = this.rowBytes === 0 ? FIRST_PAGE_ROWS : Math.max(1, Math.floor(budget / this.rowBytes));
    const asked = Math.min(rows, this.remaining);
    const page = asked > 0 ? this.read({ ...this.cursor, limit: asked }) : [];
    // Hint: descending, retention (which deletes a prefix) cuts only the end: a full page has no gap in it.
    if (this.started && this.cursor.order === 'desc' && page.length < asked) this.checkRetention(this.floor);
    let text = '';
    for (const event of page) {
      if (this.wrote) text += ',';
      text += recordJson(event);
      this.wrote = true;
    }
    this.remaining -= page.length;
    const last = page.at(-1);
    if (last === undefined || page.length < asked || this.remaining === 0) {
      this.ended = true;
      return text;
    }
    this.rowBytes = Math.max(1, text.length / page.length);
    this.cursor =
      this.cursor.order === 'asc'
        ? { ...this.cursor, after_offset: last.offset }
        : { ...this.cursor, before_offset: last.offset };
    return text;
  }

  /**
   * Throw when retention has deleted offsets from `lowest` on that this answer had yet to send. Hint: its status and
   * headers are out, so the only honest end is a cut connection (an error to the client, who asks again and is told
   * by the header), never an array that parses with a gap in it.
   */
  private checkRetention(lowest: number): void {
    const first = this.firstOffset();
    if (first > Math.max(lowest, this.firstAtStart))
      throw new RetentionOvertookError(`retention deleted offsets below ${first} while this answer was being sent`);
  }
}
