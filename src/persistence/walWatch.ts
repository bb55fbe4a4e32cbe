import type Database from 'better-sqlite3';
import type { CheckpointResult } from './chunkIndexer.js';
import type { LogFileWatch } from './logFileWatch.js';
import { inodeAt, type LogLock } from './logLock.js';
import type { ThreadedAppender } from './threadedAppender.js';

/**
 * One passive checkpoint of the log (no waiting on readers). Hint: commits in flight on the writer thread land first
 * (their acks follow), so no commit is acked after the copy.
 */
export function walCheckpoint(db: Database.Database, threaded: ThreadedAppender | null): CheckpointResult | undefined {
  threaded?.settle();
  return (db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[])[0];
}

/**
 * Watches the log's write-ahead log file (`<path>-wal`). Hint: SQLite keeps writing to its open handle of a deleted
 * WAL, so commits still succeed, but a kill -9 then frees that file and every commit since the last checkpoint is
 * lost (a probe lost all 8 acked events and got a new epoch). Once the file at the path is gone or another, the
 * commits acknowledged so far are copied into the database file (`checkpoint` first lets commits in flight land, so
 * none is acked after the copy), and `problem` says why the log takes no more commits until a restart makes a new WAL.
 */
export class WalWatch {
  problem: string | null = null;
  private inode: number | null;
  private copied = false;

  constructor(
    private readonly path: string,
    private readonly checkpoint: () => CheckpointResult | undefined,
    private readonly notice: (message: string) => void,
  ) {
    this.inode = inodeAt(path);
  }

  /** Check the file (call it now and then, as the lock's keep). */
  keep(): void {
    if (this.problem === null) {
      const now = inodeAt(this.path);
      // Hint: a WAL not made yet at open is watched from its first sight.
      if (this.inode === null || now === this.inode) {
        this.inode = now;
        return;
      }
      this.problem =
        `${this.path} was removed or replaced while the server runs: commits are refused until a restart ` +
        '(stop it with SIGTERM, not kill -9, then start it again)';
      this.notice(this.problem);
    }
    this.copy();
  }

  /** Copy what the deleted WAL holds into the database file; at every keep, as status saves may still land there. */
  private copy(): void {
    let complete = false;
    try {
      const result = this.checkpoint();
      complete = result !== undefined && result.busy === 0 && result.checkpointed === result.log;
    } catch {
      // retried at the next keep
    }
    if (complete && !this.copied)
      this.notice(`the commits acknowledged before ${this.path} was removed are in the database file`);
    this.copied ||= complete;
  }
}

/** The lock as an open keeps it (with its watches), and `held`, the bare lock a reopen takes over. */
export type OpenLock = LogLock & { readonly held: LogLock };

/**
 * `lock` that also keeps the log's database file and its `wal`: the sweep checks all three, and any one's problem makes
 * the log unwritable. Hint: the WAL's commits are not copied into a database file that was replaced or rewritten (it
 * is not the log's any more: the copy would mix the two). The watches are this open's: a reopen (closeKeepingLock)
 * takes `held`, or the old watch would take the new WAL for a replacement of the one it saw and refuse every commit
 * (an epoch rebuild did, until a restart).
 */
export function guardedLock(lock: LogLock, file: LogFileWatch, wal: WalWatch): OpenLock {
  return {
    held: lock,
    release: () => lock.release(),
    keep: () => {
      lock.keep();
      file.keep();
      if (file.problem === null) wal.keep();
    },
    get problem() {
      return lock.problem ?? file.problem ?? wal.problem;
    },
  };
}
