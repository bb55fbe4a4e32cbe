import { JetStreamApiError } from '@nats-io/jetstream';
import { LogWriteError, RetentionRefusedError } from '../eventLog.js';
import { RetentionStepError } from '../retention.js';
import type { SqliteReplicaLog } from '../sqliteReplicaLog.js';
import { marksStreamOf, type PurgeMarks } from './purgeMarks.js';
import type { ReplicaFeed } from './replicaFeed.js';

/** JetStream's error code for a purge of a stream whose configuration has `deny_purge`. */
const PURGE_NOT_PERMITTED = 10110;

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Retention in cluster mode: the stream is purged first, and only then does this replica delete, never below what the
 * stream has purged. Hint: the purge used to follow the local delete, retried in memory; a node restarted before it
 * reached the stream (NATS down) kept a delete no other node would ever see, and a stream with `deny_purge` was
 * retried every second for good. Now a purge the stream did not take deletes nothing anywhere, and says why.
 */
/** What retention needs of the JetStream manager (JetStreamManager has it). */
export interface StreamPurger {
  readonly streams: { purge(stream: string, options: { seq: number }): Promise<unknown> };
}

/** A delete of this node's under way: where it ends, and what it counts (see step). */
interface RetentionJob {
  readonly boundary: number;
  /** CutSteps.deletedTotal when it began, and the events below a cut still being deleted then (not its own). */
  readonly base: number;
  /** Events below its boundary when it began: no more can be its own. */
  readonly held: number;
  /** Its purge's count (see owed). */
  readonly owed: number;
  /** What its steps answered so far. */
  reported: number;
}

export class StreamRetention {
  /** This node purged the stream below this sequence. */
  private purgedTo = 1;
  /** The last purge's records on this replica, counted before it: the delete's answer, whoever deletes them. */
  private owed: { readonly before: number | undefined; readonly count: number } | null = null;
  /** This node's delete under way (see boundary and step). */
  private job: RetentionJob | null = null;

  constructor(
    private readonly jsm: StreamPurger,
    private readonly stream: string,
    private readonly replica: SqliteReplicaLog,
    private readonly feed: ReplicaFeed,
    /** Where each purge's cut is recorded before it is made; none in tests of the purge alone. */
    private readonly marks?: Pick<PurgeMarks, 'raise'>,
  ) {}

  /**
   * Purge the stream below the cut of `before`, waiting for its answer. Rejects with RetentionRefusedError (the stream
   * refuses purges: nothing deleted) or LogWriteError (refused now: nothing deleted; or unanswered: it may have been
   * applied, and every node then follows it). This node's own delete never runs after a rejection.
   */
  async purge(before: number | undefined): Promise<void> {
    this.owed = null;
    const boundary = this.boundaryOf(before);
    // Hint: the replica's first offset only rises to what the stream dropped, so below it there is nothing to purge.
    if (boundary <= Math.max(this.purgedTo, this.replica.keptFrom())) return;
    const count = this.replica.recordsBelow(boundary) - this.replica.recordsBelow(this.replica.keptFrom());
    try {
      await this.marks?.raise(boundary);
    } catch (error) {
      throw new LogWriteError(
        `the purge's cut could not be recorded in stream ${marksStreamOf(this.stream)} (${reasonOf(error)}); ` +
          'nothing was deleted, retry',
        { cause: error },
      );
    }
    this.feed.allow(boundary);
    try {
      await this.jsm.streams.purge(this.stream, { seq: boundary });
    } catch (error) {
      throw purgeFailed(this.stream, boundary, error);
    }
    this.purgedTo = Math.max(this.purgedTo, boundary);
    this.owed = { before, count };
  }

  /**
   * This replica's delete below the cut of `before`, no further than the stream was purged, begins: the feed follows
   * the cut (the position passes it, its first step is taken now); `step` takes the others. Returns the first offset
   * the delete keeps, which the replica's first offset reaches when it is done.
   */
  boundary(before: number | undefined): number {
    const purged = Math.max(this.purgedTo, this.replica.keptFrom());
    const wanted = Math.min(this.boundaryOf(before), purged);
    const owed = this.owed !== null && this.owed.before === before ? this.owed.count : 0;
    this.owed = null;
    // Hint: events below a cut still being deleted (another purge's) go first, and are not this delete's to count.
    const earlier = this.replica.recordsBelow(this.replica.keptFrom());
    const base = this.feed.cutSteps.deletedTotal + earlier;
    const held = this.replica.recordsBelow(wanted) - earlier;
    try {
      this.feed.follow(wanted, false);
    } catch (error) {
      // Hint: the cut could not be saved; the feed follows the stream's first sequence about once a second anyway.
      if (!(error instanceof RetentionStepError)) throw error;
      throw purgedButRefused(error, wanted, 'follows it by itself once it can write again');
    }
    // Hint: the feed may keep events below a cut no purge recorded (PurgeMarks): the delete ends where it cut.
    const boundary = Math.min(wanted, this.replica.keptFrom());
    this.job = { boundary, base, held, owed, reported: 0 };
    return boundary;
  }

  /**
   * One step of the delete `boundary` began, unless the feed's next one is due anyway (one step a turn, not two); the
   * count deleted since the last call. Hint: the feed's steps delete for it (it follows the stream's first sequence
   * about once a second, which may land before this delete), and a purge's records may be gone before: the last step
   * answers for all of them.
   */
  step(limit: number, always = false): number {
    const steps = this.feed.cutSteps;
    const job = this.job;
    try {
      if (steps.underWay && (always || !steps.stepDue)) steps.step(limit);
    } catch (error) {
      throw job === null || !(error instanceof RetentionStepError) ? error : this.stepFailed(job, error);
    }
    if (job === null) return 0;
    const done = this.replica.firstOffset() >= job.boundary;
    const stepped = this.stepped(job);
    const total = done ? Math.max(stepped, job.owed) : stepped;
    const deleted = total - job.reported;
    job.reported = total;
    if (done) this.job = null;
    return deleted;
  }

  /** What the steps deleted of `job`'s events so far, whoever took them. */
  private stepped(job: RetentionJob): number {
    return Math.min(Math.max(0, this.feed.cutSteps.deletedTotal - job.base), job.held);
  }

  /**
   * A step of this node's delete the store refused (a full disk). Hint: the stream was purged and every node deletes
   * below the cut; this replica's steps go on by themselves, retried every second (CutSteps), and its sessions are
   * refolded when they end. It used to answer "nothing was deleted, retry", which was false the moment the purge took.
   */
  private stepFailed(job: RetentionJob, error: RetentionStepError): LogWriteError {
    this.job = null;
    this.feed.cutSteps.tellWhenDone();
    const first = this.replica.firstOffset();
    const stepped = this.stepped(job);
    const sofar = stepped > 0 ? `deleted ${stepped} events so far (every offset below ${first}) and ` : '';
    return purgedButRefused(error, job.boundary, `${sofar}deletes the rest by itself, retrying every second`);
  }

  /** Every step of a delete at once (tools and tests); the count. */
  deleteBefore(before: number | undefined): number {
    const boundary = this.boundary(before);
    let deleted = this.step(Number.MAX_SAFE_INTEGER, true);
    while (this.replica.firstOffset() < boundary) deleted += this.step(Number.MAX_SAFE_INTEGER, true);
    return deleted;
  }

  /**
   * The sequence a delete cuts at: events before `before` are a prefix (timestamps never decrease in offset); all of
   * this replica when undefined, so what it has not applied yet is kept.
   */
  private boundaryOf(before: number | undefined): number {
    return before === undefined ? this.replica.headOffset() + 1 : this.replica.offsetAtOrAfter(before);
  }
}

/** This node's store refused its delete below `cut` after the stream was purged there: what goes on, and how. */
function purgedButRefused(error: RetentionStepError, cut: number, how: string): LogWriteError {
  return new LogWriteError(
    `storage unavailable on this node (${error.reason}): the stream was purged below offset ${cut}, so every node ` +
      `deletes below it; this node's replica ${how} (its /stats first_offset reaches ${cut} when done); a retry of ` +
      'this DELETE is safe',
    { cause: error },
  );
}

/**
 * Why a purge failed: refused for good (deny_purge), refused now (retry), or unanswered (it may yet be done).
 * `boundary` is the sequence the purge kept from.
 */
export function purgeFailed(stream: string, boundary: number, error: unknown): Error {
  if (error instanceof JetStreamApiError && error.code === PURGE_NOT_PERMITTED)
    return new RetentionRefusedError(
      `stream ${stream} denies purges (deny_purge), so retention cannot delete from it; nothing was deleted`,
      { cause: error },
    );
  if (error instanceof JetStreamApiError)
    return new LogWriteError(`stream ${stream} refused the purge (${error.message}); nothing was deleted, retry`, {
      cause: error,
    });
  // Hint: no answer is no refusal. A probe killed the stream leader 5-10 ms after a DELETE: in 3 of 3 runs the purge
  // had been applied and every node followed it within seconds, so "nothing was deleted" would have been false. Once,
  // only the killed leader's copy took it, and it surfaced 4 minutes later, when that server led again.
  return new LogWriteError(
    `stream ${stream} did not answer the purge (${reasonOf(error)}); it may still have been applied, and then every ` +
      `node follows it (/stats first_offset reaches ${boundary}), usually within seconds, but minutes later when ` +
      "only the lost leader's copy took it (once that server leads again); retrying is safe",
    { cause: error },
  );
}
