import type Database from 'better-sqlite3';
import type { ChunkIndexer } from './chunkIndexer.js';
import type { EventReader } from './eventReader.js';
import type { IndexCoverage } from './indexCoverage.js';
import { LogWriteError } from './logErrors.js';
import type { LogHead, LogMeta } from './logMeta.js';
import { deleteBelow, RetentionStepError, retentionStopped } from './retention.js';
import type { ThreadedAppender } from './threadedAppender.js';
import type { TypeStats } from './typeStats.js';

/**
 * Offsets one retention step deletes at most, in its own transaction. Hint: a delete costs ~3.5 µs an event (2.2M
 * in 7.64 s in one transaction, measured), so a step holds the only I/O thread for a few tens of ms, and /health,
 * publishes and replays are served between steps.
 */
export const RETENTION_STEP_OFFSETS = 10_000;

/** The parts of the SQLite log that retention reads and moves (openSqliteLog opens them). */
export interface RetentionParts {
  readonly db: Database.Database;
  readonly meta: LogMeta;
  readonly head: LogHead;
  readonly threaded: ThreadedAppender | null;
  readonly reader: EventReader;
  readonly coverage: IndexCoverage;
  readonly indexer: ChunkIndexer;
  readonly typeStats: TypeStats;
}

/**
 * Retention of the SQLite log in bounded steps: the boundary is found once, then each step deletes the lowest
 * offsets below it, at most `limit` of them, in a transaction of its own (see deleteBelow), and moves the first offset
 * up past them; each step is a whole delete, so readers see the same notices as after a run of smaller deletes.
 */
export class LogRetention {
  constructor(
    private readonly parts: RetentionParts,
    private readonly open: () => boolean,
  ) {}

  /** Where a delete of events older than `before` (all when undefined) cuts: the first offset it keeps. */
  boundary(before: number | undefined): number {
    // Hint: commits in flight land first, so the boundary of an undefined `before` covers them.
    this.parts.threaded?.settle();
    return before === undefined ? this.parts.head.next : this.parts.reader.offsetAtOrAfter(before);
  }

  /** Delete below min(boundary, first + limit) in one transaction; the count deleted (0 once first ≥ boundary). */
  step(boundary: number, limit: number): number {
    const { db, meta, head, threaded, coverage, indexer, typeStats } = this.parts;
    if (!this.open()) throw new LogWriteError('log is closed');
    // Hint: commits in flight land first, so the saved next_offset never goes back.
    threaded?.settle();
    const cut = Math.min(boundary, head.first + limit);
    if (cut <= head.first) return 0;
    const deleted = deleteBelow(db, meta, cut, head.next);
    head.first = cut;
    // Whole chunks below the cut go; entries of a partly deleted chunk no longer join to a row.
    const gone = coverage.dropBelow(cut);
    if (gone.length > 0) indexer.drop(gone);
    typeStats.reload();
    return deleted;
  }

  /** Every step of a delete of events older than `before`, one after the other (tools and tests); the count. */
  deleteBefore(before: number | undefined, limit = RETENTION_STEP_OFFSETS): number {
    const boundary = this.boundary(before);
    let deleted = 0;
    try {
      while (this.parts.head.first < boundary) deleted += this.step(boundary, limit);
    } catch (error) {
      throw error instanceof RetentionStepError
        ? retentionStopped(error, deleted, this.parts.head.first, boundary)
        : error;
    }
    return deleted;
  }
}
