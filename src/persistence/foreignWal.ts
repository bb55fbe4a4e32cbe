import { inRollbackMode, isSqliteFile } from './readOnlyDatabase.js';
import { walCommits } from './walFrames.js';

/**
 * Why the log at `path` must not be opened with the `-wal` beside it, or null: that WAL holds commits, yet the file is
 * in rollback mode (header bytes 18-19 are 1, as a `VACUUM INTO` copy's are). A log is in WAL mode (2) from its first
 * open, written into the file itself before its first WAL exists, and every checkpoint copies in a page 1 that says so;
 * such a WAL is another file's. Hint: SQLite cannot tell, and reads it over the file: a backup restored beside the old
 * log's WAL served the old log's events as its own, or looked corrupt and, closing, had that WAL checkpointed into it.
 */
export function foreignWalRefusal(path: string): string | null {
  if (path === ':memory:') return null;
  try {
    if (!isSqliteFile(path) || !inRollbackMode(path)) return null;
  } catch {
    return null; // Hint: absent or unreadable: the open decides and names the reason.
  }
  const wal = `${path}-wal`;
  const commits = walCommits(wal);
  if (commits === 0) return null;
  return (
    `it is in rollback mode (as a VACUUM INTO backup is), yet ${wal} beside it holds ${commits} ` +
    `commit${commits === 1 ? '' : 's'}: that WAL is another file's (a log is in WAL mode from its first open), most ` +
    "likely the old log's, left there when a backup was put in place, and SQLite would read its commits over the " +
    `file; the file, ${wal} and ${path}-shm were left untouched. Move ${wal} and ${path}-shm aside and start again`
  );
}
