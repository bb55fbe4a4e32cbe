import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Symbolic links followed at most (Linux's own limit, ELOOP). */
const MAX_LINKS = 40;

/** `path`'s directory with its links resolved, or as given when it does not exist yet (the open makes it). */
function realDirectory(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** The file `path` names after every symbolic link, itself too when it is a link to a file not made yet. */
function followLinks(path: string): string {
  let at = resolve(path);
  for (let hop = 0; hop < MAX_LINKS; hop++) {
    try {
      return realpathSync(at);
    } catch {
      // Hint: absent, or a link to something absent: SQLite creates the link's target, so follow it by hand.
    }
    let target: string;
    try {
      target = readlinkSync(at);
    } catch {
      return join(realDirectory(dirname(at)), basename(at));
    }
    at = resolve(dirname(at), target);
  }
  return at;
}

/**
 * The path the log's files are named after: `path` with its symbolic links followed, or `path` as given when none is
 * involved (so messages keep the operator's spelling). Hint: SQLite follows them itself, so the `-wal` and `-shm` of
 * a link sit beside its target; a lock file, index or watch named after the link instead let a second server on a
 * link to a running server's log start, serve stale reads and fail every publish (UNIQUE constraint failed).
 */
export function realLogPath(path: string): string {
  if (path === ':memory:' || path.trim() === '') return path;
  const real = followLinks(path);
  return real === resolve(path) ? path : real;
}

/**
 * Why the log file at `path` must not be opened: it has more than one name (hard links), or null. Hint: SQLite
 * names the `-wal` after the name it opens, so a server on another name would use a WAL of its own over the same
 * pages, and a lock file of its own: two servers would write the log, and each one's commits corrupt the other's.
 * A lock beside the file cannot see the other names (they may be in other directories), so the start is refused.
 */
export function extraNamesProblem(path: string): string | null {
  if (path === ':memory:') return null;
  let links: number;
  try {
    const stats = lstatSync(path);
    // Hint: a directory has two names or more by itself; the open names what is wrong with one.
    links = stats.isFile() ? stats.nlink : 1;
  } catch {
    return null;
  }
  if (links <= 1) return null;
  return (
    `the file has ${links} names (hard links): a server started on another of them would write the same log ` +
    `through a WAL and lock of its own; remove the other names (find / -samefile ${path} lists them), or copy the file`
  );
}
