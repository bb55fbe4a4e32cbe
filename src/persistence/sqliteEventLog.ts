import type Database from 'better-sqlite3';
import type { EventFilter } from '../protocol/eventFilter.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { EventQuery } from '../protocol/eventQuery.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { ChunkIndexer } from './chunkIndexer.js';
import { CommitHealth } from './commitHealth.js';
import { INDEX_INVALID, openDerivedIndex, type DerivedIndex } from './derivedIndex.js';
import { LogOpenError, LogWriteError, type EventLog, type GroupOutcome, type LogHealth, type LogStats, type SessionStatusRow } from './eventLog.js';
import type { EventReader } from './eventReader.js';
import type { IndexCoverage } from './indexCoverage.js';
import { LogAppender } from './logAppender.js';
import { lockLog, openDatabase, type Durability } from './logFile.js';
import type { LogLock } from './logLock.js';
import { openMeta, type LogHead, type LogMeta } from './logMeta.js';
import { openFailureReason } from './openError.js';
import { deleteBelow } from './retention.js';
import { RowWriter } from './rowWriter.js';
import { SESSIONS_UPTO, SessionStatusStore } from './sessionStatusStore.js';
import { valueStatement } from './sqlRows.js';
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

const HOUR_MS = 3_600_000;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The event log over better-sqlite3: a façade over the log file and its tables (logFile, logMeta), the group
 * commit (logAppender: producer-id resolution, then the row writer), the derived index and its reader
 * (derivedIndex, eventReader), type stats, retention and the session status store.
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
  private readonly notice: (message: string) => void;
  private readonly indexChunk: number;
  private readonly meta: LogMeta;
  /** Next offset, oldest retained offset and newest commit time; shared with the appender and the reader. */
  private readonly head: LogHead;
  private readonly appender: LogAppender;
  private readonly typeStats: TypeStats;
  private readonly sessionStatus: SessionStatusStore;
  private readonly commitHealth: CommitHealth;
  /** Which offsets are indexed and which are served from the in-memory tail. */
  private readonly coverage: IndexCoverage;
  private readonly reader: EventReader;
  private readonly indexer: ChunkIndexer;
  private readonly selectOne: Database.Statement<[], number>;
  private closed = false;

  constructor(options: SqliteEventLogOptions) {
    this.now = options.now ?? Date.now;
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
    try {
      ({ meta: this.meta, epoch: this.epoch, head: this.head } = openMeta(this.db, options.newEpoch));
      this.sessionStatus = new SessionStatusStore(this.db, Number(this.meta.get(SESSIONS_UPTO) ?? 0));
      this.typeStats = new TypeStats(this.db);
      this.selectOne = valueStatement(this.db, 'SELECT 1');
    } catch (error) {
      this.fail(options.path, error);
    }
    this.appender = new LogAppender(this.db, this.head, new RowWriter(this.db, this.typeStats, this.meta), {
      now: this.now,
      newId: options.newId,
      getById: (id) => this.reader.getById(id),
      appended: (event) => this.coverage.tail.add(event),
      rolledBack: (offset) => {
        this.coverage.tail.forgetFrom(offset);
        this.typeStats.reload();
      },
    });
    this.commitHealth = new CommitHealth(this.now, () => this.probeSpace());
    let index: DerivedIndex;
    try {
      this.probeWritable();
      this.catchUpTypeStats();
      index = this.openIndex(options, degraded);
    } catch (error) {
      // Hint: only a log that cannot even be read gets here (derived state has its own fallbacks); never a raw stack.
      this.fail(options.path, error);
    }
    ({ coverage: this.coverage, reader: this.reader, indexer: this.indexer } = index);
    // Hint: the log went backwards; when the new epoch cannot be saved (disk full) the next open decides again.
    if (index.epoch !== this.epoch && this.tryWrite(() => this.meta.set('epoch', index.epoch))) this.epoch = index.epoch;
  }

  /** Close what open got as far as opening, and throw the open error. */
  private fail(path: string, error: unknown): never {
    this.closed = true;
    this.db.close();
    this.lock?.release();
    throw new LogOpenError(path, openFailureReason(error), { cause: error });
  }

  /** Bring the type counters up to the head (recomputing them when their high-water cannot be trusted). */
  private catchUpTypeStats(): void {
    const upTo = this.meta.get(TYPE_STATS_UPTO);
    const head = this.head.next - 1;
    const notice = this.typeStats.catchUp(upTo === undefined ? null : Number(upTo), head, (key, value) => this.meta.set(key, value));
    if (notice !== null) this.notice(notice);
  }

  /** Open the derived index and its reader (clearing an earlier run's unreadable mark). */
  private openIndex(options: SqliteEventLogOptions, degraded: string | null): DerivedIndex {
    const markedInvalid = this.meta.get(INDEX_INVALID) !== undefined;
    const index = openDerivedIndex({
      db: this.db,
      path: options.path,
      epoch: this.epoch,
      head: this.head,
      indexChunk: this.indexChunk,
      markedInvalid,
      degraded,
      indexer: options.indexer,
      now: this.now,
      notice: this.notice,
      newEpoch: options.newEpoch,
      isGeneratedId: options.isGeneratedId ?? (() => true),
      failIndexBuild: options.failIndexBuild ?? (() => false),
      isOpen: () => !this.closed,
      onIndexUnreadable: (error) => {
        this.tryWrite(() => this.meta.set(INDEX_INVALID, '1'));
        this.notice(`index unreadable (${message(error)}); keyed reads scan the log until a restart rebuilds it`);
      },
    });
    if (markedInvalid) this.tryWrite(() => this.meta.delete(INDEX_INVALID));
    return index;
  }

  /**
   * Commit (then remove) a value the size of a typical group commit. Hint: a one-row write can fit in space a
   * nearly full disk still has while real commits fail, so the probe writes 64 KiB.
   */
  private probeSpace(): void {
    this.meta.set('space_probe', 'x'.repeat(65_536));
    this.meta.delete('space_probe');
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
    return this.head.next - 1;
  }

  firstOffset(): number {
    return this.head.first;
  }

  appendGroups(groups: readonly (readonly EventInput[])[]): GroupOutcome[] {
    let outcomes: GroupOutcome[];
    try {
      outcomes = this.appender.commit(groups);
    } catch (error) {
      this.commitHealth.failed(openFailureReason(error));
      throw new LogWriteError('append failed; nothing was committed', { cause: error });
    }
    this.commitHealth.succeeded();
    this.coverage.seal(this.indexChunk);
    this.coverage.retry(false);
    return outcomes;
  }

  indexTail(): void {
    // Hint: seal whatever the open segment holds, so tests and benchmarks can include the full index cost.
    this.coverage.seal(1);
    this.coverage.retry(true);
  }

  /** Offsets still served from memory (for tests and benchmarks). */
  unindexedCount(): number {
    return this.coverage.tail.size;
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
    const head = this.head.next - 1;
    const first = this.head.first;
    // Retained offsets are always one contiguous range (deletes remove a time prefix), so counts are arithmetic.
    const total = Math.max(0, head - first + 1);
    const lastHour = total === 0 ? 0 : Math.max(0, head - Math.max(first, this.reader.offsetAtOrAfter(now - HOUR_MS)) + 1);
    const by_type = this.typeStats.list();
    return { total_events: total, events_last_hour: lastHour, by_type, head_offset: head, first_offset: first, epoch: this.epoch };
  }

  deleteBefore(before: number | undefined): number {
    const boundary = before === undefined ? this.head.next : this.reader.offsetAtOrAfter(before);
    if (boundary <= this.head.first) return 0;
    const deleted = deleteBelow(this.db, this.meta, boundary, this.head.next);
    this.head.first = boundary;
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
      return this.selectOne.get() !== undefined;
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
}
