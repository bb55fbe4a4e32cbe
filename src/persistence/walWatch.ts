import type { CheckpointResult } from './chunkIndexer.js';
import { inodeAt, type LogLock } from './logLock.js';

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

/** `lock` that also keeps `wal`: the sweep checks both files, and either's problem makes the log unwritable. */
export function guardedLock(lock: LogLock, wal: WalWatch): LogLock {
  return {
    release: () => lock.release(),
    keep: () => {
      lock.keep();
      wal.keep();
    },
    get problem() {
      return lock.problem ?? wal.problem;
    },
  };
}
