import type Database from 'better-sqlite3';
import { type EventFilter, matchesFilter } from '../protocol/eventFilter.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { COLUMNS, type Row, servedEvent } from './eventRows.js';
import { filterConditions } from './filterConditions.js';
import type { IndexCoverage } from './indexCoverage.js';
import { BOUND_LIMIT, lazyStatement, type TupleStatements, tupleStatement } from './sqlRows.js';

/** Index chunks read per statement. */
const CHUNK_GROUP = 64;

/** A key the index holds offset lists for. */
export type IndexedKey = 'session' | 'user';

/**
 * Keyed reads through the published index chunks plus the in-memory tail. Any of them may throw when the index
 * database cannot be read; the caller then falls back to scanning the log.
 */
export class KeyedReader {
  /** The chunks that hold an id, lowest first, with its offset in each (an id is unique, so one row as a rule). */
  private readonly idEntries = lazyStatement(() =>
    tupleStatement<[number, number]>(
      this.db,
      'SELECT d.c, i.o FROM ix.keys_id d JOIN ix.ix_id i ON i.c = d.c AND i.k = d.k WHERE d.k = ? ORDER BY d.c, i.o',
    ),
  );
  /** The chunk range each session or user key appears in. */
  private readonly keySpans = {
    session: lazyStatement(() =>
      tupleStatement<[number, number]>(this.db, 'SELECT first_c, last_c FROM ix.keys_session WHERE k = ?'),
    ),
    user: lazyStatement(() =>
      tupleStatement<[number, number]>(this.db, 'SELECT first_c, last_c FROM ix.keys_user WHERE k = ?'),
    ),
  };

  constructor(
    private readonly db: Database.Database,
    private readonly coverage: IndexCoverage,
    private readonly eventReads: TupleStatements<Row>,
    private readonly byOffset: Database.Statement<[number], Row>,
  ) {}

  /**
   * The offset of an id in the id index, if a published chunk holds it. Hint: the index database may also hold chunks
   * not published (built ahead of a lower one, or left by a failed drop); those do not count.
   */
  indexedIdOffset(id: string): number | undefined {
    const published = this.coverage.idChunks;
    if (published.size === 0) return undefined;
    for (const [c, offset] of this.idEntries().all(id)) if (published.has(c)) return offset;
    return undefined;
  }

  /** Matching events in [lo, hi] for a keyed filter, from the indexed chunks and the in-memory tail. */
  select(
    key: IndexedKey,
    filter: EventFilter,
    lo: number,
    hi: number,
    order: 'asc' | 'desc',
    limit: number,
  ): StoredEvent[] {
    // Hint: the tail holds the highest offsets, so desc reads it first and asc reads it last.
    const first =
      order === 'asc'
        ? this.indexed(key, filter, lo, hi, order, limit)
        : this.readTail(key, filter, lo, hi, order, limit);
    if (first.length >= limit) return first;
    const rest =
      order === 'asc'
        ? this.readTail(key, filter, lo, hi, order, limit - first.length)
        : this.indexed(key, filter, lo, hi, order, limit - first.length);
    return first.concat(rest);
  }

  /** Keyed read of the unindexed tail through its in-memory offset lists. */
  private readTail(
    key: IndexedKey,
    filter: EventFilter,
    lo: number,
    hi: number,
    order: 'asc' | 'desc',
    limit: number,
  ): StoredEvent[] {
    const value = key === 'session' ? filter.session_id! : filter.user_id!;
    const out: StoredEvent[] = [];
    for (const offset of this.coverage.tail.offsetsFor(key, value, lo, hi, order)) {
      const row = this.byOffset.get(offset);
      if (row === undefined) continue;
      const event = servedEvent(row);
      if (matchesFilter(filter, event)) out.push(event);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Keyed read of the indexed chunks. Hint: one statement per group of CHUNK_GROUP chunks (an IN list the planner
   * turns into one seek per chunk inside SQLite); a statement per chunk measured ~24 µs each, mostly call overhead.
   */
  private indexed(
    key: IndexedKey,
    filter: EventFilter,
    lo: number,
    hi: number,
    order: 'asc' | 'desc',
    limit: number,
  ): StoredEvent[] {
    const value = key === 'session' ? filter.session_id : filter.user_id;
    const span = this.keySpans[key]().get(value);
    if (span === undefined) return [];
    const overlapping = this.coverage.chunks
      .filter((chunk) => chunk.hi >= lo && chunk.lo <= hi && chunk.c >= span[0] && chunk.c <= span[1])
      .map((chunk) => chunk.c);
    if (overlapping.length === 0) return [];
    // Hint: chunks are numbered as they seal, in offset order, so ordering by (chunk, offset) is ordering by offset,
    // and that order is the primary key's: SQLite stops at the limit instead of sorting every entry of the key in
    // the group (a page of 5 from a 200,000-record session: 0.1 against 69 ms, measured). Checked, not assumed.
    const byChunk = overlapping.every((c, i) => i === 0 || c > overlapping[i - 1]!);
    if (order === 'desc') overlapping.reverse();
    const params: unknown[] = ['', value, lo, hi];
    const where = filterConditions(filter, 'e.', params, key);
    params.push(0);
    const cols = COLUMNS.replace(/(\w+)/g, 'e.$1');
    const direction = order === 'asc' ? 'ASC' : 'DESC';
    const sql =
      `SELECT ${cols} FROM ix.ix_${key} x JOIN events e ON e.offset = x.o ` +
      `WHERE x.c IN (SELECT value FROM json_each(?)) AND x.k = ? AND x.o BETWEEN ? AND ?${where} ` +
      `ORDER BY ${byChunk ? `x.c ${direction}, ` : ''}x.o ${direction} ${BOUND_LIMIT}`;
    const statement = this.eventReads.get(sql);
    const out: StoredEvent[] = [];
    for (let i = 0; i < overlapping.length && out.length < limit; i += CHUNK_GROUP) {
      params[0] = JSON.stringify(overlapping.slice(i, i + CHUNK_GROUP));
      params[params.length - 1] = limit - out.length;
      for (const row of statement.all(...params)) out.push(servedEvent(row));
    }
    return out;
  }
}
