import type { SessionStatusRow } from '../persistence/eventLog.js';
import { SupervisorUnavailableError } from './pipelineOptions.js';
import type { Scheduler } from './scheduler.js';
import type { SessionFolding } from './sessionFolding.js';
import type { SessionView } from './sessionView.js';
import { SteppedJobs } from './steppedJobs.js';
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
  /** Records routed when the job started: all are folded before the rows are read. */
  readonly upTo: number;
  /** The sessions to show, read once their records are folded (null until then). */
  rows: readonly SessionStatusRow[] | null;
  /** The next row to build a view for. */
  at: number;
  readonly views: SessionView[];
}

/**
 * GET /sessions in bounded slices of LIST_SLICE_MS, each continued through the scheduler on a later supervisor turn,
 * so /health, publishes and session reads are served in between: first the records routed before the listing began
 * are folded (and the sessions a delete cut folded again), then the rows are read once, then the views are built.
 * Listings run one at a time, in the order asked, and each is answered after its last slice, in its rows' order and
 * filtered by each view's status, as one built in one go.
 */
export class SessionListing extends SteppedJobs<SessionView[], ListingRequest, ListingJob> {
  /** `next` asks the supervisor for the next slice (it sends itself `sessions.listStep`). */
  constructor(
    private readonly sessions: SessionFolding,
    private readonly clock: Scheduler,
    next: () => void,
  ) {
    super(clock, next);
  }

  protected begin(request: ListingRequest): ListingJob {
    return { ...request, upTo: this.sessions.routedUpTo(), rows: null, at: 0, views: [] };
  }

  /** Fold, then build views, until LIST_SLICE_MS have passed; the views once every row has one. */
  protected advance(job: ListingJob): SessionView[] | undefined {
    const deadline = this.clock.monotonic() + LIST_SLICE_MS;
    if (job.rows === null) {
      if (!this.sessions.foldUntil(job.upTo, deadline)) return undefined;
      job.rows = this.sessions.listRows(job.status, job.limit);
    }
    const { rows } = job;
    while (job.at < rows.length) {
      // Hint: a long session not in memory is read a page at a time, its fold carried to the next slice.
      const view = this.sessions.listedView(rows[job.at]!.session_id, deadline);
      if (view === undefined) break;
      job.at++;
      if (view !== null && (job.status === undefined || view.status === job.status)) job.views.push(view);
      if (this.clock.monotonic() >= deadline) break;
    }
    return job.at >= rows.length ? job.views : undefined;
  }

  /** Shutdown: a listing fails (503, retry) rather than hydrating the rest of its sessions. */
  protected halted(): SupervisorUnavailableError {
    return new SupervisorUnavailableError('server shutting down; retry shortly');
  }
}
