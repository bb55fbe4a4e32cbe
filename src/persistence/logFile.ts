import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { firstAlteredRecord } from './checksumScan.js';
import { LogLockedError, LogOpenError, RESTORE_BACKUP } from './eventLog.js';
import { isCorruption } from './logDamage.js';
import { acquireLogLock, type LogLock } from './logLock.js';
import { extraNamesProblem } from './logPath.js';
import { openFailureReason } from './openError.js';
import { SCHEMA_SQL, WAL_SIZE_LIMIT_BYTES } from './schema.js';
import { keepDamagedWal } from './walFrames.js';

/** How hard a commit is pushed to disk: SQLite synchronous NORMAL (WAL-safe against process crash) or FULL. */
export type Durability = 'normal' | 'full';

/** Errors that mean "no room to write" rather than "not a usable log". */
const NO_SPACE = new Set([
  'SQLITE_FULL',
  'SQLITE_IOERR_SHMSIZE',
  'SQLITE_IOERR_SHMOPEN',
  'SQLITE_IOERR_SHMMAP',
  'SQLITE_IOERR_WRITE',
  'ENOSPC',
]);

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

function configure(db: Database.Database, durability: Durability | undefined, exclusive: boolean): void {
  // Hint: in EXCLUSIVE locking mode WAL keeps its index in heap memory, so a full disk that cannot hold the -shm
  // file can still be opened (this process alone may read it until the next start).
  if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  db.exec(SCHEMA_SQL);
  // Hint: a log made before record checksums gains the column; its older rows hold NULL and are served unchecked.
  const columns = db.pragma('table_info(events)') as { name: string }[];
  if (!columns.some((column) => column.name === 'crc')) db.exec('ALTER TABLE events ADD COLUMN crc INTEGER');
}

/**
 * Open the database file, turning anything unexpected into a LogOpenError with a plain reason. A full disk is not
 * fatal: the log opens degraded (exclusive, inline indexing) and serves reads; `degraded` says why. `walLoss` names
 * acknowledged commits the WAL holds past a damaged frame, which SQLite's recovery is about to drop (see walDamage);
 * with `refuseWalLoss` such a WAL refuses the open instead, before SQLite reads it.
 */
export function openDatabase(
  path: string,
  durability: Durability | undefined,
  remedy = RESTORE_BACKUP,
  refuseWalLoss = false,
  /** What a file too damaged to open names (see openRemedy). */
  corruptRemedy = remedy,
): { db: Database.Database; degraded: string | null; walLoss: string | null } {
  // Hint: read before the first connection, whose recovery drops the damaged frame and every commit after it.
  const walLoss = path === ':memory:' ? null : keepDamagedWal(`${path}-wal`);
  // Hint: those commits were acknowledged; opening would drop them for good (and the next checkpoint overwrite them),
  // so a damaged WAL refuses the start as a damaged page does, unless the operator chooses to go on without them.
  if (walLoss !== null && refuseWalLoss)
    throw new LogOpenError(
      path,
      `the log would lose acknowledged commits: ${walLoss}; the log and its WAL were left as they are: ${remedy}, or start ` +
        'once with INTEGRITY_CHECK=off to serve what is left (the log then gets a new epoch)',
    );
  let db: Database.Database | null = null;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    configure(db, durability, false);
    return { db, degraded: null, walLoss };
  } catch (error) {
    if (db !== null) closeKeepingWal(db, path);
    if (NO_SPACE.has(errorCode(error))) {
      try {
        db = new Database(path);
        configure(db, durability, true);
        return { db, degraded: openFailureReason(error), walLoss };
      } catch {
        db?.close();
      }
    }
    throw new LogOpenError(path, openFailureReason(error, corruptRemedy), { cause: error });
  }
}

/**
 * Close `db`, the log's last connection, leaving its file, `-wal` and `-shm` as they are (for a refused open). Hint:
 * the last connection to close checkpoints the WAL into the file and deletes it (a refused start on a restored backup
 * wrote the old log's WAL it named into the backup, and removed it); better-sqlite3 cannot set
 * SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE. A read-only connection that has read the file holds its shared lock across the
 * close, so that checkpoint cannot take the exclusive lock it needs, and being read-only it checkpoints nothing itself.
 */
export function closeKeepingWal(db: Database.Database, path: string): void {
  let holder: Database.Database | null = null;
  try {
    if (path !== ':memory:') holder = new Database(path, { readonly: true, fileMustExist: true });
    holder?.pragma('schema_version');
  } catch {
    // Hint: a file too damaged to read is closed as before: nothing holds it open.
  }
  try {
    db.close();
  } finally {
    holder?.close();
  }
}

/** Take the log's lock (none for ':memory:'); failures other than "held by another server" are open errors. */
export function lockLog(path: string, notice?: (message: string) => void): LogLock | null {
  if (path === ':memory:') return null;
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new LogOpenError(path, openFailureReason(error), { cause: error });
  }
  let lock: LogLock;
  try {
    lock = acquireLogLock(path, notice);
  } catch (error) {
    if (error instanceof LogLockedError) throw error;
    // Hint: name the file at fault; the log itself may be fine.
    throw new LogOpenError(path, `its lock file ${path}.lock: ${openFailureReason(error)}`, { cause: error });
  }
  // Hint: after the lock, so a second server on the same name still hears that the log is in use (exit 5).
  const names = extraNamesProblem(path);
  if (names === null) return lock;
  lock.release();
  throw new LogOpenError(path, names);
}

/** Problems `PRAGMA integrity_check` lists at most (the first names the page; an operator needs no more). */
const INTEGRITY_PROBLEMS = 3;

/**
 * SQLite's integrity_check of one schema of `db` (`main`, or an attached one): every page, offsets and keys in order,
 * overflow chains, index entries; null when it is whole, else its first problems on one line. Hint: quick_check is
 * no cheaper here (the log's tables have no secondary index but one on session_status), and it misses keys out of
 * order in WITHOUT ROWID tables (a garbled session key in the index hid 48 of a session's 250 events from keyed reads).
 */
export function integrityProblems(db: Database.Database, schema: string): string | null {
  const problems: string[] = [];
  try {
    const check = db.prepare(`PRAGMA ${schema}.integrity_check(${INTEGRITY_PROBLEMS})`).pluck();
    for (const row of check.iterate()) problems.push(String(row));
  } catch (error) {
    // Hint: a page SQLite cannot parse at all can end the check with an error after the rows naming it (`Tree 3 page
    // 601: btreeInitPage() returns error code 11`), which db.pragma() dropped with the rest of the list.
    if (!isCorruption(error)) throw error;
    problems.push(error instanceof Error ? error.message : String(error));
  }
  if (problems.length === 1 && problems[0] === 'ok') return null;
  // Hint: one line: SQLite heads the list with `*** in database main ***` and may join lines itself.
  const lines = problems.flatMap((problem) => problem.split('\n'));
  return lines.filter((line) => !line.startsWith('***')).join('; ');
}

/**
 * `INTEGRITY_CHECK=on`: check every page of the log at open, and throw naming the first problems; `full` (`records`):
 * then every record's checksum. Hint: the open reads only a few pages, so without it a damaged page in the middle of
 * `events` is found by the first read that meets it, and damage that still parses (an offset out of order) is never
 * found: reads stop short at it. Altered content in pages that parse is found by checksums, at every read that serves
 * it; `full` finds it before anyone asks, at the price of formatting every record (1.6–1.8 s more per million here).
 */
export function checkIntegrity(db: Database.Database, remedy = RESTORE_BACKUP, records = false): void {
  const problems = integrityProblems(db, 'main');
  const altered = problems === null && records ? firstAlteredRecord(db) : null;
  if (problems === null && altered === null) return;
  // Hint: under `on` pages that parse serve every other record, and each read still refuses the altered one.
  const [found, instead] =
    problems === null
      ? [`the record at offset ${altered} does not match its checksum`, 'on']
      : [`PRAGMA integrity_check: ${problems}`, 'off'];
  throw new Error(
    `the database file is corrupt (${found}); ${remedy}, or start with INTEGRITY_CHECK=${instead} to serve what can still be read`,
  );
}
