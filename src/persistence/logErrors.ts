/** The log's errors: failed writes, refused retention, a lock held elsewhere, a path that cannot hold a log, damage. */

/**
 * Thrown when a write failed. Nothing was committed, unless `uncertain`: then some events may be in the log (a stream
 * stored them but this node has not applied them, or did not answer in time), and producers must be told so. A
 * `refusal` was decided before anything was sent, and its message (why, and what to do) is for the producer too.
 */
export class LogWriteError extends Error {
  override readonly name = 'LogWriteError';
  readonly uncertain: boolean;
  readonly refusal: boolean;
  /** Why the store failed, in words a client may see (`the disk is full`), when known. */
  readonly reason: string | null;
  constructor(
    message: string,
    options?: ErrorOptions & { readonly uncertain?: boolean; readonly refusal?: boolean; readonly reason?: string },
  ) {
    super(message, options);
    this.uncertain = options?.uncertain ?? false;
    this.refusal = options?.refusal ?? false;
    this.reason = options?.reason ?? null;
  }
}

/** Retention the log's store refuses for good (a stream that denies purges); the message names why. */
export class RetentionRefusedError extends Error {
  override readonly name = 'RetentionRefusedError';
}

/** Thrown at open when another live process holds the log's lock file. */
export class LogLockedError extends Error {
  override readonly name = 'LogLockedError';
  constructor(
    readonly path: string,
    readonly holderPid: number | null,
  ) {
    super(`${path} is in use by another server (pid ${holderPid ?? 'unknown'}); one process per DATABASE_PATH`);
  }
}

/** Thrown at open when the path cannot hold a log (a directory, not SQLite, not writable); names the reason. */
export class LogOpenError extends Error {
  override readonly name = 'LogOpenError';
  constructor(
    readonly path: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/**
 * Thrown by a read that met a damaged page of the log (SQLITE_CORRUPT): names the file and the offset a read of
 * events started from (everything before it was served), or what else met it, and the remedy (restoring a backup, or
 * for a cluster replica deleting it).
 */
export class LogCorruptError extends Error {
  override readonly name = 'LogCorruptError';
  readonly remedy: string;
  constructor(
    readonly path: string,
    readonly fromOffset: number | null,
    /** `found`: what the read found instead of a damaged page (a record altered since it was written). */
    options?: ErrorOptions & { readonly what?: string; readonly remedy?: string; readonly found?: string },
  ) {
    const what = fromOffset === null ? (options?.what ?? 'a read') : `a read from offset ${fromOffset}`;
    const remedy = options?.remedy ?? RESTORE_BACKUP;
    const found = options?.found ?? 'met a damaged page';
    super(`the log ${path} is corrupt: ${what} ${found}; stop the server and ${remedy}`, options);
    this.remedy = remedy;
  }

  /** The WebSocket close reason (at most 123 bytes): the offset to resume from once the log is repaired. */
  get closeReason(): string {
    const from = this.fromOffset === null ? '' : ` from offset ${this.fromOffset}`;
    return `log corrupt: reading${from} failed; ${this.remedy}`;
  }
}

/** What repairs a damaged embedded log. */
export const RESTORE_BACKUP = 'restore a backup';

/**
 * What repairs a damaged cluster replica: it is rebuilt from the stream when the node starts without it. Hint: short
 * enough for a close reason (123 bytes) after `log corrupt: reading from offset N failed; `.
 */
export const DELETE_REPLICA = 'delete the replica (and its -wal, -shm) to rebuild it';
