import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesFilter } from './eventFilter.js';
import type { EventQuery } from './eventQuery.js';
import { recordsJson, type StoredEvent } from './eventRecord.js';
import { FIRST_PAGE_ROWS, QueryPages, RetentionOvertookError } from './queryPages.js';

/** A log of `sizes.length` events, payloads of the given lengths, two sessions, ts rising every other offset. */
function logOf(sizes: readonly number[]): StoredEvent[] {
  return sizes.map((size, i) => ({
    offset: i + 1,
    id: `e${i + 1}`,
    event_type: i % 3 === 0 ? 'quiz_started' : 'answer_submitted',
    source: 'quiz',
    session_id: i % 2 === 0 ? 'a' : 'b',
    user_id: null,
    payloadJson: JSON.stringify({ text: 'x'.repeat(size) }),
    ts: 1_000 + Math.floor(i / 2),
  }));
}

/** What the log answers a query: the model every page is read from. */
function answer(log: readonly StoredEvent[], query: EventQuery): StoredEvent[] {
  const hits = log.filter(
    (event) =>
      matchesFilter(query.filter, event) &&
      (query.since === undefined || event.ts >= query.since) &&
      (query.until === undefined || event.ts <= query.until) &&
      (query.after_offset === undefined || event.offset > query.after_offset) &&
      (query.before_offset === undefined || event.offset < query.before_offset),
  );
  if (query.order === 'desc') hits.reverse();
  return hits.slice(0, query.limit);
}

const queryArb: fc.Arbitrary<EventQuery> = fc.record(
  {
    filter: fc.constantFrom({}, { session_id: 'a' }, { event_types: ['quiz_started' as const] }),
    since: fc.integer({ min: 1_000, max: 1_050 }),
    until: fc.integer({ min: 1_000, max: 1_100 }),
    limit: fc.integer({ min: 1, max: 300 }),
    order: fc.constantFrom('asc' as const, 'desc' as const),
    after_offset: fc.integer({ min: 0, max: 100 }),
    before_offset: fc.integer({ min: 1, max: 250 }),
  },
  { requiredKeys: ['filter', 'limit', 'order'] },
);

describe('QueryPages', () => {
  it('gives exactly the query’s answer as one JSON array, however the pages fall', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3_000 }), { maxLength: 220 }),
        queryArb,
        fc.integer({ min: 1, max: 20_000 }),
        (sizes, query, pageBytes) => {
          const log = logOf(sizes);
          const reads: EventQuery[] = [];
          const read = (q: EventQuery) => {
            reads.push(q);
            return answer(log, q);
          };
          const pages = new QueryPages(read, query, { pageBytes });
          let text = '';
          for (let piece = pages.next(); piece !== null; piece = pages.next()) text += piece;
          const asked = reads.reduce((sum, q) => sum + q.limit, 0);
          return (
            text === recordsJson(answer(log, query)) &&
            pages.done &&
            reads.every((q) => q.limit >= 1) &&
            reads[0]!.limit === Math.min(FIRST_PAGE_ROWS, query.limit) &&
            asked <= query.limit + reads.length
          );
        },
      ),
    );
  });

  it('gives the same answer when each read may cover only so many offsets, and no read covers more', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3_000 }), { maxLength: 220 }),
        queryArb,
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 300 }),
        (sizes, query, pageBytes, scanOffsets) => {
          const log = logOf(sizes);
          const reads: EventQuery[] = [];
          const read = (q: EventQuery) => {
            reads.push(q);
            return answer(log, q);
          };
          const bounds = { firstOffset: () => 1, headOffset: () => log.length };
          const pages = new QueryPages(read, query, { pageBytes, scanOffsets, bounds });
          let text = '';
          for (let piece = pages.next(); piece !== null; piece = pages.next()) text += piece;
          return (
            text === recordsJson(answer(log, query)) &&
            pages.done &&
            reads.every((q) => q.limit >= 1 && (q.before_offset ?? 0) - (q.after_offset ?? 0) - 1 <= scanOffsets)
          );
        },
      ),
    );
  });

  it('answers a filter nothing matches over a long log a span per piece, the first piece one span', () => {
    const log = logOf(Array.from({ length: 1_000 }, () => 10));
    const reads: EventQuery[] = [];
    const read = (q: EventQuery) => {
      reads.push(q);
      return answer(log, q);
    };
    const bounds = { firstOffset: () => 1, headOffset: () => log.length };
    const query: EventQuery = { filter: { source: 'none' }, limit: 1_000, order: 'desc' };
    const pages = new QueryPages(read, query, { scanOffsets: 100, bounds });
    const pieces: string[] = [];
    for (let piece = pages.next(); piece !== null; piece = pages.next()) pieces.push(piece);
    expect(pieces.join('')).toBe('[]');
    expect(pieces).toHaveLength(10);
    expect(reads.map((q) => [q.after_offset, q.before_offset])).toEqual(
      Array.from({ length: 10 }, (_, i) => [900 - 100 * i, 1_001 - 100 * i]),
    );
  });

  it('keeps a default query of small records to one read and one piece', () => {
    const log = logOf(Array.from({ length: 500 }, () => 10));
    const query: EventQuery = { filter: {}, limit: 100, order: 'desc' };
    const pages = new QueryPages((q) => answer(log, q), query);
    expect(pages.next()).toBe(recordsJson(answer(log, query)));
    expect(pages.done).toBe(true);
    expect(pages.next()).toBeNull();
  });

  it('gives an answer of up to about the page budget as one piece, however many reads it takes', () => {
    const log = logOf(Array.from({ length: 1_000 }, () => 10));
    const query: EventQuery = { filter: {}, limit: 1_000, order: 'asc' };
    const pages = new QueryPages((q) => answer(log, q), query);
    // Hint: 1,000 small records are far below 1 MiB; one piece is one synchronous write, so requests pipelined
    // behind it are answered (uWS closes a connection whose reply is still being written when the next one arrives).
    expect(pages.next()).toBe(recordsJson(answer(log, query)));
    expect(pages.done).toBe(true);
  });

  it('sizes later pages of large records near the page budget', () => {
    const log = logOf(Array.from({ length: 1_000 }, () => 60_000));
    const reads: number[] = [];
    const read = (q: EventQuery) => {
      reads.push(q.limit);
      return answer(log, q);
    };
    const pages = new QueryPages(read, {
      filter: {},
      limit: 1_000,
      order: 'asc',
    });
    const lengths: number[] = [];
    for (let piece = pages.next(); piece !== null; piece = pages.next()) lengths.push(piece.length);
    expect(reads[0]).toBe(FIRST_PAGE_ROWS);
    // 1 MiB pages of 60 KB records: 17 rows each after the first.
    expect(reads.slice(1, -1).every((rows) => rows === 17)).toBe(true);
    expect(Math.max(...lengths.slice(1))).toBeLessThan(1.1 * (1 << 20));
  });

  describe('when retention deletes a prefix between pieces', () => {
    const log = logOf(Array.from({ length: 600 }, () => 3_000));
    /** Pages of `log` read after `deleteBelow` has become the first stored offset once the first piece is out. */
    function pagesOf(query: EventQuery) {
      let first = 1;
      const read = (q: EventQuery) => answer(log, q).filter((event) => event.offset >= first);
      const bounds = { firstOffset: () => first, headOffset: () => log.length };
      const pages = new QueryPages(read, query, { pageBytes: 100_000, bounds });
      const deleteBelow = (offset: number) => {
        first = offset;
      };
      return { pages, deleteBelow };
    }

    it('throws rather than skip offsets an ascending answer had yet to send', () => {
      const { pages, deleteBelow } = pagesOf({ filter: {}, limit: 600, order: 'asc' });
      expect(pages.next()).not.toBeNull();
      deleteBelow(400);
      expect(() => pages.next()).toThrow(RetentionOvertookError);
    });

    it('throws rather than end a descending answer early unawares', () => {
      const { pages, deleteBelow } = pagesOf({ filter: {}, limit: 600, order: 'desc' });
      expect(pages.next()).not.toBeNull();
      deleteBelow(200);
      expect(() => {
        while (pages.next() !== null);
      }).toThrow(RetentionOvertookError);
    });

    it('finishes a descending answer whose rest retention did not reach', () => {
      const { pages, deleteBelow } = pagesOf({ filter: {}, limit: 300, order: 'desc' });
      let text = pages.next() ?? '';
      deleteBelow(200);
      for (let piece = pages.next(); piece !== null; piece = pages.next()) text += piece;
      expect(text).toBe(recordsJson(answer(log, { filter: {}, limit: 300, order: 'desc' })));
    });
  });
});
