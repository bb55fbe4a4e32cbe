import type { AnyActorRef } from 'xstate';
import type { EventLog, SessionStatusRow } from '../persistence/eventLog.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { Logger } from './logger.js';
import type { Scheduler } from './scheduler.js';
import { type PartialFold, refoldSessions } from './sessionCatchUp.js';
import { SessionRegistry } from './sessionRegistry.js';
import { LISTED_USERS, type SessionView, type UserWindow } from './sessionView.js';

/** Sessions queued for a refold at start from which a line says so before the fold (about 2 ms each, measured). */
const REFOLD_NOTICE_SESSIONS = 500;

/**
 * Longest synchronous session-fold slice (ms); longer folds continue after pending I/O. Hint: every slice delays
 * whatever arrives during it, so it is kept short (fanout-10k p99 17-20 ms against 23-24 ms with 2 ms slices).
 */
const FOLD_SLICE_MS = 0.5;

/** What session folding needs. */
export interface SessionFoldingOptions {
  readonly log: EventLog;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly idleMs: number;
  readonly maxActive: number;
  /** The supervisor, parent of every session actor (read when the first actor is created). */
  readonly parent: () => AnyActorRef;
}

/**
 * Session folding for the supervisor: each commit's session records are queued per session actor, folded in
 * slices that yield to I/O (one actor message per session per fold), and their statuses saved to the projection.
 */
export class SessionFolding {
  private readonly registry: SessionRegistry;
  private folding = false;
  private stopped = false;
  /** Sessions retention left to fold again from the log, from `refoldAt` on (see refoldSliced). */
  private refolding: string[] = [];
  private refoldAt = 0;
  private refoldRunning = false;
  /** The session of `refolding` whose fold a slice left half done (see refoldSessions). */
  private readonly carry: { partial: PartialFold | null } = { partial: null };

  constructor(private readonly options: SessionFoldingOptions) {
    const { log, logger, scheduler, idleMs, maxActive, parent } = options;
    this.registry = new SessionRegistry({
      log,
      logger,
      idleMs,
      maxActive,
      parent,
      monotonic: () => scheduler.monotonic(),
    });
  }

  /** Live session actors. */
  get size(): number {
    return this.registry.size;
  }

  /** Session actors passivated since start. */
  get passivations(): number {
    return this.registry.passivations;
  }

  /** Bring the session_status projection up to the log's head (startup, after a crash too). */
  catchUp(): void {
    try {
      // Hint: after a large delete and a stop, a probe's next start took 16.3 s (1.9 s the time after) with no line
      // until the end: the sessions the delete cut are folded again from the log before the port opens.
      const queued = this.options.log.sessionsToRefold().length;
      if (queued >= REFOLD_NOTICE_SESSIONS)
        this.options.logger.info(
          { sessions: queued },
          'folding again from the log the sessions a retention delete cut, before serving',
        );
      const folded = this.registry.catchUp();
      if (folded > 0) this.options.logger.info({ sessions: folded }, 'session_status caught up from the log');
    } catch (error) {
      // Hint: a log that cannot be written (full disk) still serves; the rows not written are held for listings
      // (UnsavedStatuses), and the next start catches up again.
      this.options.logger.error({ err: error }, 'session_status catch-up failed; it is retried at the next start');
    }
  }

  /** Session actors passivated since the last call; the supervisor stops them (stopChild). */
  takeRetired(): readonly AnyActorRef[] {
    return this.registry.takeRetired();
  }

  /** A session actor failed (`xstate.error.actor.session:<id>`): drop it; the next use rebuilds it from the log. */
  failed(sessionId: string, error: unknown): void {
    this.registry.failed(sessionId, error);
  }

  /** One commit's records, queued for their sessions (plain loop; no actor messages here). */
  apply(records: readonly StoredEvent[]): void {
    if (this.registry.applyBatch(records)) this.foldSoon();
  }

  /** The sweep's share: fold in slices, passivate sessions idle past SESSION_IDLE_MS, save the rows that wait. */
  sweep(): void {
    this.refoldSliced();
    this.foldSliced();
    this.save(this.registry.passivateIdle());
  }

  /** The highest offset routed to the sessions so far: a listing folds every record up to it before reading rows. */
  routedUpTo(): number {
    return this.registry.routedUpTo;
  }

  /**
   * One slice of a listing's folding, until `deadline`: the sessions retention left to fold again first, then the
   * sessions with records routed up to `upTo` not folded yet; true once none is left and their rows are saved. Hint:
   * in slices, since folding again one session a delete cut reads all of its records (13,500: ~40 ms); sessions
   * dirtied later are folded when their turn comes, oldest first, so a listing under constant traffic still ends.
   */
  foldUntil(upTo: number, deadline: number): boolean {
    if (this.refoldUntil(deadline)) return false;
    this.save(this.registry.foldPending(deadline));
    if (this.registry.foldedUpTo() < upTo) return false;
    this.save(this.registry.takeWaitingRows());
    return true;
  }

  /** A session's view (null: the log has none of its events), or undefined when its hydration goes on past `deadline`. */
  view(sessionId: string, users: UserWindow, deadline?: number): SessionView | null | undefined {
    return this.registry.get(sessionId, users, deadline);
  }

  /** The rows of a listing: sessions by their last record (newest first), as the projection holds them now. */
  listRows(status: string | undefined, limit: number): readonly SessionStatusRow[] {
    return this.options.log.listSessions(status, limit);
  }

  /**
   * A session's view as a listing shows it (its first LISTED_USER_IDS users), hydrated from the log when not live;
   * undefined when that did not end by `deadline` (the next call goes on with it).
   */
  listedView(sessionId: string, deadline: number): SessionView | null | undefined {
    return this.registry.get(sessionId, LISTED_USERS, deadline);
  }

  /**
   * After retention deleted events, in-memory folds may count events that are gone: stop them all, and fold again
   * from the log every session the delete queued (see forgetDeletedSessions) or that had records waiting.
   */
  reset(): void {
    // Hint: sessions with records not in their rows yet may have lost their rows to the delete (they were below the
    // cut); they are queued in the log, so a crash or stop before their refold cannot lose them.
    const also = this.registry.dropAll();
    const left = this.refolding.slice(this.refoldAt);
    let queued: readonly string[] = also;
    try {
      queued = this.options.log.sessionsToRefold(also);
    } catch (error) {
      this.options.logger.error({ err: error }, 'queueing sessions to fold again after retention failed');
    }
    this.refolding = [...new Set([...left, ...queued, ...also])];
    this.refoldAt = 0;
    this.carry.partial = null; // it may count records this delete removed
    this.refoldSliced();
  }

  /** Fold what is pending, save, and stop every session actor (shutdown). */
  stop(): void {
    this.stopped = true;
    this.save(this.registry.stopAll());
  }

  /**
   * Fold the sessions retention left again in slices of FOLD_SLICE_MS between I/O (500,000 records left in 7,500 cut
   * sessions took 1.6 s to fold, measured), until none is left; a listing folds the rest first (foldUntil).
   */
  private refoldSliced(): void {
    if (this.refoldRunning) return;
    this.refoldRunning = true;
    const step = () => {
      const more = this.refoldUntil(this.options.scheduler.monotonic() + FOLD_SLICE_MS);
      if (more && !this.stopped) this.options.scheduler.immediate(step);
      else this.refoldRunning = false;
    };
    step();
  }

  /**
   * Fold sessions retention left until `deadline`; true when some are left. Hint: a failure (say a full disk) is
   * logged, not thrown, and retried at the next sweep: the delete that led here has committed, and its answer says so.
   */
  private refoldUntil(deadline: number): boolean {
    if (this.refoldAt >= this.refolding.length) return false;
    const { log, logger, scheduler } = this.options;
    try {
      this.refoldAt += refoldSessions(
        log,
        this.refolding,
        this.refoldAt,
        deadline,
        () => scheduler.monotonic(),
        this.carry,
      );
    } catch (error) {
      this.carry.partial = null;
      logger.error({ err: error }, 'folding sessions again after retention failed; retried at the next sweep');
      return false;
    }
    if (this.refoldAt < this.refolding.length) return true;
    this.refolding = [];
    this.refoldAt = 0;
    return false;
  }

  /** Save status rows, then the snapshots the registry took meanwhile, in one transaction (see SessionRegistry.save). */
  private save(rows: readonly SessionStatusRow[]): void {
    this.registry.save(rows);
  }

  /** Fold on the next turn (a session's waiting users reached PENDING_USERS_BOUND), not inside a commit's routing. */
  private foldSoon(): void {
    if (this.folding || this.stopped) return;
    this.folding = true;
    this.options.scheduler.immediate(() => {
      this.folding = false;
      if (!this.stopped) this.foldSliced();
    });
  }

  /** Fold in slices of at most FOLD_SLICE_MS, yielding to I/O between slices so delivery latency stays low. */
  private foldSliced(): void {
    if (this.folding) return;
    this.folding = true;
    const { scheduler, logger } = this.options;
    const step = () => {
      try {
        this.save(this.registry.foldPending(scheduler.monotonic() + FOLD_SLICE_MS));
        if (this.registry.hasPending() && !this.stopped) {
          scheduler.immediate(step);
          return;
        }
      } catch (error) {
        logger.error({ err: error, during: 'session fold' }, 'supervised work failed; continuing');
      }
      this.folding = false;
    };
    step();
  }
}
