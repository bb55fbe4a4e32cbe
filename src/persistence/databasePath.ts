import { closeSync, openSync, readSync, type Stats, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return null;
    throw error;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    if (error.code === 'EACCES' || error.code === 'EPERM') return 'permission denied';
    if (error.code === 'EROFS') return 'read-only file system';
    return error.code;
  }
  return String(error);
}

/** An existing file must be empty or start with the SQLite header; anything else would be overwritten or misread. */
function fileProblem(path: string, stats: Stats): string | null {
  if (stats.isDirectory()) return 'is a directory, not a file';
  if (!stats.isFile()) return 'is not a regular file';
  let fd: number;
  try {
    // Hint: open for writing rather than access(W_OK): root passes access checks that the file system still refuses.
    fd = openSync(path, 'r+');
  } catch (error) {
    return `is not writable (${reasonOf(error)})`;
  }
  try {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const read = readSync(fd, header, 0, header.length, 0);
    if (read === 0) return null;
    return header.equals(SQLITE_HEADER)
      ? null
      : 'is not an SQLite database (its first 16 bytes are not "SQLite format 3")';
  } finally {
    closeSync(fd);
  }
}

/** The nearest existing ancestor must be a directory we can create files in, or the log cannot be created. */
function parentProblem(path: string): string | null {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    const stats = statOrNull(dir);
    if (stats === null) {
      if (dir === dirname(dir)) return 'cannot be created: no existing parent directory';
      continue;
    }
    if (!stats.isDirectory()) return `cannot be created: ${dir} is not a directory`;
    // Hint: a real probe file, because root passes access(W_OK) on /proc and similar places that refuse files.
    const probe = join(dir, `.${basename(path)}.probe-${process.pid}`);
    try {
      closeSync(openSync(probe, 'wx'));
      unlinkSync(probe);
    } catch (error) {
      return `cannot be created in ${dir} (${reasonOf(error)})`;
    }
    return null;
  }
}

/**
 * Why `path` cannot hold the event log, or null when it can: an absent file under a creatable, writable directory,
 * an empty file, or an SQLite database. Checked before the log opens so the reason is one plain line.
 */
export function checkDatabasePath(path: string): string | null {
  if (path === ':memory:') return null;
  if (path.trim() === '') return 'is empty';
  try {
    const stats = statOrNull(path);
    if (stats !== null) return fileProblem(path, stats);
    return parentProblem(path);
  } catch (error) {
    return `cannot be checked (${reasonOf(error)})`;
  }
}
