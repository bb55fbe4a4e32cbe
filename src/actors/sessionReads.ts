import { SupervisorUnavailableError } from './pipelineOptions.js';
import type { Scheduler } from './scheduler.js';
import type { SessionFolding } from './sessionFolding.js';
import type { SessionView, UserWindow } from './sessionView.js';
import { SteppedJobs } from './steppedJobs.js';
import type { Answer } from './supervisorEvent.js';

/**
 * Longest slice of one session read's hydration (ms of the scheduler's monotonic clock), as a listing's
 * (LIST_SLICE_MS). Hint: a session in memory, or one with a snapshot and a short tail, is answered in the first slice.
 */
export const READ_SLICE_MS = 5;

/** A GET /sessions/{session_id} waiting its turn. */
export interface SessionRead {
  readonly sessionId: string;
  readonly users: UserWindow;
  readonly answer: Answer<SessionView | null>;
}

/**
 * GET /sessions/{session_id} in bounded slices: a session not in memory and without a usable snapshot (one a
 * retention delete cut, before its refold) is folded from the log a few pages per slice, its fold carried on its
 * registry entry (shared with listings and folds), so /health, publishes and other reads are served in between; it
 * was folded in one go (~40 ms for 13,500 records, measured; at that rate about 3 s for a million). Reads run one at
 * a time, in the order asked, apart from listings (a read does not wait behind a listing of a thousand sessions), and
 * a read whose first slice ends it is answered at once, not behind a long one.
 */
export class SessionReads extends SteppedJobs<SessionView | null, SessionRead, SessionRead> {
  /** `next` asks the supervisor for the next slice (it sends itself `sessions.viewStep`). */
  constructor(
    private readonly sessions: SessionFolding,
    private readonly clock: Scheduler,
    next: () => void,
  ) {
    super(clock, next);
  }

  /**
   * Answer at once when the first slice ends it (a session in memory, or a short or snapshotted one), whatever read
   * is under way; else queue the read, its fold so far kept on its entry for its turn.
   */
  override request(read: SessionRead): void {
    if (this.halting) return void super.request(read);
    let view: SessionView | null | undefined;
    try {
      view = this.advance(read);
    } catch (error) {
      return void read.answer({ ok: false, error });
    }
    if (view === undefined) this.defer(read);
    else read.answer({ ok: true, value: view });
  }

  protected begin(request: SessionRead): SessionRead {
    return request;
  }

  /** The view, or undefined when its hydration goes on in the next slice. */
  protected advance(job: SessionRead): SessionView | null | undefined {
    return this.sessions.view(job.sessionId, job.users, this.clock.monotonic() + READ_SLICE_MS);
  }

  /** Shutdown: a read under way fails (503, retry) rather than folding the rest of its session. */
  protected halted(): SupervisorUnavailableError {
    return new SupervisorUnavailableError('server shutting down; retry shortly');
  }
}
