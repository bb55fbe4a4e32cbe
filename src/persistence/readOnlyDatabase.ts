import { closeSync, existsSync, linkSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** How long a read waits for a lock another process holds while it writes. */
const BUSY_MS = 2_000;

/** An SQLite file opened read-only; `close` also removes what the open made beside it (see openReadOnly). */
export interface ReadOnlyDatabase {
  readonly db: Database.Database;
  close(): void;
}

/** The file's first 100 bytes (SQLite's header), or fewer when it is shorter. */
function header(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(100);
    return bytes.subarray(0, readSync(fd, bytes, 0, 100, 0));
  } finally {
    closeSync(fd);
  }
}

/** The file starts with SQLite's header (checked before SQLite opens it: it would take any file). */
export function isSqliteFile(path: string): boolean {
  return header(path).subarray(0, 16).toString('latin1') === 'SQLite format 3\0';
}

/**
 * True when the SQLite file is in rollback-journal mode (header bytes 18-19 are 1), as the FastAPI service's file is;
 * a log of this server is in WAL mode (2) from its first open, unless it was restored from a copy.
 */
export function inRollbackMode(path: string): boolean {
  const bytes = header(path);
  return bytes[18] === 1 && bytes[19] === 1;
}

/**
 * A hard link to `path` in a new directory beside it (same file system), and how to remove both; null when the
 * directory or the link cannot be made (the caller then opens `path` itself).
 */
function linkAside(path: string): { readonly link: string; readonly remove: () => void } | null {
  let dir: string | null = null;
  try {
    dir = mkdtempSync(join(dirname(path), `.${basename(path)}.read-`));
    const link = join(dir, basename(path));
    linkSync(path, link);
    const made = dir;
    return { link, remove: () => rmSync(made, { recursive: true, force: true }) };
  } catch {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

/**
 * Open an existing SQLite file read-only: nothing is written to it (no journal mode change, no recovery, no checkpoint
 * at close), and nothing is left beside it. Hint: a file in WAL mode (header bytes 18-19 are 2) needs a `-wal` and a
 * `-shm` to be read, and SQLite makes them beside the path it opens when they are missing, even read-only, and leaves
 * them. So such a file without a `-wal` (all of it is in the file then) is read through a hard link in a directory of
 * its own, removed at close; a file in rollback mode (the FastAPI service's) or with its `-wal` needs nothing made.
 */
export function openReadOnly(path: string): ReadOnlyDatabase {
  const bytes = header(path);
  const wal = bytes[18] === 2 || bytes[19] === 2;
  const aside = wal && !existsSync(`${path}-wal`) ? linkAside(path) : null;
  try {
    const db = new Database(aside?.link ?? path, { readonly: true, fileMustExist: true, timeout: BUSY_MS });
    return {
      db,
      close: () => {
        db.close();
        aside?.remove();
      },
    };
  } catch (error) {
    aside?.remove();
    throw error;
  }
}
