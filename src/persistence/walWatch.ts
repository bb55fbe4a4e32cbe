import { statSync } from 'node:fs';
import type { CheckpointResult } from './chunkIndexer.js';
import type { LogLock } from './logLock.js';

/** The file's inode, or null when there is none at `path`. */
function inodeAt(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

/**
 * Watches the log's write-ahead log file (`<path>-wal`). Hint: SQLite keeps writing to its open handle of a deleted
 * WAL, so commits still succeed, but a kill -9 then frees that file and every commit since the last checkpoint is
 * lost (a probe lost all 8 acked events and got a new epoch). Once the file at the path is gone or another, the
 * commits acknowledged so far are copied into the database file (a checkpoint, retried until complete), and `problem`
 * says why the log takes no more commits until a restart recreates the WAL.
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
    if (!this.copied) this.copy();
  }

  private copy(): void {
    try {
      const result = this.checkpoint();
      this.copied = result !== undefined && result.busy === 0 && result.checkpointed === result.log;
    } catch {
      // retried at the next keep
    }
    if (this.copied) this.notice(`the commits acknowledged before ${this.path} was removed are in the database file`);
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
