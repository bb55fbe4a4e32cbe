import type { Scheduler } from './scheduler.js';
import type { Answer } from './supervisorEvent.js';

/** What a job answers: its value, or why it failed. */
export type JobResult<T> = Parameters<Answer<T>>[0];

/**
 * Requests served one at a time, in the order asked, each in bounded steps: a step runs on the supervisor's turn and
 * the next waits for the scheduler (`next` makes the supervisor send itself the step event), so /health, publishes
 * and replays are served in between. A job is answered after its last step, or when a step throws; at shutdown the
 * job under way and those waiting are answered with `halted`, and later requests at once. StepwiseRetention and
 * SessionListing say what a job is and what a step does.
 */
export abstract class SteppedJobs<T, R extends { readonly answer: Answer<T> }, J extends R> {
  private readonly waiting: R[] = [];
  private job: J | null = null;
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly next: () => void,
  ) {}

  /** The job for a request (read once, as it starts); a throw answers the request with it. */
  protected abstract begin(request: R): J;

  /** One bounded step of `job`: its answer when done, undefined when it goes on; a throw fails the job. */
  protected abstract advance(job: J): T | undefined;

  /** The answer at shutdown for the job under way, or for one that never started (null). */
  protected abstract halted(job: J | null): unknown;

  /** What a job whose step threw `error` answers. */
  protected failure(_job: J, error: unknown): unknown {
    return error;
  }

  /** Called as a job ends, before it is answered. */
  protected finished(_job: J, _result: JobResult<T>): void {}

  /** True once stop() ran: every request is answered with `halted`. */
  protected get halting(): boolean {
    return this.stopped;
  }

  /** Queue a request; the first one waiting starts at once (a small job is answered before this returns). */
  request(request: R): void {
    if (this.stopped) return void request.answer({ ok: false, error: this.halted(null) });
    this.waiting.push(request);
    if (this.job === null && !this.scheduled) this.step();
  }

  /** Queue a request whose first step its caller took already: its next one waits for a later turn. */
  protected defer(request: R): void {
    this.waiting.push(request);
    if (this.job === null && !this.scheduled) this.later();
  }

  /** Run one step of the current job (starting the next waiting one if none runs). */
  step(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const job = this.job ?? this.start();
    if (job === null) return;
    let value: T | undefined;
    try {
      value = this.advance(job);
    } catch (error) {
      this.end(job, { ok: false, error: this.failure(job, error) });
      return;
    }
    if (value !== undefined) this.end(job, { ok: true, value });
    else this.later();
  }

  /** Shutdown: answer the job under way and those waiting with `halted`, and every later request at once. */
  stop(): void {
    this.stopped = true;
    const job = this.job;
    this.job = null;
    if (job !== null) job.answer({ ok: false, error: this.halted(job) });
    for (const request of this.waiting.splice(0)) request.answer({ ok: false, error: this.halted(null) });
  }

  private start(): J | null {
    const request = this.waiting.shift();
    if (request === undefined) return null;
    try {
      this.job = this.begin(request);
    } catch (error) {
      request.answer({ ok: false, error });
      if (this.waiting.length > 0) this.later();
      return null;
    }
    return this.job;
  }

  private end(job: J, result: JobResult<T>): void {
    this.job = null;
    this.finished(job, result);
    job.answer(result);
    if (this.waiting.length > 0) this.later();
  }

  private later(): void {
    this.scheduled = true;
    this.scheduler.immediate(this.next);
  }
}
