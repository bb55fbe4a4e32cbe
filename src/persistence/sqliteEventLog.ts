import type Database from 'better-sqlite3';
import type { EventFilter } from '../protocol/eventFilter.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { EventQuery } from '../protocol/eventQuery.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { EventType } from '../protocol/eventTypes.js';
import { InlineChunkIndexer, WorkerChunkIndexer, type Chunk, type ChunkIndexer } from './chunkIndexer.js';
import { CommitHealth } from './commitHealth.js';
import { LogOpenError, LogWriteError, type EventLog, type GroupOutcome, type LogHealth, type LogStats, type SessionStatusRow } from './eventLog.js';
import { COLUMNS, toEvent, type Row } from './eventRows.js';
import { EventReader } from './eventReader.js';
import { IndexCoverage } from './indexCoverage.js';
import { attachIndex, contiguousChunks } from './indexDatabase.js';
import { lockLog, openDatabase, type Durability } from './logFile.js';
import type { LogLock } from './logLock.js';
import { openFailureReason } from './openError.js';
import { sameContent } from './sameContent.js';
import { SESSIONS_UPTO, SessionStatusStore } from './sessionStatusStore.js';
import { TYPE_STATS_UPTO, TypeStats } from './typeStats.js';

export type { Durability } from './logFile.js';

/** Options for opening the SQLite log; clock and ids are injected. */
export interface SqliteEventLogOptions {
  readonly path: string;
  readonly durability?: Durability;
  readonly now?: () => number;
  readonly newId: () => string;
  readonly newEpoch: () => string;
  /** Unindexed rows that seal a tail segment and trigger a bulk index build (default 20,000). */
  readonly indexChunk?: number;
  /** Where index chunks are built: a worker thread (default, uses the second core) or inline (deterministic). */
  readonly indexer?: 'worker' | 'inline';
  /**
   * Could `id` have come from `newId`? Only such ids need the chunked id index (one probe per chunk); others are
   * found in producer_ids alone. Defaults to always, which is correct but slower.
   */
  readonly isGeneratedId?: (id: string) => boolean;
  /** Told (one line each) when derived state is discarded, rebuilt, or cannot be written; the log keeps serving. */
  readonly onNotice?: (message: string) => void;
  /** Test hook: consulted before each chunk build; true makes that build fail as if the index disk were full. */
  readonly failIndexBuild?: () => boolean;
}

/** Rows per multi-row INSERT: fewer native calls per event (measured ~1.4× over single-row inserts). */
const INSERT_ROWS = 50;

const HOUR_MS = 3_600_000;
const INDEX_INVALID = 'index_invalid';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The event log over better-sqlite3.
 *
 * Hint: measured on this machine, secondary indexes maintained per 1,000-row commit cut appends from ~270k/s to
 * ~25-40k/s (random-key B-tree pages dirtied every commit), and even sorted bulk builds cost ~6 µs/row. So the
 * events table is a bare INTEGER PRIMARY KEY append; the session, user and id indexes live in a separate index
 * database, built per sealed 20k-offset chunk by a worker thread, and the unindexed tail is served from in-memory
 * segments. Producer ids (idempotency) get their own small unique table, written with the append.
 *
 * The index is derived state and never trusted blindly: it records the log's epoch, is discarded when it belongs to
 * another log, reaches past the head, or cannot be read, and a range whose build failed stays in the tail until a
 * retry (or the next open) builds it. Chunks are published in offset order, so every chunk lies below the tail.
 */
export class SqliteEventLog implements EventLog {
  readonly epoch: string;
  private readonly db: Database.Database;
  private readonly lock: LogLock | null;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly notice: (message: string) => void;
  private readonly indexChunk: number;
  private readonly insertOne: Database.Statement;
  private readonly insertMany: Database.Statement;
  private readonly insertProducerId: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly commitGroups: (groups: readonly (readonly EventInput[])[]) => GroupOutcome[];
  private readonly indexer: ChunkIndexer;
  private readonly typeStats: TypeStats;
  private readonly sessionStatus: SessionStatusStore;
  private readonly commitHealth: CommitHealth;
  /** Which offsets are indexed and which are served from the in-memory tail. */
  private readonly coverage: IndexCoverage;
  private readonly reader: EventReader;
  private nextOffset: number;
  private first: number;
  private lastTs: number;
  private closed = false;

  constructor(options: SqliteEventLogOptions) {
    this.now = options.now ?? Date.now;
    this.newId = options.newId;
    this.notice = options.onNotice ?? (() => {});
    this.indexChunk = options.indexChunk ?? 20_000;
    this.lock = lockLog(options.path);
    let degraded: string | null;
    try {
      ({ db: this.db, degraded } = openDatabase(options.path, options.durability));
    } catch (error) {
      this.lock?.release();
      throw error;
    }
    if (degraded !== null) this.notice(`the log was opened without shared memory (${degraded}); other processes cannot read it until the next start`);
    const getMeta = (key: string) =>
      (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    try {
      this.setMeta = this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
      let epoch = getMeta('epoch');
      if (epoch === undefined) {
        epoch = options.newEpoch();
        this.setMeta.run('epoch', epoch);
      }
      this.epoch = epoch;
      // Offsets are never reused: next_offset is persisted with every commit, and the max row is a fallback.
      const maxRow = this.db.prepare('SELECT MAX(offset) AS o, MIN(offset) AS f FROM events').get() as { o: number | null; f: number | null };
      this.nextOffset = Math.max(Number(getMeta('next_offset') ?? 1), (maxRow.o ?? 0) + 1);
      this.first = maxRow.f ?? this.nextOffset;
      const last = this.db.prepare('SELECT ts FROM events ORDER BY offset DESC LIMIT 1').get() as { ts: number } | undefined;
      this.lastTs = Math.max(last?.ts ?? 0, Number(getMeta('last_ts') ?? 0));
      this.sessionStatus = new SessionStatusStore(this.db, Number(getMeta(SESSIONS_UPTO) ?? 0));
      const values = '(?, ?, ?, ?, ?, ?, ?, ?)';
      this.insertOne = this.db.prepare(`INSERT INTO events(${COLUMNS}) VALUES ${values}`);
      this.insertMany = this.db.prepare(`INSERT INTO events(${COLUMNS}) VALUES ${Array(INSERT_ROWS).fill(values).join(', ')}`);
      this.insertProducerId = this.db.prepare('INSERT OR IGNORE INTO producer_ids(k, o) VALUES (?, ?)');
      this.typeStats = new TypeStats(this.db);
    } catch (error) {
      this.db.close();
      this.lock?.release();
      throw new LogOpenError(options.path, openFailureReason(error), { cause: error });
    }
    this.commitGroups = this.db.transaction((groups: readonly (readonly EventInput[])[]) => this.appendInTransaction(groups));
    this.commitHealth = new CommitHealth(this.now, () => this.probeSpace());
    let indexer: ChunkIndexer | null = null;
    try {
      this.probeWritable();
      const statsUpTo = getMeta(TYPE_STATS_UPTO);
      const statsNotice = this.typeStats.catchUp(statsUpTo === undefined ? null : Number(statsUpTo), this.nextOffset - 1, (key, value) => this.setMeta.run(key, value));
      if (statsNotice !== null) this.notice(statsNotice);
      const opened = this.openIndex(options, degraded, getMeta(INDEX_INVALID) !== undefined);
      this.coverage = opened.coverage;
      this.reader = opened.reader;
      this.indexer = indexer = opened.indexer;
      // Hint: the log went backwards; when the new epoch cannot be saved (disk full) the next open decides again.
      if (opened.epoch !== this.epoch && this.tryWrite(() => this.setMeta.run('epoch', opened.epoch))) this.epoch = opened.epoch;
      this.rebuildTail();
      this.coverage.builder = this.indexer;
    } catch (error) {
      // Hint: only a log that cannot even be read gets here (derived state has its own fallbacks); never a raw stack.
      this.closed = true;
      indexer?.close();
      this.db.close();
      this.lock?.release();
      throw new LogOpenError(options.path, openFailureReason(error), { cause: error });
    }
  }

  /** Attach the derived index (discarding it when it does not belong to this log) and set up who builds chunks. */
  private openIndex(
    options: SqliteEventLogOptions,
    degraded: string | null,
    markedInvalid: boolean,
  ): { coverage: IndexCoverage; reader: EventReader; indexer: ChunkIndexer; epoch: string } {
    const inMemory = options.path === ':memory:';
    const indexPath = inMemory ? ':memory:' : `${options.path}.index`;
    const onBuilt = (chunk: Chunk) => {
      if (!this.closed) this.coverage.built(chunk);
    };
    const onFailed = (chunk: Chunk | null, why: string) => {
      if (!this.closed) this.coverage.failed(chunk, why);
    };
    const attached = attachIndex(this.db, {
      path: indexPath,
      epoch: this.epoch,
      head: this.nextOffset - 1,
      markedInvalid,
      notice: this.notice,
      newEpoch: options.newEpoch,
    });
    if (markedInvalid) this.tryWrite(() => this.db.prepare('DELETE FROM meta WHERE key = ?').run(INDEX_INVALID));
    const { chunks, orphans } = contiguousChunks(attached.chunks, this.first);
    const coverage = new IndexCoverage(
      { now: this.now, notice: this.notice, failIndexBuild: options.failIndexBuild ?? (() => false), firstOffset: () => this.first },
      chunks,
      attached.nextChunk,
    );
    const reader = new EventReader(
      this.db,
      coverage,
      { first: () => this.first, next: () => this.nextOffset },
      options.isGeneratedId ?? (() => true),
      (error) => {
        this.tryWrite(() => this.setMeta.run(INDEX_INVALID, '1'));
        this.notice(`index unreadable (${message(error)}); keyed reads scan the log until a restart rebuilds it`);
      },
    );
    const inline = new InlineChunkIndexer(this.db, onBuilt, onFailed);
    // Hint: chunks after a gap (a failed build) are dropped and rebuilt with the rest of the unindexed range.
    if (orphans.length > 0) inline.drop(orphans.map((chunk) => chunk.c));
    // Hint: the tail is rebuilt inline (one segment in memory at a time); the worker takes over afterwards.
    coverage.builder = inline;
    const useInline = options.indexer === 'inline' || inMemory || !attached.onDisk || degraded !== null;
    const indexer = useInline ? inline : new WorkerChunkIndexer(options.path, indexPath, onBuilt, onFailed);
    return { coverage, reader, indexer, epoch: attached.epoch };
  }

  /**
   * Rebuild the tail from rows the index does not cover yet, sealing full segments as appends would.
   * Hint: a missing or discarded index can leave millions of rows; building those chunks inline keeps only one
   * segment in memory at a time, at the price of a slower start.
   */
  private rebuildTail(): void {
    const indexedUpTo = this.coverage.indexedUpTo;
    const page = this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE offset > ? ORDER BY offset LIMIT 5000`).raw(true);
    for (let from = indexedUpTo; ; ) {
      const rows = page.all(from) as Row[];
      for (const row of rows) this.coverage.tail.add(toEvent(row));
      if (rows.length < 5000) break;
      from = rows[rows.length - 1]![0];
      this.sealFullSegment();
    }
    this.coverage.tail.coverUpTo(this.nextOffset - 1);
    this.sealFullSegment();
  }

  /**
   * Commit (then remove) a value the size of a typical group commit. Hint: a one-row write can fit in space a
   * nearly full disk still has while real commits fail, so the probe writes 64 KiB.
   */
  private probeSpace(): void {
    this.setMeta.run('space_probe', 'x'.repeat(65_536));
    this.db.prepare("DELETE FROM meta WHERE key = 'space_probe'").run();
  }

  /** A write at open: a log that cannot be written still serves reads, and reports itself not writable. */
  private probeWritable(): void {
    try {
      this.probeSpace();
    } catch (error) {
      this.commitHealth.unwritableAtOpen(openFailureReason(error));
      this.notice(`the log cannot be written (${openFailureReason(error)}); serving reads only until writes succeed`);
    }
  }

  /** Run a write of derived bookkeeping; false when it failed (it is repaired at the next open). */
  private tryWrite(write: () => void): boolean {
    try {
      write();
      return true;
    } catch {
      return false;
    }
  }

  headOffset(): number {
    return this.nextOffset - 1;
  }

  firstOffset(): number {
    return this.first;
  }

  appendGroups(groups: readonly (readonly EventInput[])[]): GroupOutcome[] {
    const offsetBefore = this.nextOffset;
    const tsBefore = this.lastTs;
    let outcomes: GroupOutcome[];
    try {
      outcomes = this.commitGroups(groups);
    } catch (error) {
      // Hint: the transaction rolled back, so in-memory state rolls back with it.
      this.coverage.tail.forgetFrom(offsetBefore);
      this.nextOffset = offsetBefore;
      this.lastTs = tsBefore;
      this.typeStats.reload();
      this.commitHealth.failed(openFailureReason(error));
      throw new LogWriteError('append failed; nothing was committed', { cause: error });
    }
    this.commitHealth.succeeded();
    this.sealFullSegment();
    this.coverage.retry(false);
    return outcomes;
  }

  /** Seal the open tail segment once it spans a whole chunk, and hand it to the builder. */
  private sealFullSegment(size = this.indexChunk): void {
    this.coverage.seal(size);
  }

  private appendInTransaction(groups: readonly (readonly EventInput[])[]): GroupOutcome[] {
    const outcomes: GroupOutcome[] = [];
    // Producer ids seen in this commit, so a repeat in a later group resolves without SQL.
    const committedHere = new Map<string, StoredEvent>();
    const ts = Math.max(this.now(), this.lastTs);
    const perType = new Map<EventType, number>();
    // Rows waiting for a multi-row INSERT; flushed before anything reads the table.
    const params: unknown[] = [];
    const flushRows = () => {
      for (let i = 0; i < params.length; i += 8) this.insertOne.run(params.slice(i, i + 8));
      params.length = 0;
    };
    for (const group of groups) {
      // Producer-id lookups read the table, so rows still buffered must be written first; other groups keep buffering.
      if (params.length > 0 && group.some((input) => input.id !== null)) flushRows();
      // First pass: resolve producer ids, so a conflict rejects the whole group before any insert.
      let conflict: { index: number; id: string } | null = null;
      const existing: (StoredEvent | null)[] = new Array(group.length).fill(null);
      const inGroup = new Map<string, number>();
      for (let i = 0; i < group.length && conflict === null; i++) {
        const input = group[i]!;
        if (input.id === null) continue;
        const earlierIndex = inGroup.get(input.id);
        if (earlierIndex !== undefined) {
          const earlier = group[earlierIndex]!;
          if (!sameContent(earlier, input)) conflict = { index: i, id: input.id };
          // Hint: a repeat of an id already in the log resolves to that record; otherwise the second pass finds the new one.
          else existing[i] = existing[earlierIndex]!;
          continue;
        }
        inGroup.set(input.id, i);
        const found = committedHere.get(input.id) ?? this.getById(input.id);
        if (found === null) continue;
        if (sameContent(found, input)) existing[i] = found;
        else conflict = { index: i, id: input.id };
      }
      if (conflict !== null) {
        outcomes.push({ ok: false, conflict });
        continue;
      }
      const records: StoredEvent[] = [];
      const appended: StoredEvent[] = [];
      const byProducerId = new Map<string, StoredEvent>();
      for (let i = 0; i < group.length; i++) {
        const input = group[i]!;
        const prior = existing[i] ?? (input.id === null ? undefined : byProducerId.get(input.id));
        if (prior !== undefined && prior !== null) {
          records.push(prior);
          continue;
        }
        const event: StoredEvent = {
          offset: this.nextOffset++,
          id: input.id ?? this.newId(),
          event_type: input.event_type,
          source: input.source,
          session_id: input.session_id,
          user_id: input.user_id,
          payloadJson: input.payloadJson,
          ts,
        };
        params.push(event.offset, event.id, event.event_type, event.source, event.session_id, event.user_id, event.payloadJson, ts);
        if (params.length === INSERT_ROWS * 8) {
          this.insertMany.run(params);
          params.length = 0;
        }
        this.coverage.tail.add(event);
        if (input.id !== null) {
          this.insertProducerId.run(input.id, event.offset);
          byProducerId.set(input.id, event);
          committedHere.set(input.id, event);
        }
        perType.set(event.event_type, (perType.get(event.event_type) ?? 0) + 1);
        records.push(event);
        appended.push(event);
      }
      outcomes.push({ ok: true, records, appended });
    }
    flushRows();
    if (perType.size > 0) {
      this.typeStats.add(perType, ts);
      this.lastTs = ts;
      this.setMeta.run('next_offset', String(this.nextOffset));
      this.setMeta.run('last_ts', String(ts));
      // Hint: the projection's high-water, in the same transaction as its counters (one row per commit, not per event).
      this.setMeta.run(TYPE_STATS_UPTO, String(this.nextOffset - 1));
    }
    return outcomes;
  }


  indexTail(): void {
    // Hint: seal whatever the open segment holds, so tests and benchmarks can include the full index cost.
    this.sealFullSegment(1);
    this.coverage.retry(true);
  }

  /** Offsets still served from memory (for tests and benchmarks). */
  unindexedCount(): number {
    return this.coverage.tail.size;
  }

  /** A cached statement (raw rows for readers). */
  private statement(sql: string): Database.Statement {
    return this.reader.statement(sql);
  }

  getById(id: string): StoredEvent | null {
    return this.reader.getById(id);
  }

  query(query: EventQuery): StoredEvent[] {
    return this.reader.query(query);
  }

  readJsonFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): { records: string[]; lastOffset: number | null } {
    return this.reader.readJsonFrom(fromOffset, filter, limit, upTo);
  }

  readFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): StoredEvent[] {
    return this.reader.readFrom(fromOffset, filter, limit, upTo);
  }

  stats(now: number): LogStats {
    const head = this.nextOffset - 1;
    // Retained offsets are always one contiguous range (deletes remove a time prefix), so counts are arithmetic.
    const total = Math.max(0, head - this.first + 1);
    const lastHour = total === 0 ? 0 : Math.max(0, head - Math.max(this.first, this.reader.offsetAtOrAfter(now - HOUR_MS)) + 1);
    const by_type = this.typeStats.list();
    return { total_events: total, events_last_hour: lastHour, by_type, head_offset: head, first_offset: this.first, epoch: this.epoch };
  }

  deleteBefore(before: number | undefined): number {
    const boundary = before === undefined ? this.nextOffset : this.reader.offsetAtOrAfter(before);
    if (boundary <= this.first) return 0;
    const removeRange = this.db.transaction(() => {
      const counts = this.statement('SELECT event_type, COUNT(*) FROM events WHERE offset < ? GROUP BY event_type').all(boundary) as [EventType, number][];
      const decrement = this.db.prepare('UPDATE type_stats SET count = count - ? WHERE event_type = ?');
      for (const [type, count] of counts) decrement.run(count, type);
      const deleted = this.db.prepare('DELETE FROM events WHERE offset < ?').run(boundary).changes;
      this.db.prepare('DELETE FROM producer_ids WHERE o < ?').run(boundary);
      this.setMeta.run('next_offset', String(this.nextOffset));
      return deleted;
    });
    const deleted = removeRange();
    this.first = boundary;
    // Whole chunks below the boundary go; entries of a partly deleted chunk no longer join to a row.
    const gone = this.coverage.dropBelow(boundary);
    if (gone.length > 0) this.indexer.drop(gone);
    this.typeStats.reload();
    return deleted;
  }

  saveSessionStatuses(rows: readonly SessionStatusRow[], foldedUpTo?: number): void {
    this.sessionStatus.save(rows, foldedUpTo);
  }

  sessionsFoldedUpTo(): number {
    return this.sessionStatus.foldedUpTo();
  }

  noteSessionsFolded(upTo: number): void {
    this.sessionStatus.noteFolded(upTo);
  }

  listSessions(status: string | undefined, limit: number): SessionStatusRow[] {
    return this.sessionStatus.listSessions(status, limit);
  }

  ping(): boolean {
    if (this.closed) return false;
    try {
      return this.statement('SELECT 1').get() !== undefined;
    } catch {
      return false;
    }
  }

  health(): LogHealth {
    if (this.closed) return { writable: false, reason: 'log is closed' };
    return this.commitHealth.health();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.indexer.close();
    this.db.close();
    this.lock?.release();
  }

  /** The asynchronous append: one group commit over appendGroups; a throw becomes a rejected promise. */
  commit(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]> {
    try {
      return Promise.resolve(this.appendGroups(groups));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
