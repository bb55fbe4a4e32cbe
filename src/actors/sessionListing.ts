import type { SessionStatusRow } from '../persistence/eventLog.js';
import { SupervisorUnavailableError } from './pipelineOptions.js';
import type { Scheduler } from './scheduler.js';
import type { SessionFolding } from './sessionFolding.js';
import type { SessionView } from './sessionView.js';
import { type JobResult, SteppedJobs } from './steppedJobs.js';
import type { Answer } from './supervisorEvent.js';

/**
 * Longest slice of a listing's view building (ms of the scheduler's monotonic clock). Hint: a view not in memory is
 * hydrated from the log (3-7 ms each on a 4.4M-event log, measured: 1,000 took 3.2-7.2 s in one go after a restart),
 * so the clock is read after every view; a read costs well under 1% of even a warm view (15-43 µs).
 */
export const LIST_SLICE_MS = 5;

/** A GET /sessions: its filter, its bound and whom to answer. */
export interface ListingRequest {
  readonly status: string | undefined;
  readonly limit: number;
  readonly answer: Answer<SessionView[]>;
}

/** What a listing needs of session folding (a test passes its own). */
export type ListedSessions = Pick<SessionFolding, 'routedUpTo' | 'foldUntil' | 'listRows' | 'listedView'>;

/** One job for the listings of one status that share it: rows read once, for the largest bound among them. */
interface ListingJob extends ListingRequest {
  limit: number;
  /** Those not answered yet; sorted by bound once the rows are read (none joins after). */
  readonly askers: ListingRequest[];
  /** False until the job's turn comes; then `upTo` is set. */
  started: boolean;
  /** Records routed when the job started: all are folded before the rows are read. */
  upTo: number;
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
 * Jobs run one at a time, in the order asked (however many are asked, one slice at a time holds the I/O thread), and
 * each listing is answered as one built in one go would be, in its rows' order and filtered by each view's status. A
 * listing of the same status as a job whose rows are not read yet shares it (see joinable): polling dashboards asked
 * 60 listings at a time, each waiting a turn of the loop behind the others (`?limit=15` p50 2.5-2.9 s at 5,000
 * events/s, probe). The job reads the largest bound's rows; the rows are ordered by their session's newest offset,
 * which no two sessions share, so a smaller bound's rows are their prefix, and it is answered once its views are
 * built, before the rest.
 */
export class SessionListing extends SteppedJobs<SessionView[], ListingJob, ListingJob> {
  /** Per status, the newest job: listings asked may join it while joinable. */
  private readonly open = new Map<string | undefined, ListingJob>();

  /** `next` asks the supervisor for the next slice (it sends itself `sessions.listStep`). */
  constructor(
    private readonly sessions: ListedSessions,
    private readonly clock: Scheduler,
    next: () => void,
  ) {
    super(clock, next);
  }

  /** Join the open job of the same status when joinable, else queue a job of its own. */
  override request(request: ListingRequest): void {
    const open = this.open.get(request.status);
    if (open !== undefined && !this.halting && this.joinable(open)) {
      open.askers.push(request);
      open.limit = Math.max(open.limit, request.limit);
      return;
    }
    const job: ListingJob = {
      status: request.status,
      limit: request.limit,
      askers: [request],
      answer: (result) => this.answerRest(job, result),
      started: false,
      upTo: 0,
      rows: null,
      at: 0,
      views: [],
    };
    this.open.set(request.status, job);
    super.request(job);
  }

  protected begin(job: ListingJob): ListingJob {
    job.started = true;
    job.upTo = this.sessions.routedUpTo();
    return job;
  }

  /** Fold, then build views, until LIST_SLICE_MS have passed; the views once every row has one. */
  protected advance(job: ListingJob): SessionView[] | undefined {
    const deadline = this.clock.monotonic() + LIST_SLICE_MS;
    if (job.rows === null) {
      if (!this.sessions.foldUntil(job.upTo, deadline)) return undefined;
      job.rows = this.sessions.listRows(job.status, job.limit);
      job.askers.sort((a, b) => a.limit - b.limit);
    }
    const { rows } = job;
    while (job.at < rows.length) {
      // Hint: a long session not in memory is read a page at a time, its fold carried to the next slice.
      const view = this.sessions.listedView(rows[job.at]!.session_id, deadline);
      if (view === undefined) break;
      job.at++;
      if (view !== null && (job.status === undefined || view.status === job.status)) job.views.push(view);
      while (job.askers.length > 1 && job.askers[0]!.limit <= job.at)
        job.askers.shift()!.answer({ ok: true, value: job.views.slice() });
      if (this.clock.monotonic() >= deadline) break;
    }
    return job.at >= rows.length ? job.views : undefined;
  }

  /** Shutdown: a listing fails (503, retry) rather than hydrating the rest of its sessions. */
  protected halted(): SupervisorUnavailableError {
    return new SupervisorUnavailableError('server shutting down; retry shortly');
  }

  /**
   * True while a listing asked now may share `job`: its rows are read after the listing arrived, with every record
   * routed before it folded. Hint: so a job under way only while nothing was routed since it began (raising its fold's
   * end at each join could keep it from ever reading its rows under steady traffic); a waiting one sets it later.
   */
  private joinable(job: ListingJob): boolean {
    return job.rows === null && (!job.started || job.upTo === this.sessions.routedUpTo());
  }

  /** The job's end: answer each asker left, and let no listing join it any more. */
  private answerRest(job: ListingJob, result: JobResult<SessionView[]>): void {
    if (this.open.get(job.status) === job) this.open.delete(job.status);
    for (const asker of job.askers.splice(0)) asker.answer(result);
  }
}
