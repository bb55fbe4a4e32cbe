import type { EventQuery } from './eventQuery.js';
import { recordJson, type StoredEvent } from './eventRecord.js';

/** Rows of the first page: a default query (limit 100) is one page, answered in one write as before. */
export const FIRST_PAGE_ROWS = 100;
/** About how much JSON each later page holds, sized from the rows read so far. */
export const PAGE_BYTES = 1 << 20;

/**
 * One query's JSON array, read and serialized a page at a time. Each page asks only for offsets past the last one
 * (after it in `asc` order, before it in `desc`), so the pages together are the query's answer, and a reply of a
 * thousand 60 KB records costs one page of memory and of the thread per turn instead of 60 MB at once.
 */
export class QueryPages {
  private cursor: EventQuery;
  private remaining: number;
  private rows: number;
  private started = false;
  private wrote = false;
  private ended = false;

  constructor(
    private readonly read: (query: EventQuery) => readonly StoredEvent[],
    query: EventQuery,
    private readonly pageBytes = PAGE_BYTES,
  ) {
    this.cursor = query;
    this.remaining = query.limit;
    this.rows = Math.min(FIRST_PAGE_ROWS, query.limit);
  }

  /** True once the closing `]` has been returned. */
  get done(): boolean {
    return this.ended;
  }

  /** The next piece of the array's text (the first opens it, the last closes it), or null after the last. */
  next(): string | null {
    if (this.ended) return null;
    const asked = Math.min(this.rows, this.remaining);
    const page = asked > 0 ? this.read({ ...this.cursor, limit: asked }) : [];
    let text = this.started ? '' : '[';
    this.started = true;
    for (const event of page) {
      if (this.wrote) text += ',';
      text += recordJson(event);
      this.wrote = true;
    }
    this.remaining -= page.length;
    const last = page.at(-1);
    if (last === undefined || page.length < asked || this.remaining === 0) {
      this.ended = true;
      return `${text}]`;
    }
    this.cursor =
      this.cursor.order === 'asc'
        ? { ...this.cursor, after_offset: last.offset }
        : { ...this.cursor, before_offset: last.offset };
    // Hint: the next page's rows from this page's mean size, so a page of large records stays near pageBytes.
    this.rows = Math.max(1, Math.floor((this.pageBytes * page.length) / Math.max(1, text.length)));
    return text;
  }
}
