import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LogLockedError, LogOpenError } from './eventLog.js';
import { acquireLogLock, type LogLock } from './logLock.js';
import { openFailureReason } from './openError.js';
import { SCHEMA_SQL } from './schema.js';

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
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  db.exec(SCHEMA_SQL);
}

/**
 * Open the database file, turning anything unexpected into a LogOpenError with a plain reason. A full disk is not
 * fatal: the log opens degraded (exclusive, inline indexing) and serves reads; `degraded` says why.
 */
export function openDatabase(
  path: string,
  durability: Durability | undefined,
): { db: Database.Database; degraded: string | null } {
  let db: Database.Database | null = null;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    configure(db, durability, false);
    return { db, degraded: null };
  } catch (error) {
    db?.close();
    if (NO_SPACE.has(errorCode(error))) {
      try {
        db = new Database(path);
        configure(db, durability, true);
        return { db, degraded: openFailureReason(error) };
      } catch {
        db?.close();
      }
    }
    throw new LogOpenError(path, openFailureReason(error), { cause: error });
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
  try {
    return acquireLogLock(path, notice);
  } catch (error) {
    if (error instanceof LogLockedError) throw error;
    // Hint: name the file at fault; the log itself may be fine.
    throw new LogOpenError(path, `its lock file ${path}.lock: ${openFailureReason(error)}`, { cause: error });
  }
}
