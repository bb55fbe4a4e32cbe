import type { EventFilter } from '../protocol/eventFilter.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { EventQuery } from '../protocol/eventQuery.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { EventType } from '../protocol/eventTypes.js';

export {
  DELETE_REPLICA,
  LogCorruptError,
  LogLockedError,
  LogOpenError,
  LogWriteError,
  RESTORE_BACKUP,
  RetentionRefusedError,
} from './logErrors.js';

/** The outcome of one producer's all-or-nothing batch inside a group commit. */
export type GroupOutcome =
  | {
      readonly ok: true;
      /** One record per input, in input order; duplicates return the original record. */
      readonly records: readonly StoredEvent[];
      /** Only the records this commit appended (no duplicates), in offset order. */
      readonly appended: readonly StoredEvent[];
    }
  | { readonly ok: false; readonly conflict: { readonly index: number; readonly id: string } };

/** Per-type counters kept up incrementally at append time. */
export interface TypeStat {
  readonly event_type: EventType;
  readonly count: number;
  /** Epoch ms of the newest event of this type. */
  readonly last_seen: number;
}

/** Figures for GET /stats, computed without scanning the log. */
export interface LogStats {
  readonly total_events: number;
  readonly events_last_hour: number;
  readonly by_type: readonly TypeStat[];
  readonly head_offset: number;
  readonly first_offset: number;
  readonly epoch: string;
  /**
   * Cluster mode, while the stream's first sequence is beyond the last cut DELETE /events recorded: the offsets it lost
   * without a purge (`from`-`to`) and how many events this replica keeps among them (see UnmarkedLosses).
   */
  readonly lost_without_purge?: { readonly from: number; readonly to: number; readonly kept: number };
}

/** A session's lifecycle status, as the session actors last folded it. */
export interface SessionStatusRow {
  readonly session_id: string;
  readonly status: string;
  readonly offset: number;
}

/** A session's row folded again after retention, with that fold's snapshot (JSON) when it is worth keeping. */
export interface RefoldedRow extends SessionStatusRow {
  readonly snapshot?: string;
}

/**
 * A session actor's folded state (status and context as JSON) at some offset of its session: a projection, so a
 * session read after a restart folds only the records after it instead of the whole session.
 */
export interface SessionSnapshotRow {
  readonly session_id: string;
  readonly snapshot: string;
}

/** What the session projections hold for one session. */
export interface SavedSession {
  readonly status: string;
  /** Its latest snapshot, null when none was saved. */
  readonly snapshot: string | null;
}

/** The log's write health: a log that keeps failing to commit is not ready, though it may still serve reads. */
export interface LogHealth {
  readonly writable: boolean;
  readonly reason: string | null;
}

/** Serialized records from the log, ascending; `lastOffset` is the last one's offset, or null when none matched. */
export interface JsonPage {
  readonly records: string[];
  readonly lastOffset: number | null;
}

/** A replay page as one batch:true message: `count` records, the last at `lastOffset` (empty frame when none). */
export interface ReplayFrame {
  readonly frame: Uint8Array;
  readonly count: number;
  readonly lastOffset: number | null;
}

/** A page read ahead: readFrameFrom(from, filter, asked, upTo) (null: read it inline). */
export interface AheadFrame {
  readonly from: number;
  readonly asked: number;
  readonly upTo: number;
  readonly frame: ReplayFrame | null;
}

/** Pages being read ahead: `more` once a page is written (the reader may read one more), `cancel` to stop. */
export interface FrameStream {
  more(): void;
  cancel(): void;
}

/** The append-only event log: the system's replayable source of truth. */
export interface EventLog {
  /** Random id made when the log was created; changes when the log is replaced. */
  readonly epoch: string;
  /** Offset of the newest event ever appended (0 when none). */
  headOffset(): number;
  /** Offset of the oldest event still retained (head + 1 when empty). */
  firstOffset(): number;
  /**
   * The highest offset known to exist in the log, which may be beyond what this process can read yet (a cluster
   * node's replica behind the stream); absent means the head. A subscriber may start anywhere up to it + 1.
   */
  knownHead?(): number;
  /**
   * The highest offset that exists, asked of the store other nodes share (a cluster node's stream), for a subscriber
   * asking beyond knownHead; rejects while that store cannot answer. Absent: knownHead is the whole truth.
   */
  confirmKnownHead?(): Promise<number>;
  /** Append several producers' batches in one transaction (a group commit). */
  appendGroups(groups: readonly (readonly EventInput[])[]): GroupOutcome[];
  /**
   * The asynchronous append the actors use: one group commit that completes later with one outcome per group (or
   * rejects, with nothing committed). A writer thread or a remote log can sit behind it.
   */
  commit(groups: readonly (readonly EventInput[])[]): Promise<GroupOutcome[]>;
  /** Events with offset ≥ fromOffset (and ≤ upTo, default the head) matching filter, ascending, at most `limit`. */
  readFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): StoredEvent[];
  /**
   * readFrom, but each record already serialized as its contract JSON (replay's hot path). `lastOffset` is the
   * offset of the last record returned, or null when none matched.
   */
  readJsonFrom(fromOffset: number, filter: EventFilter, limit: number, upTo?: number): JsonPage;
  /**
   * readJsonFrom as one batch:true message, the UTF-8 bytes of `[record,record,…]`, built inside the log (no string
   * per record on the way to the socket); null where this log cannot build it for this read (use readJsonFrom).
   */
  readFrameFrom?(fromOffset: number, filter: EventFilter, limit: number, upTo: number): ReplayFrame | null;
  /**
   * Pages of at most `asked` records from `fromOffset` on, as readFrameFrom builds them, read ahead off the calling
   * thread (each page spans at most `window` offsets and starts where the one before ended); `onPage` gets each in
   * order, then null after the last. Null when they cannot be read that way (read inline).
   */
  readFramesAhead?(
    fromOffset: number,
    filter: EventFilter,
    asked: number,
    window: number,
    onPage: (page: AheadFrame | null) => void,
  ): FrameStream | null;
  /** The REST query: filters, time range, cursors, order and limit. */
  query(query: EventQuery): StoredEvent[];
  getById(id: string): StoredEvent | null;
  stats(now: number): LogStats;
  /** Delete events older than `before` (epoch ms), or all when undefined; offsets are never reused. */
  deleteBefore(before: number | undefined): number;
  /**
   * Retention in bounded steps (with deleteStep): where a delete of events older than `before` cuts, the first offset
   * it keeps. Commits in flight land first. A log without it deletes in one deleteBefore.
   */
  retentionBoundary?(before: number | undefined): number;
  /**
   * One step of retention: delete below min(boundary, firstOffset() + limit) in one transaction, moving the first
   * offset up; the count deleted. Throws LogWriteError having deleted nothing in this step.
   */
  deleteStep?(boundary: number, limit: number): number;
  /**
   * A log whose store other nodes share (cluster mode) makes the retention there first, and deleteBefore then deletes
   * no further than it did. Rejects, having deleted nothing, with LogWriteError (retry) or RetentionRefusedError.
   */
  prepareRetention?(before: number | undefined): Promise<void>;
  /** Re-take the one-server-per-log lock if its file was removed or replaced while running (called every sweep). */
  keepLock?(): void;
  /**
   * Record sessions' statuses with their last folded record (a projection, rebuildable from the log), saved whenever
   * either moves. `foldedUpTo`, or a high-water noted
   * with noteSessionsFolded, is saved in the same transaction: every session record up to it is folded. Snapshots
   * replace a session's earlier one, in the same transaction, after the rows.
   */
  saveSessionStatuses(
    rows: readonly SessionStatusRow[],
    foldedUpTo?: number,
    snapshots?: readonly SessionSnapshotRow[],
  ): void;
  /** The session_status projection's saved high-water offset (0 when never saved): open catches up from after it. */
  sessionsFoldedUpTo(): number;
  /** Every session record up to `upTo` is folded into rows saved or about to be saved; the next save records it. */
  noteSessionsFolded(upTo: number): void;
  /** Sessions by their rows' offsets (their last folded record, newest first), optionally only one status. */
  listSessions(status: string | undefined, limit: number): SessionStatusRow[];
  /**
   * Sessions queued to be folded again from the log (retention deleted some of their records, or they had records not
   * in their rows yet when it deleted theirs), after queueing `add`: the queue outlives a crash.
   */
  sessionsToRefold(add?: readonly string[]): string[];
  /**
   * Save rows folded again after retention (and their snapshots) and drop the rows of sessions it left without records
   * (`gone`), taking both off sessionsToRefold, in one transaction ordered after every save before it.
   */
  saveRefolded(rows: readonly RefoldedRow[], gone: readonly string[]): void;
  /**
   * A session's saved status and snapshot, null when the projection has no status for it. A save still queued on a
   * writer thread may not be seen yet (what was saved before it is).
   */
  savedSession(sessionId: string): SavedSession | null;
  /** Hand everything appended but not yet indexed to the indexer now (normally it goes in full chunks). */
  indexTail(): void;
  /** True when the database answers a trivial query. */
  ping(): boolean;
  /** Whether appends are currently succeeding; `reason` says why not (for /readiness). */
  health(): LogHealth;
  close(): void;
}
