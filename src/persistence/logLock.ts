import { closeSync, openSync, readSync, statSync, truncateSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { LogLockedError } from './eventLog.js';
import { realLogPath } from './logPath.js';

/** Paths whose lock this process holds. Hint: checked first, because reading a lock file we hold would drop our POSIX lock. */
const heldHere = new Set<string>();

/** A held lock; `release` lets another server open the log. */
export interface LogLock {
  release(): void;
  /**
   * Take the lock again if its file was removed or replaced while held (a deleted lock file would let a second server
   * start on the log); call it now and then. `problem` says why it could not be, null while held.
   */
  keep(): void;
  readonly problem: string | null;
}

/** The file's inode, or null when there is none at `path`. */
export function inodeAt(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

/**
 * Take the one-server-per-log lock: `<path>.lock` is a tiny SQLite database held in EXCLUSIVE locking mode, so the
 * kernel releases it when the process dies (a kill -9 leaves no stale lock) and two starting processes cannot both
 * win (SQLite's byte-range locks are atomic). The holder's pid is written as the file's user_version, readable raw.
 */
export function acquireLogLock(logPath: string, notice: (message: string) => void = () => {}): LogLock {
  // Hint: beside the file the path names after its links, as SQLite's own -wal (see realLogPath).
  const path = `${resolve(realLogPath(logPath))}.lock`;
  if (heldHere.has(path)) throw new LogLockedError(logPath, process.pid);
  let db: Database.Database;
  try {
    db = lockFile(logPath, path);
  } catch (error) {
    if (!isDamaged(error)) throw error;
    // Hint: SQLite takes its lock before it reads the header, so a damaged file is held by no server (that is
    // SQLITE_BUSY): it is emptied in place, keeping its inode, and locked afresh ("harmless; recreated at start").
    truncateSync(path, 0);
    db = lockFile(logPath, path);
  }
  heldHere.add(path);
  return new HeldLock(logPath, path, db, notice);
}

class HeldLock implements LogLock {
  problem: string | null = null;
  private inode: number | null;
  private released = false;

  constructor(
    private readonly logPath: string,
    private readonly path: string,
    private db: Database.Database,
    private readonly notice: (message: string) => void,
  ) {
    this.inode = inodeAt(path);
  }

  keep(): void {
    if (this.released || inodeAt(this.path) === this.inode) return;
    // Hint: the file at the path is another inode (or none): ours still holds a lock no new server can see.
    try {
      const db = lockFile(this.logPath, this.path);
      this.db.close();
      this.db = db;
      this.inode = inodeAt(this.path);
      this.notice(`lock file ${this.path} was removed or replaced; locked again`);
      this.problem = null;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      const problem = `lock file ${this.path} was replaced and cannot be locked again: ${why}`;
      if (problem !== this.problem) this.notice(problem);
      this.problem = problem;
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.path);
    this.db.close();
  }
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/** The lock file holds something other than a lock database (garbage, a truncated or damaged one). */
function isDamaged(error: unknown): boolean {
  return errorCode(error) === 'SQLITE_NOTADB' || errorCode(error).startsWith('SQLITE_CORRUPT');
}

/** Open `path` and hold it exclusively, or throw LogLockedError naming the holder. */
function lockFile(logPath: string, path: string): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = MEMORY');
    // Hint: a write transaction takes the EXCLUSIVE lock, which EXCLUSIVE locking mode keeps after the commit.
    db.pragma(`user_version = ${process.pid}`);
  } catch (error) {
    db.close();
    if (errorCode(error).startsWith('SQLITE_BUSY')) throw new LogLockedError(logPath, holderPid(path));
    throw error;
  }
  return db;
}

/** The pid in the lock file's header (user_version, bytes 60-63), or null when unreadable. */
function holderPid(path: string): number | null {
  try {
    const fd = openSync(path, 'r');
    try {
      const header = Buffer.alloc(64);
      const read = readSync(fd, header, 0, 64, 0);
      const pid = read === 64 ? header.readUInt32BE(60) : 0;
      return pid > 0 ? pid : null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}
