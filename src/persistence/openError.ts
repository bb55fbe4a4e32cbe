import { rmSync, statSync, writeFileSync } from 'node:fs';

/**
 * A plain reason for an error thrown while opening a database file (no stack, no SQLite jargon where avoidable). A log
 * too damaged to open also gets its `remedy` when given (a truncated replica was refused without its way out).
 */
export function openFailureReason(error: unknown, remedy?: string): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'SQLITE_NOTADB':
      return 'not a SQLite database';
    case 'SQLITE_CORRUPT':
      return `the database file is corrupt${remedy === undefined ? '' : `; ${remedy}`}`;
    case 'SQLITE_CANTOPEN':
      return 'cannot open the file (missing directory, a directory, or no permission)';
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DIRECTORY':
      return 'the file or its directory is read-only';
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'SQLITE_FULL':
    case 'SQLITE_IOERR_SHMSIZE':
    case 'ENOSPC':
      return 'the disk is full';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a parent of the path is not a directory';
    case 'EROFS':
      return 'read-only file system';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/**
 * openFailureReason for a failed write to the log at `path`, naming a read-only file system. Why: a disk that fails
 * under ext4 (`errors=remount-ro`) makes SQLite report only "disk I/O error", and `access` still says writable there
 * (the mount stays rw, marked emergency_ro); creating a file beside the log tells.
 */
export function writeFailureReason(error: unknown, path: string): string {
  const reason = openFailureReason(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (!code.startsWith('SQLITE_IOERR')) return reason;
  const probe = `${path}.write-probe`;
  try {
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
    return reason;
  } catch (failure) {
    const readOnly = typeof failure === 'object' && failure !== null && 'code' in failure && failure.code === 'EROFS';
    return readOnly
      ? `${reason}: the file system holding ${path} is read-only (remounted after a disk error?)`
      : reason;
  }
}

/** A WAL file's header; a longer one holds frames (commits) that SQLite reads over the database file. */
const WAL_HEADER_BYTES = 32;

/**
 * What an open that finds the log at `path` corrupt tells the operator to do: `remedy`, after the `-wal` beside the
 * file when one holds commits. Hint: SQLite cannot tell a WAL of another file, so a backup restored with the old
 * `-wal` left beside it is read with the old log's commits over it and looks corrupt, though the backup is fine (an
 * operator probe was told to restore a backup, which it had just done).
 */
export function openRemedy(path: string, remedy: string): string {
  const wal = `${path}-wal`;
  let size = 0;
  try {
    size = path === ':memory:' ? 0 : statSync(wal).size;
  } catch {
    return remedy;
  }
  if (size <= WAL_HEADER_BYTES) return remedy;
  return (
    `${wal} lies beside it: if ${path} was put in place from a backup, that WAL is the old log's, read over the ` +
    `backup, so move ${wal} and ${path}-shm aside and start again; else ${remedy}`
  );
}
