import type { SessionStatusRow } from '../persistence/eventLog.js';
import { SupervisorUnavailableError } from './pipelineOptions.js';
import type { Scheduler } from './scheduler.js';
import type { SessionFolding } from './sessionFolding.js';
import type { SessionView } from './sessionView.js';
import type { Answer } from './supervisorEvent.js';

/**
 * Longest slice of a listing's view building (ms of the scheduler's monotonic clock). Hint: a view not in memory is
 * hydrated from the log (3-7 ms each on a 4.4M-event log, measured: 1,000 took 3.2-7.2 s in one go after a restart),
 * so the clock is read after every view; a read costs well under 1% of even a warm view (15-43 µs).
 */
export const LIST_SLICE_MS = 5;

/** A GET /sessions waiting its turn: its filter, its bound and whom to answer. */
export interface ListingRequest {
  readonly status: string | undefined;
  readonly limit: number;
  readonly answer: Answer<SessionView[]>;
}

interface ListingJob extends ListingRequest {
  /** The sessions to show, read once when the job starts (pending records folded first). */
  readonly rows: readonly SessionStatusRow[];
  /** The next row to build a view for. */
  at: number;
  readonly views: SessionView[];
}

/**
 * GET /sessions in bounded slices: pending records are folded and the rows read once, at the start; the views are
 * then built in slices of LIST_SLICE_MS, each continued through the scheduler on a later supervisor turn, so /health,
 * publishes and session reads are served in between. Listings run one at a time, in the order asked, and each is
 * answered after its last slice, in its rows' order and filtered by each view's status, as one built in one go.
 */
export class SessionListing {
  private readonly waiting: ListingRequest[] = [];
  private job: ListingJob | null = null;
  private scheduled = false;
  private stopped = false;

  /** `next` asks the supervisor for the next slice (it sends itself `sessions.listStep`). */
  constructor(
    private readonly sessions: SessionFolding,
    private readonly scheduler: Scheduler,
    private readonly next: () => void,
  ) {}

  /** Queue a listing; the first one waiting starts at once (a small one is answered before this returns). */
  request(request: ListingRequest): void {
    if (this.stopped) {
      request.answer({ ok: false, error: shuttingDown() });
      return;
    }
    this.waiting.push(request);
    if (this.job === null && !this.scheduled) this.step();
  }

  /** Build one slice of the current listing's views (starting the next waiting one if none runs). */
  step(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const job = this.job ?? this.start();
    if (job === null) return;
    const deadline = this.scheduler.monotonic() + LIST_SLICE_MS;
    try {
      while (job.at < job.rows.length) {
        const view = this.sessions.listedView(job.rows[job.at]!.session_id);
        job.at++;
        if (view !== null && (job.status === undefined || view.status === job.status)) job.views.push(view);
        if (this.scheduler.monotonic() >= deadline) break;
      }
    } catch (error) {
      this.end(job, { ok: false, error });
      return;
    }
    if (job.at >= job.rows.length) this.end(job, { ok: true, value: job.views });
    else this.later();
  }

  /** Shutdown: the listing under way and those waiting are answered SupervisorUnavailableError, as are later ones. */
  stop(): void {
    this.stopped = true;
    const requests = this.job === null ? this.waiting.splice(0) : [this.job, ...this.waiting.splice(0)];
    this.job = null;
    for (const request of requests) request.answer({ ok: false, error: shuttingDown() });
  }

  private start(): ListingJob | null {
    const request = this.waiting.shift();
    if (request === undefined) return null;
    let rows: readonly SessionStatusRow[];
    try {
      rows = this.sessions.listRows(request.status, request.limit);
    } catch (error) {
      request.answer({ ok: false, error });
      if (this.waiting.length > 0) this.later();
      return null;
    }
    this.job = { ...request, rows, at: 0, views: [] };
    return this.job;
  }

  private end(job: ListingJob, result: Parameters<Answer<SessionView[]>>[0]): void {
    this.job = null;
    job.answer(result);
    if (this.waiting.length > 0) this.later();
  }

  private later(): void {
    this.scheduled = true;
    this.scheduler.immediate(this.next);
  }
}

function shuttingDown(): SupervisorUnavailableError {
  return new SupervisorUnavailableError('server shutting down; retry shortly');
}
