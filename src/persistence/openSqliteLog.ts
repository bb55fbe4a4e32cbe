import type Database from 'better-sqlite3';
import type { StoredEvent } from '../protocol/eventRecord.js';
import { type ChunkIndexer, checkpointCadence, LOG_FALLBACK_AUTOCHECKPOINT_PAGES } from './chunkIndexer.js';
import { CommitHealth } from './commitHealth.js';
import { type DerivedIndex, INDEX_INVALID, openDerivedIndex } from './derivedIndex.js';
import { LogOpenError, RESTORE_BACKUP } from './eventLog.js';
import type { EventReader } from './eventReader.js';
import type { IndexCoverage } from './indexCoverage.js';
import { LogAppender } from './logAppender.js';
import { LogDamage } from './logDamage.js';
import { checkIntegrity, closeKeepingWal, lockLog, openDatabase } from './logFile.js';
import { refuseForeignFile } from './logFileContent.js';
import { LogFileWatch, pageBytes } from './logFileWatch.js';
import { type LogHead, type LogMeta, openMeta } from './logMeta.js';
import { realLogPath } from './logPath.js';
import { openFailureReason, openRemedy } from './openError.js';
import { RowWriter } from './rowWriter.js';
import { SessionStatusStore } from './sessionStatusStore.js';
import {
  DEFAULT_INDEX_CHUNK,
  HYBRID_INLINE_BELOW,
  HYBRID_INLINE_BELOW_CHARS,
  type SqliteEventLogOptions,
} from './sqliteEventLogOptions.js';
import { readTransaction } from './sqlRows.js';
import { ThreadedAppender } from './threadedAppender.js';
import { TypeStats } from './typeStats.js';
import { guardedLock, type OpenLock, WalWatch, walCheckpoint } from './walWatch.js';
import { WriterThread } from './writerThread.js';

/** The parts an open SQLite log is made of; SqliteEventLog is a façade over them. */
export interface SqliteLogParts {
  readonly db: Database.Database;
  readonly lock: OpenLock | null;
  readonly epoch: string;
  readonly meta: LogMeta;
  /** Next offset, oldest retained offset and newest commit time; shared by the appender, reader and retention. */
  readonly head: LogHead;
  readonly appender: LogAppender;
  /** The writer-thread appender, when commits go to a writer thread (then `appender` is unused). */
  readonly threaded: ThreadedAppender | null;
  readonly typeStats: TypeStats;
  readonly sessionStatus: SessionStatusStore;
  readonly commitHealth: CommitHealth;
  /** Which offsets are indexed and which are served from the in-memory tail. */
  readonly coverage: IndexCoverage;
  readonly reader: EventReader;
  readonly indexer: ChunkIndexer;
  /** The watch on the log's file: closed after every connection (see LogFileBaseline.fd). */
  readonly file: LogFileWatch;
}

/** The tables that hold the log itself (not derived state). */
type Tables = Pick<SqliteLogParts, 'epoch' | 'meta' | 'head' | 'typeStats' | 'sessionStatus'>;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Run a write of derived bookkeeping; false when it failed (it is repaired at the next open). */
function tryWrite(write: () => void): boolean {
  try {
    write();
    return true;
  } catch {
    return false;
  }
}

/**
 * Open the log at `options.path`: a read-only look at what the file holds (a file that is not a log is refused),
 * lock, file, tables, derived state. `isOpen` turns false when the log closes (late index reports are ignored then).
 * Anything but a lock held elsewhere fails as a LogOpenError naming the reason, everything opened so far closed again.
 */
export function openSqliteLog(given: SqliteEventLogOptions, isOpen: () => boolean): SqliteLogParts {
  // Hint: files beside the log (lock, index, -wal) are named after the file itself, as SQLite names its own; the
  // foreign-file check comes first, before the lock file, WAL or any table: a file that is not a log is left as it was.
  const options = { ...given, path: realLogPath(given.path) };
  refuseForeignFile(options.path);
  const notice = options.onNotice ?? (() => {});
  const lock = options.lock !== undefined ? options.lock : lockLog(options.path, notice);
  // Hint: the open's own messages name a stale -wal first (see openRemedy); a replica's remedy says what to delete.
  const remedy = options.remedy ?? openRemedy(options.path, RESTORE_BACKUP);
  let opened: ReturnType<typeof openDatabase>;
  try {
    opened = openDatabase(options.path, options.durability, options.remedy, options.refuseWalLoss, remedy);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const { db, degraded, walLoss } = opened;
  const file = new LogFileWatch(options.path, notice, () => pageBytes(db));
  const shmless = `the log was opened without shared memory (${degraded}); other processes cannot read it until the next start`;
  if (degraded !== null) notice(shmless);
  try {
    if (options.busyTimeoutMs !== undefined)
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs))}`);
    if (options.integrityCheck !== undefined && options.integrityCheck !== 'off')
      checkIntegrity(db, remedy, options.integrityCheck === 'full');
    const tables = openTables(db, options.newEpoch);
    const commitHealth = new CommitHealth(() => tables.meta.probeSpace(), options.path, options.monotonic);
    probeWritable(tables.meta, commitHealth, notice);
    const damage = new LogDamage(options.path, notice, options.remedy);
    const caughtUp = tables.typeStats.catchUp(tables.meta, tables.head.next - 1, damage);
    if (caughtUp !== null) notice(caughtUp);
    const index = openIndex(db, tables, options, { degraded, walLoss, file, damage }, isOpen);
    let epoch = tables.epoch;
    // Hint: the log went backwards; when the new epoch cannot be saved (disk full) the next open decides again.
    if (index.epoch !== epoch && tryWrite(() => tables.meta.set('epoch', index.epoch))) epoch = index.epoch;
    // Hint: when the index worker checkpoints the log, this connection's checkpoint (inline commits) is the fallback.
    if (index.indexer.checkpointsLog) db.pragma(`wal_autocheckpoint = ${LOG_FALLBACK_AUTOCHECKPOINT_PAGES}`);
    const wrote = checkpointCadence(index.indexer, () => file.unchanged());
    const appended = (event: StoredEvent, producer: boolean) => {
      index.coverage.tail.add(event, producer);
      wrote(event);
    };
    const appender = new LogAppender(db, tables.head, new RowWriter(db, tables.typeStats, tables.meta), {
      now: options.now ?? Date.now,
      newId: options.newId,
      getById: (id) => index.reader.getById(id),
      appended,
      rolledBack: (offset) => {
        index.coverage.tail.forgetFrom(offset);
        tables.typeStats.reload();
      },
    });
    const threaded = openThreaded(db, options, degraded, tables, { ...index, appended, file }, appender);
    const wal = new WalWatch(`${options.path}-wal`, () => walCheckpoint(db, threaded), notice);
    const guarded = lock === null ? null : guardedLock(lock, file, wal);
    return { ...tables, ...index, db, lock: guarded, epoch, appender, threaded, commitHealth, file };
  } catch (error) {
    // Hint: only a log that cannot even be read gets here (derived state has its own fallbacks); never a raw stack.
    closeKeepingWal(db, options.path);
    file.close();
    lock?.release();
    const reason = `${openFailureReason(error, remedy)}${walLoss === null ? '' : `; and ${walLoss}`}`;
    throw new LogOpenError(options.path, reason, { cause: error });
  }
}

/**
 * The writer-thread appender when the options ask for one (null: every commit is written inline). Session status
 * saves go through the same thread while it is busy, so the I/O thread never waits on its write lock.
 */
function openThreaded(
  db: Database.Database,
  options: SqliteEventLogOptions,
  degraded: string | null,
  tables: Tables,
  index: DerivedIndex & {
    readonly appended: (event: StoredEvent, producer: boolean) => void;
    readonly file: LogFileWatch;
  },
  appender: LogAppender,
): ThreadedAppender | null {
  if (options.writer === undefined || options.writer === 'inline' || options.path === ':memory:' || degraded !== null)
    return null;
  const thread = new WriterThread(
    { path: options.path, inode: index.file.baseline.inode },
    options.durability,
    index.indexer.checkpointsLog ? LOG_FALLBACK_AUTOCHECKPOINT_PAGES : null,
    options.monotonic,
  );
  const notice = options.onNotice ?? (() => {});
  tables.sessionStatus.writeThrough({
    busy: () => thread.dead === null && thread.inFlight > 0,
    save: (statuses, upTo, snapshots) =>
      thread.send({ statuses, upTo, snapshots }, (error) => {
        if (error === null) return;
        tables.sessionStatus.lost();
        notice(`session statuses were not saved (${message(error)}); the next start folds them from the log`);
      }),
  });
  return new ThreadedAppender(
    tables.head,
    thread,
    {
      now: options.now ?? Date.now,
      newId: options.newId,
      getById: (id) => index.reader.getById(id),
      appended: index.appended,
      counted: (perType, ts) => tables.typeStats.count(perType, ts),
      readTogether: readTransaction(db),
    },
    options.writer === 'hybrid'
      ? { inline: appender, below: HYBRID_INLINE_BELOW, belowChars: HYBRID_INLINE_BELOW_CHARS }
      : null,
  );
}

/** Meta (with the epoch and head), the type counters and the session status store. */
function openTables(db: Database.Database, newEpoch: () => string): Tables {
  const { meta, epoch, head } = openMeta(db, newEpoch);
  return { meta, epoch, head, typeStats: new TypeStats(db), sessionStatus: new SessionStatusStore(db, meta) };
}

/** A write at open: a log that cannot be written still serves reads, and reports itself not writable. */
function probeWritable(meta: LogMeta, commitHealth: CommitHealth, notice: (message: string) => void): void {
  try {
    meta.probeSpace();
  } catch (error) {
    const reason = commitHealth.unwritableAtOpen(error);
    notice(`the log cannot be written (${reason}); serving reads only until writes succeed`);
  }
}

/** What the open found of the log's file: why it is degraded, commits its WAL lost, the watch on it, its damage. */
interface OpenedFile {
  readonly degraded: string | null;
  readonly walLoss: string | null;
  readonly file: LogFileWatch;
  readonly damage: LogDamage;
}

/** Open the derived index and its reader (clearing an earlier run's unreadable mark). */
function openIndex(
  db: Database.Database,
  tables: Tables,
  options: SqliteEventLogOptions,
  { degraded, walLoss, file, damage }: OpenedFile,
  isOpen: () => boolean,
): DerivedIndex {
  const notice = options.onNotice ?? (() => {});
  const markedInvalid = tables.meta.get(INDEX_INVALID) !== undefined;
  const index = openDerivedIndex({
    db,
    path: options.path,
    epoch: tables.epoch,
    head: tables.head,
    indexChunk: options.indexChunk ?? DEFAULT_INDEX_CHUNK,
    markedInvalid,
    checked: options.integrityCheck !== undefined && options.integrityCheck !== 'off',
    damage,
    walLoss,
    degraded,
    indexer: options.indexer,
    monotonic: options.monotonic ?? (() => performance.now()),
    notice,
    newEpoch: options.newEpoch,
    isGeneratedId: options.isGeneratedId ?? (() => true),
    failIndexBuild: options.failIndexBuild ?? (() => false),
    isOpen,
    logFile: { baseline: file.baseline, changed: () => file.changedBeforeCheckpoint() },
    ...(options.onCheckpointed === undefined ? {} : { onCheckpointed: options.onCheckpointed }),
    onIndexUnreadable: (error) => {
      tryWrite(() => tables.meta.set(INDEX_INVALID, '1'));
      notice(`index unreadable (${message(error)}); keyed reads scan the log until a restart rebuilds it`);
    },
  });
  if (markedInvalid) tryWrite(() => tables.meta.delete(INDEX_INVALID));
  return index;
}
