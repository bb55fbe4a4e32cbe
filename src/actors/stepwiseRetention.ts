import { LogWriteError } from '../persistence/logErrors.js';
import { RETENTION_STEP_OFFSETS } from '../persistence/logRetention.js';
import { RetentionStepError, retentionStopped } from '../persistence/retention.js';
import type { PipelineOptions } from './pipelineOptions.js';
import type { SessionFolding } from './sessionFolding.js';
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
 * are reset once, at the end. A log without steps (cluster mode) deletes in one deleteBefore.
 */
export class StepwiseRetention {
  private readonly waiting: RetentionRequest[] = [];
  private job: RetentionJob | null = null;
  private scheduled = false;
  private stopped = false;

  /** `next` asks the supervisor for the next step (it sends itself `retention.step`). */
  constructor(
    private readonly parts: StepwiseRetentionOptions,
    private readonly sessions: SessionFolding,
    private readonly next: () => void,
  ) {}

  /** Queue a delete; the first one waiting starts at once (a small delete is answered before this returns). */
  request(request: RetentionRequest): void {
    if (this.stopped) return void request.answer({ ok: false, error: shutDown(0, 0, 0) });
    this.waiting.push(request);
    if (this.job === null && !this.scheduled) this.step();
  }

  /** Run one step of the current delete (starting the next waiting one if none runs). */
  step(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const job = this.job ?? this.start();
    if (job === null) return;
    const { log } = this.parts;
    let done: boolean;
    try {
      if (log.deleteStep === undefined) job.deleted = log.deleteBefore(job.before);
      else job.deleted += log.deleteStep(job.boundary, this.parts.retentionStepOffsets ?? RETENTION_STEP_OFFSETS);
      done = log.deleteStep === undefined || log.firstOffset() >= job.boundary;
    } catch (error) {
      const stopped = error instanceof RetentionStepError;
      this.end(job, {
        ok: false,
        error: stopped ? retentionStopped(error, job.deleted, log.firstOffset(), job.boundary) : error,
      });
      return;
    }
    if (done) this.end(job, { ok: true, value: job.deleted });
    else this.later();
  }

  /**
   * Shutdown: the delete under way is answered with what its steps deleted (503: retry to delete the rest), and those
   * waiting with nothing deleted. Hint: at SIGTERM a delete under way got an empty reply, 40,000 of 400,000 events
   * gone and no line saying so. Sessions are not refolded now: the steps queued theirs in the log for the next start.
   */
  stop(): void {
    this.stopped = true;
    const job = this.job;
    this.job = null;
    if (job !== null) {
      const { log, logger } = this.parts;
      const first = log.firstOffset();
      if (job.deleted > 0) logger.info({ deleted: job.deleted, first_offset: first }, 'retention stopped at shutdown');
      job.answer({ ok: false, error: shutDown(job.deleted, first, job.boundary) });
    }
    for (const request of this.waiting.splice(0)) request.answer({ ok: false, error: shutDown(0, 0, 0) });
  }

  private start(): RetentionJob | null {
    const request = this.waiting.shift();
    if (request === undefined) return null;
    let boundary: number;
    try {
      boundary = this.parts.log.retentionBoundary?.(request.before) ?? 0;
    } catch (error) {
      request.answer({ ok: false, error });
      if (this.waiting.length > 0) this.later();
      return null;
    }
    this.job = { ...request, boundary, deleted: 0 };
    return this.job;
  }

  private end(job: RetentionJob, result: Parameters<Answer<number>>[0]): void {
    this.job = null;
    const { log, logger } = this.parts;
    const before = job.before === undefined ? 'all' : new Date(job.before).toISOString();
    if (result.ok || job.deleted > 0)
      logger.info({ deleted: job.deleted, before, first_offset: log.firstOffset() }, 'retention deleted events');
    // Hint: the session folds may count deleted events; as after a whole delete, they are folded again from the log.
    if (job.deleted > 0) this.sessions.reset();
    job.answer(result);
    if (this.waiting.length > 0) this.later();
  }

  private later(): void {
    this.scheduled = true;
    this.parts.scheduler.immediate(this.next);
  }
}

/** The answer to a delete stopped by shutdown: what it deleted, and that a retry deletes the rest. */
function shutDown(deleted: number, first: number, boundary: number): LogWriteError {
  if (deleted === 0) return new LogWriteError('server shutting down; nothing was deleted, retry');
  return new LogWriteError(
    `server shutting down; deleted ${deleted} events (every offset below ${first}), ` +
      `not the ${boundary - first} offsets from ${first} to ${boundary - 1}: retry to delete the rest`,
  );
}
