import type Database from 'better-sqlite3';
import type { EventFilter } from '../protocol/eventFilter.js';
import type { EventQuery } from '../protocol/eventQuery.js';
import { offsetOfRecordJson, recordJson, type StoredEvent } from '../protocol/eventRecord.js';
import { idOffset } from '../protocol/offsetIds.js';
import type { FrameStream, JsonPage, ReplayFrame } from './eventLog.js';
import { COLUMNS, ROW_JSON_SQL, type Row, rowJson, rowJsonDay, servedEvent } from './eventRows.js';
import { filterConditions } from './filterConditions.js';
import type { FrameReaderThread } from './frameReaderThread.js';
import { FrameReads } from './frameReads.js';
import type { IndexCoverage } from './indexCoverage.js';
import { KeyedReader } from './keyedReader.js';
import type { LogDamage } from './logDamage.js';
import { ChecksumMismatch, recordChecksum, verifyRecord } from './recordChecksum.js';
import { BOUND_LIMIT, lazyStatement, TupleStatements, tupleStatement, valueStatement } from './sqlRows.js';

/** The log's current offset bounds. */
export interface LogBounds {
  /** Oldest retained offset. */
  first(): number;
  /** The offset the next append gets. */
  next(): number;
}

/**
 * The log's reads: keyed reads go through published index chunks plus the in-memory tail; anything else, and every
 * keyed read once the index proved unreadable, is a range scan of `events`.
 */
export class EventReader {
  /** Event-row reads whose SQL depends on the filter. */
  private readonly eventReads: TupleStatements<Row>;
  /** Replay pages as one JSON string per row (NULL where SQLite cannot format the row; see ROW_JSON_SQL), and its crc. */
  private readonly jsonReads: TupleStatements<[string | null, number | null]>;
  /** Replay pages as one frame each, inline or on the reader thread. */
  private readonly frames: FrameReads;
  private readonly byOffset: Database.Statement<[number], Row>;
  private readonly byProducerId: Database.Statement<[string], number>;
  private readonly firstAtOrAfter: Database.Statement<[number], [number, number]>;
  private readonly idInLog: Database.Statement<[string, number], Row>;
  private readonly keyed: KeyedReader;
  private readonly selectOne: () => Database.Statement<[], number>;
  /** False once an index read failed: keyed reads scan the log until a restart rebuilds the index. */
  private indexReadable = true;

  constructor(
    db: Database.Database,
    private readonly coverage: IndexCoverage,
    private readonly bounds: LogBounds,
    private readonly isGeneratedId: (id: string) => boolean,
    private readonly onIndexUnreadable: (error: unknown) => void,
    /** Reads of `events` go through it: a damaged page fails them as a LogCorruptError and marks the log. */
    readonly damage: LogDamage,
    /** Runs replay frame reads beside the I/O thread (null: every read is inline). */
    thread: FrameReaderThread | null = null,
  ) {
    this.eventReads = new TupleStatements<Row>(db);
    this.jsonReads = new TupleStatements<[string | null, number | null]>(db);
    this.frames = new FrameReads(db, bounds, damage, (offset) => this.dayOf(offset), thread);
    this.byOffset = tupleStatement(db, `SELECT ${COLUMNS} FROM events WHERE offset = ?`);
    this.byProducerId = valueStatement(db, 'SELECT o FROM producer_ids WHERE k = ?');
    this.firstAtOrAfter = tupleStatement(db, 'SELECT offset, ts FROM events WHERE offset >= ? ORDER BY offset LIMIT 1');
    this.idInLog = tupleStatement(
      db,
      `SELECT ${COLUMNS} FROM events WHERE id = ? AND offset <= ? ORDER BY offset LIMIT 1`,
    );
    this.keyed = new KeyedReader(db, coverage, this.eventReads, this.byOffset);
    this.selectOne = lazyStatement(() => valueStatement<number, []>(db, 'SELECT 1'));
  }

  /** The event with this id (producer or generated), or null. */
  getById(id: string): StoredEvent | null {
    const fetch = (offset: number) =>
      this.damage.guard(offset, () => {
        const row = this.byOffset.get(offset);
        return row === undefined || row[1] !== id ? null : servedEvent(row);
      });
    // Hint: the server's ids name their offset (offsetIds), so one read finds them, before any other lookup; the tail
    // and the id index hold only ids that do not, producer_ids the producers'.
    const generated = this.isGeneratedId(id);
    const named = generated ? idOffset(id) : null;
    if (named !== null && named >= this.bounds.first() && named < this.bounds.next()) {
      const hit = fetch(named);
      if (hit !== null) return hit;
    }
    // Hint: a tail rebuilt at open holds producers' ids too; once retention deleted such an event, the id is free
    // again and producer_ids names where it was published anew.
    const tailOffset = this.coverage.tail.offsetOf(id);
    const inTail = tailOffset === undefined ? null : fetch(tailOffset);
    if (inTail !== null) return inTail;
    const producer = this.byProducerId.get(id);
    if (producer !== undefined) return fetch(producer);
    if (!generated || this.coverage.chunks.length === 0) return null;
    if (this.indexReadable) {
      let hit: number | undefined;
      try {
        hit = this.keyed.indexedIdOffset(id);
      } catch (error) {
        this.indexFailed(error);
      }
      // Hint: the log's own read is outside the try: a damaged log page is not the index's fault.
      if (this.indexReadable) return hit === undefined ? null : fetch(hit);
    }
    const first = this.bounds.first();
    return this.damage.guard(first, () => {
      const row = this.idInLog.get(id, this.coverage.indexedUpTo);
      return row === undefined ? null : servedEvent(row);
    });
  }

  /** An index read failed: scan the log from now on (the log discards the index at the next open). */
  private indexFailed(error: unknown): void {
    if (!this.indexReadable) return;
    this.indexReadable = false;
    this.onIndexUnreadable(error);
  }

  /** First offset whose timestamp is ≥ ts (timestamps are non-decreasing in offset, so binary search by offset). */
  offsetAtOrAfter(ts: number): number {
    let lo = this.bounds.first();
    let hi = this.bounds.next(); // answer in [lo, hi]
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = this.damage.guard(mid, () => this.firstAtOrAfter.get(mid));
      if (row === undefined) {
        hi = mid;
        continue;
      }
      if (row[1] >= ts) hi = mid;
      else lo = row[0] + 1;
    }
    return lo;
  }

  /** The REST query. */
  query(query: EventQuery): StoredEvent[] {
    let lo = Math.max(this.bounds.first(), (query.after_offset ?? 0) + 1);
    let hi = Math.min(this.bounds.next() - 1, (query.before_offset ?? Number.MAX_SAFE_INTEGER) - 1);
    if (query.since !== undefined) lo = Math.max(lo, this.offsetAtOrAfter(query.since));
    if (query.until !== undefined) hi = Math.min(hi, this.offsetAtOrAfter(query.until + 1) - 1);
    return this.select(query.filter, lo, hi, query.order, query.limit);
  }

  /** readFrom, serialized (replay's hot path). */
  readJsonFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): JsonPage {
    const lo = Math.max(fromOffset, this.bounds.first());
    const hi = Math.min(upTo ?? Number.MAX_SAFE_INTEGER, this.bounds.next() - 1);
    if (filter.session_id !== undefined || filter.user_id !== undefined || lo > hi) {
      const events = this.readFrom(fromOffset, filter, limit, upTo);
      return {
        records: events.map(recordJson),
        lastOffset: events.length > 0 ? events[events.length - 1]!.offset : null,
      };
    }
    // Hint: replay's hot path: raw rows straight to JSON strings, kept only as strings until they are sent.
    const params: unknown[] = [lo, hi];
    const where = filterConditions(filter, '', params, null);
    params.push(limit);
    const range = `FROM events WHERE offset BETWEEN ? AND ?${where} ORDER BY offset ${BOUND_LIMIT}`;
    return this.damage.guard(lo, () => {
      const rows = this.jsonReads.get(`SELECT ${ROW_JSON_SQL}, crc ${range}`).all(...this.dayOf(lo), ...params);
      const texts = new Array<string>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const [json, crc] = rows[i]!;
        if (json === null) return this.rowJsonPage(`SELECT ${COLUMNS} ${range}`, params);
        if (crc !== null && recordChecksum(json) !== crc) throw new ChecksumMismatch(offsetOfRecordJson(json));
        texts[i] = json;
      }
      return { records: texts, lastOffset: texts.length > 0 ? offsetOfRecordJson(texts[texts.length - 1]!) : null };
    });
  }

  /** readJsonFrom as one batch:true message built by SQLite (see FrameReads). */
  readFrameFrom(fromOffset: number, filter: EventFilter, limit: number, upTo: number): ReplayFrame | null {
    return this.frames.readFrameFrom(fromOffset, filter, limit, upTo);
  }

  /** Frames read ahead on the reader thread (see FrameReads). */
  readFramesAhead(...args: Parameters<FrameReads['readFramesAhead']>): FrameStream | null {
    return this.frames.readFramesAhead(...args);
  }

  /** Whether the connection still answers a read. */
  ping(): boolean {
    try {
      return this.selectOne().get() !== undefined;
    } catch {
      return false;
    }
  }

  /** End the reader thread (the log is closing). */
  close(): void {
    this.frames.close();
  }

  /** ROW_JSON_SQL's day parameters for a page from `offset`: the day of the first row there. */
  private dayOf(offset: number): [number, string] {
    const first = this.firstAtOrAfter.get(offset);
    return rowJsonDay(first === undefined ? -1 : first[1]);
  }

  /** A replay page built in JavaScript: for rows whose timestamp SQLite cannot format as recordJson does. */
  private rowJsonPage(sql: string, params: unknown[]): JsonPage {
    const rows = this.eventReads.get(sql).all(...params);
    const records = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      records[i] = rowJson(row);
      verifyRecord(records[i]!, row[8], row[0]);
    }
    return { records, lastOffset: rows.length > 0 ? rows[rows.length - 1]![0] : null };
  }

  /** Events from an offset matching a filter, ascending. */
  readFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): StoredEvent[] {
    const hi = Math.min(upTo ?? Number.MAX_SAFE_INTEGER, this.bounds.next() - 1);
    return this.select(filter, Math.max(fromOffset, this.bounds.first()), hi, 'asc', limit);
  }

  /** Matching events in [lo, hi]: indexed chunks for keyed filters plus the in-memory tail; else a range scan. */
  private select(filter: EventFilter, lo: number, hi: number, order: 'asc' | 'desc', limit: number): StoredEvent[] {
    if (lo > hi || limit <= 0) return [];
    const key = filter.session_id !== undefined ? 'session' : filter.user_id !== undefined ? 'user' : null;
    if (key === null || !this.indexReadable) return this.scan(filter, lo, hi, order, limit);
    try {
      return this.keyed.select(key, filter, lo, hi, order, limit);
    } catch (error) {
      // Hint: scan first: when the log itself is damaged the scan fails too, and the index is not to blame.
      const events = this.scan(filter, lo, hi, order, limit);
      this.indexFailed(error);
      return events;
    }
  }

  /** Range scan of `events`, filtered in SQL. */
  private scan(filter: EventFilter, lo: number, hi: number, order: 'asc' | 'desc', limit: number): StoredEvent[] {
    const params: unknown[] = [lo, hi];
    const where = filterConditions(filter, '', params, null);
    params.push(limit);
    const sql = `SELECT ${COLUMNS} FROM events WHERE offset BETWEEN ? AND ?${where} ORDER BY offset ${order === 'asc' ? 'ASC' : 'DESC'} ${BOUND_LIMIT}`;
    return this.damage.guard(order === 'asc' ? lo : hi, () =>
      this.eventReads
        .get(sql)
        .all(...params)
        .map(servedEvent),
    );
  }
}
