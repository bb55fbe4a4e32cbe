/** A plain reason for an error thrown while opening a database file (no stack, no SQLite jargon where avoidable). */
export function openFailureReason(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'SQLITE_NOTADB':
      return 'not a SQLite database';
    case 'SQLITE_CORRUPT':
      return 'the database file is corrupt';
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
