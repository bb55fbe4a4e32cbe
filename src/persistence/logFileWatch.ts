import { closeSync, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import type Database from 'better-sqlite3';

/** What the watch reads of the file's SQLite header: its journal mode and the size it records. */
interface Header {
  /** Bytes 18-19 are 2 (the log is in WAL mode from its first open). */
  readonly wal: boolean;
  /** Page size times the page count the header records (0 when the header is not SQLite's). */
  readonly bytes: number;
}

/** The header's fields read through `fd`, or null when it cannot be read (a file emptied by `cp` before it is written again). */
function readHeader(fd: number | null): Header | null {
  if (fd === null) return null;
  try {
    const bytes = Buffer.alloc(100);
    if (readSync(fd, bytes, 0, 100, 0) < 100) return null;
    if (bytes.toString('latin1', 0, 15) !== 'SQLite format 3') return { wal: false, bytes: 0 };
    const pageSize = bytes.readUInt16BE(16) === 1 ? 65_536 : bytes.readUInt16BE(16);
    return { wal: bytes[18] === 2 && bytes[19] === 2, bytes: pageSize * bytes.readUInt32BE(28) };
  } catch {
    return null;
  }
}

/** The bytes the log holds as `db` sees it (its WAL included): page count times page size. */
export function pageBytes(db: Database.Database): number {
  return Number(db.pragma('page_count', { simple: true })) * Number(db.pragma('page_size', { simple: true }));
}

/** The file's stats; null when nothing is at `path`, undefined when it cannot be told (an I/O error). */
function statOrNull(path: string): Stats | null | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : '';
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : undefined;
  }
}

/** The log's database file as the log opened it (see LogFileWatch): plain data, for the index worker too. */
export interface LogFileBaseline {
  /** Null: nothing to watch (a log in memory, or no file). */
  readonly inode: number | null;
  /** Its header was in WAL mode. */
  readonly wal: boolean;
  /** The lesser of its size and the size its header records. */
  readonly held: number;
  /**
   * A descriptor on the file, open until the log closes (null: no file), that the header is read through. Hint: POSIX
   * record locks belong to the process, and closing any descriptor of a file drops every lock the process holds on it,
   * SQLite's included: when the header was read by an open and a close, another process's `sqlite3` on the live log
   * took itself for the last connection at its close, checkpointed and deleted the WAL, and every commit was refused
   * until a restart (an operator probe, with the README's backup command). This one is never closed early.
   */
  readonly fd: number | null;
}

/** The file at `path` as it is now, to watch from. */
export function logFileBaseline(path: string): LogFileBaseline {
  // Hint: the inode and size are the descriptor's own, so a file replaced between two looks cannot be mixed up.
  const fd = path === ':memory:' ? null : openOrNull(path);
  const stats = fd === null ? null : fstatSync(fd);
  const header = readHeader(fd);
  return {
    inode: stats?.ino ?? null,
    wal: header?.wal === true,
    held: Math.min(stats?.size ?? 0, header?.bytes ?? 0),
    fd,
  };
}

function openOrNull(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch {
    return null;
  }
}

/**
 * Watches the log's database file for being replaced or rewritten under the running server (a backup restored with
 * `mv` or `cp` while it runs). Hint: the server's connections keep the file they opened, so before this every
 * publish was still acked 201 and /readiness said ready, and the restart found the old `-wal` over the other file:
 * `database file is corrupt` (an operator probe lost 1,000 acked events that way). Nothing here writes the file but
 * checkpoints, which copy the log's pages into it: SQLite never shrinks it (no VACUUM, no auto_vacuum; a complete
 * checkpoint cuts it to the size its header records, which only grows), keeps it in WAL mode, and its header never
 * records more pages than the log has. A file that breaks one of these was written by someone else (a `VACUUM INTO`
 * copy is in rollback mode). A copy in WAL mode, as large as the file and no larger than the log, written in place,
 * is not seen. Checked by the sweep, and by the index worker before each checkpoint (a checkpoint writes the log's
 * pages over the copy and would hide it: a probe's came within a second of the `cp`). Once seen, `problem` refuses
 * every commit until a restart.
 */
export class LogFileWatch {
  problem: string | null = null;
  /** The most the file held: the lesser of its size and its header's, at the largest seen. */
  private held: number;
  private fdClosed = false;

  constructor(
    private readonly path: string,
    private readonly notice: (message: string) => void,
    /** What the log holds as its connection sees it (see pageBytes). */
    private readonly logBytes: () => number,
    readonly baseline: LogFileBaseline = logFileBaseline(path),
  ) {
    this.held = baseline.held;
  }

  /** Give the descriptor back, once: only after every connection of this process to the file is closed (see fd). */
  close(): void {
    if (this.baseline.fd === null || this.fdClosed) return;
    // Hint: set first, so no second call can close the number again once the process has reused it.
    this.fdClosed = true;
    closeSync(this.baseline.fd);
  }

  /** Check the file (call it now and then, as the lock's keep). */
  keep(): void {
    if (this.problem === null && this.baseline.inode !== null) this.refuse(this.change());
  }

  /** Check the file now; true while it is still the log's (a checkpoint may copy into it). */
  unchanged(): boolean {
    this.keep();
    return this.problem === null;
  }

  /** The index worker found the file changed before a checkpoint (and did not copy into it). */
  changedBeforeCheckpoint(): void {
    if (this.problem === null) this.refuse(this.change() ?? 'rewritten (seen before a checkpoint of the log)');
  }

  private refuse(change: string | null): void {
    if (change === null) return;
    this.problem =
      `${this.path} was ${change} while the server runs: commits are refused until a restart (stop the server, ` +
      `put the file to serve in place while it is stopped, without the old ${this.path}-wal and -shm, then start it)`;
    this.notice(this.problem);
  }

  /** How the file changed under the log, or null when it is still the one the log opened. */
  private change(): string | null {
    const stats = statOrNull(this.path);
    if (stats === undefined) return null;
    if (stats === null) return 'removed';
    if (stats.ino !== this.baseline.inode) return 'replaced (another file is at its path)';
    if (stats.size < this.held)
      return `rewritten (it shrank from ${this.held} to ${stats.size} bytes, which SQLite never does here)`;
    // Hint: the inode is the baseline's, so the held descriptor reads the file at the path.
    const header = readHeader(this.fdClosed ? null : this.baseline.fd);
    if (header === null) return null;
    if (this.baseline.wal && !header.wal)
      return 'rewritten (its header is no longer in WAL mode: a copy written over it?)';
    // Hint: read after the header, so every checkpoint the header shows is of commits this count includes; a count
    // that cannot be read (this runs inside commits too) decides nothing.
    let log = Number.POSITIVE_INFINITY;
    try {
      log = this.logBytes();
    } catch {}
    if (header.bytes > log)
      return `rewritten (its header records ${header.bytes} bytes, more than the log's ${log}: a copy written over it?)`;
    this.held = Math.max(this.held, Math.min(stats.size, header.bytes));
    return null;
  }
}
