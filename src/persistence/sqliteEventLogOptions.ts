import type { CheckpointResult } from './chunkIndexer.js';
import type { Durability } from './logFile.js';
import type { LogLock } from './logLock.js';

/** What the open checks (INTEGRITY_CHECK): nothing, every page, or every page and every record's checksum. */
export const INTEGRITY_CHECKS = ['on', 'off', 'full'] as const;
export type IntegrityCheck = (typeof INTEGRITY_CHECKS)[number];

/** Unindexed rows that seal a tail segment and trigger a bulk index build, unless `indexChunk` says otherwise. */
export const DEFAULT_INDEX_CHUNK = 20_000;

/**
 * With `writer: 'hybrid'`, a group commit of fewer events than this (and under HYBRID_INLINE_BELOW_CHARS of payload)
 * is written inline on the I/O thread's connection; larger ones go to the writer thread. Hint: measured per commit on
 * this machine, the thread's round trip (postMessage of the rows, a wake-up on each side, the reply) costs 20-60 µs
 * more CPU in all than an inline write of 1-32 events, and saves I/O-thread time that grows with the commit. 64 lies
 * between REST's commits (at most one event per connection) and WebSocket group commits (hundreds to thousands of
 * events), where freeing the I/O thread is the gain.
 */
export const HYBRID_INLINE_BELOW = 64;
/** Payload characters (JSON) from which a commit goes to the writer thread however few its events. */
export const HYBRID_INLINE_BELOW_CHARS = 256 * 1024;

/** Options for opening the SQLite log; clock and ids are injected. */
export interface SqliteEventLogOptions {
  readonly path: string;
  readonly durability?: Durability;
  /** Wall-clock epoch ms: the records' timestamps only (Date.now by default). */
  readonly now?: () => number;
  /**
   * Monotonic ms for what measures elapsed time: the writer thread's settle bound, the write probe's interval, index
   * build retries (performance.now by default), so a step of the system clock moves none of them.
   */
  readonly monotonic?: () => number;
  /**
   * The id of an event sent without one, given the offset it gets. Ids that name their offset (`offsetIds`, the
   * server's) are found by reading that offset; any other generator's ids go to the id index.
   */
  readonly newId: (offset: number) => string;
  readonly newEpoch: () => string;
  /** Unindexed rows that seal a tail segment and trigger a bulk index build (default 20,000). */
  readonly indexChunk?: number;
  /** Where index chunks are built: a worker thread (default, uses the second core) or inline (deterministic). */
  readonly indexer?: 'worker' | 'inline';
  /** The index worker checkpointed the log's WAL (null: that checkpoint failed). For tests and tools. */
  readonly onCheckpointed?: (result: CheckpointResult | null) => void;
  /**
   * Who writes commits: a writer thread with its own connection (the I/O thread only plans and applies them),
   * inline on the log's connection (default; also used for ':memory:' and a log opened without shared memory), or
   * `hybrid`: commits below HYBRID_INLINE_BELOW events inline, larger ones on the writer thread, one at a time.
   */
  readonly writer?: 'thread' | 'inline' | 'hybrid';
  /**
   * Could `id` have come from `newId`? Only such ids are looked for at the offset they name (offsetIds) and in the
   * id index (one probe per chunk that holds ids); others are found in producer_ids alone. Defaults to always.
   */
  readonly isGeneratedId?: (id: string) => boolean;
  /** Told (one line each) when derived state is discarded, rebuilt, or cannot be written; the log keeps serving. */
  readonly onNotice?: (message: string) => void;
  /**
   * How long a write on the log's connection waits for a lock another connection holds before it fails (default
   * better-sqlite3's 5 s). Hint: the server's own connections never write at once; this bounds the wait behind another
   * process (a backup, an sqlite3 shell). Tests that provoke that failure shorten it.
   */
  readonly busyTimeoutMs?: number;
  /**
   * `on`: check every page of the log and its index at open; `full`: and every record's checksum (INTEGRITY_CHECK;
   * see checkIntegrity). Default `off`.
   */
  readonly integrityCheck?: IntegrityCheck;
  /**
   * Refuse to open a log whose WAL holds acknowledged commits past a damaged frame (see keepDamagedWal) instead of
   * opening without them under a new epoch. The embedded server's log, unless INTEGRITY_CHECK=off; not a cluster
   * replica, which gets what it lost back from the stream.
   */
  readonly refuseWalLoss?: boolean;
  /** The one-server lock, already held (handed over by closeKeepingLock); taken at open when absent. */
  readonly lock?: LogLock | null;
  /**
   * What a message about a damaged page tells the operator to do (default RESTORE_BACKUP; a cluster replica's is to
   * delete it, since it is rebuilt from the stream).
   */
  readonly remedy?: string;
  /** Test hook: consulted before each chunk build; true makes that build fail as if the index disk were full. */
  readonly failIndexBuild?: () => boolean;
}
