import { LogWriteError } from '../persistence/logErrors.js';
import { RETENTION_STEP_OFFSETS } from '../persistence/logRetention.js';
import { RetentionStepError, retentionStopped } from '../persistence/retention.js';
import type { PipelineOptions } from './pipelineOptions.js';
import type { SessionFolding } from './sessionFolding.js';
import { type JobResult, SteppedJobs } from './steppedJobs.js';
import type { Answer } from './supervisorEvent.js';

/** A DELETE /events waiting its turn: its cut (`before`, all when undefined) and whom to answer. */
export interface RetentionRequest {
  readonly before: number | undefined;
  readonly answer: Answer<number>;
}

interface RetentionJob extends RetentionRequest {
  /** The first offset the delete keeps, found once when the job starts. */
  readonly boundary: number;
  deleted: number;
}

/** What retention needs of the pipeline's options: the log, logger and scheduler, and the step's bound. */
export type StepwiseRetentionOptions = Pick<PipelineOptions, 'log' | 'logger' | 'scheduler' | 'retentionStepOffsets'>;

/**
 * DELETE /events, one bounded step per supervisor turn: the boundary is found once, each step deletes the lowest
 * offsets below it in a transaction of its own (EventLog.deleteStep), and the next step waits for the scheduler, so
 * /health, publishes and replays are served in between. Deletes run one at a time, in the order asked. The answer
 * comes after the last step (the total), or when a step fails (saying what earlier steps deleted). Session actors
 * are reset once, at the end. A log without steps deletes in one deleteBefore.
 */
export class StepwiseRetention extends SteppedJobs<number, RetentionRequest, RetentionJob> {
  /** `next` asks the supervisor for the next step (it sends itself `retention.step`). */
  constructor(
    private readonly parts: StepwiseRetentionOptions,
    private readonly sessions: SessionFolding,
    next: () => void,
  ) {
    super(parts.scheduler, next);
  }

  protected begin(request: RetentionRequest): RetentionJob {
    return { ...request, boundary: this.parts.log.retentionBoundary?.(request.before) ?? 0, deleted: 0 };
  }

  /** Delete one step's offsets (all at once for a log without steps); the total once the boundary is reached. */
  protected advance(job: RetentionJob): number | undefined {
    const { log } = this.parts;
    if (log.deleteStep === undefined) {
      job.deleted = log.deleteBefore(job.before);
      return job.deleted;
    }
    job.deleted += log.deleteStep(job.boundary, this.parts.retentionStepOffsets ?? RETENTION_STEP_OFFSETS);
    return log.firstOffset() >= job.boundary ? job.deleted : undefined;
  }

  /** A step the store refused says what earlier steps deleted. */
  protected override failure(job: RetentionJob, error: unknown): unknown {
    if (!(error instanceof RetentionStepError)) return error;
    return retentionStopped(error, job.deleted, this.parts.log.firstOffset(), job.boundary);
  }

  protected override finished(job: RetentionJob, result: JobResult<number>): void {
    const { log, logger } = this.parts;
    const before = job.before === undefined ? 'all' : new Date(job.before).toISOString();
    if (result.ok || job.deleted > 0)
      logger.info({ deleted: job.deleted, before, first_offset: log.firstOffset() }, 'retention deleted events');
    // Hint: the session folds may count deleted events; as after a whole delete, they are folded again from the log.
    if (job.deleted > 0) this.sessions.reset();
  }

  /**
   * Shutdown: the delete under way is answered with what its steps deleted (503: retry to delete the rest), and those
   * waiting with nothing deleted; in cluster mode (a log with prepareRetention), with the purge the stream took before
   * the delete was queued, which goes on. Hint: at SIGTERM a delete under way got an empty reply, 40,000 of 400,000
   * events gone and no line saying so. Sessions are not refolded now: the steps queued theirs in the log for the next
   * start.
   */
  protected halted(job: RetentionJob | null): LogWriteError {
    const { log, logger } = this.parts;
    const first = job !== null && job.deleted > 0 ? log.firstOffset() : 0;
    if (job !== null && job.deleted > 0)
      logger.info({ deleted: job.deleted, first_offset: first }, 'retention stopped at shutdown');
    // Hint: a SIGTERM mid-delete in cluster mode answered "deleted 50000 events …, not the 18960 offsets …: retry"
    // while the other nodes deleted all 68,960 and this one finished at its next start.
    if (log.prepareRetention !== undefined) return purgedAtShutdown(job, first);
    if (job === null || job.deleted === 0) return shutDown(0, 0, 0);
    return shutDown(job.deleted, first, job.boundary);
  }
}

/** The answer to a delete stopped by shutdown once the shared store (the stream) took its purge: it goes on. */
function purgedAtShutdown(job: RetentionJob | null, first: number): LogWriteError {
  if (job === null)
    return new LogWriteError(
      'server shutting down: the stream was purged as this DELETE asked, so every node deletes below its cut, this ' +
        "node's replica at its next start; a retry of this DELETE is safe",
    );
  const sofar = job.deleted > 0 ? `deleted ${job.deleted} events so far (every offset below ${first}) and ` : '';
  return new LogWriteError(
    `server shutting down: the stream was purged below offset ${job.boundary}, so every node deletes below it; ` +
      `this node's replica ${sofar}deletes the rest at its next start (its /stats first_offset reaches ` +
      `${job.boundary} then); a retry of this DELETE is safe`,
  );
}

/** The answer to a delete stopped by shutdown: what it deleted, and that a retry deletes the rest. */
function shutDown(deleted: number, first: number, boundary: number): LogWriteError {
  if (deleted === 0) return new LogWriteError('server shutting down; nothing was deleted, retry');
  return new LogWriteError(
    `server shutting down; deleted ${deleted} events (every offset below ${first}), ` +
      `not the ${boundary - first} offsets from ${first} to ${boundary - 1}: retry to delete the rest`,
  );
}
