import { type EventLog, type GroupOutcome, LogWriteError } from '../persistence/eventLog.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { Logger } from './logger.js';
import type { CommitEnd, PipelineMetrics } from './pipelineMetrics.js';
import type { Scheduler } from './scheduler.js';

/** How a submitted batch ended: committed (with records), rejected (conflict), or not committed (retryable). */
export type SubmitOutcome = GroupOutcome | { readonly ok: false; readonly retryable: true; readonly message: string };

/** Payload characters after which a commit's records go to the router in another message (at a batch boundary). */
export const COMMITTED_CHUNK_BYTES = 256 * 1024;

interface Pending {
  readonly inputs: readonly EventInput[];
  readonly done: (outcome: SubmitOutcome) => void;
}

/** What the group commit needs: the log, the bound, deferral, and where committed records go. */
export interface GroupCommitOptions {
  readonly log: Pick<EventLog, 'commit'>;
  readonly logger: Logger;
  readonly scheduler: Pick<Scheduler, 'immediate'>;
  readonly maxPendingEvents: number;
  /**
   * Called with the records a commit appended, in offset order, after its producers were acked: once per commit,
   * or once per COMMITTED_CHUNK_BYTES of payload (cut between producers' batches) for a large one.
   */
  readonly committed: (records: readonly StoredEvent[]) => void;
  /** /metrics: told once per commit (duration, batch size, appended records). */
  readonly metrics?: PipelineMetrics;
}

/**
 * The ingress: producers' batches wait here for the next group commit (one log transaction for all of them),
 * bounded by MAX_PENDING_EVENTS. Commits run one at a time, so their records leave in offset order; acks go out
 * only after the log reported the commit.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private pendingEvents = 0;
  private scheduled = false;
  private inFlight: Promise<void> | null = null;
  private closed = false;
  /** Group commits that reached the log. */
  commits = 0;

  constructor(private readonly options: GroupCommitOptions) {}

  /** Events accepted and not yet committed (the old service's router queue). */
  get queued(): number {
    return this.pendingEvents;
  }

  /** Queue one producer batch; `done` runs after its commit. False when closed or over the bound. */
  submit(inputs: readonly EventInput[], done: (outcome: SubmitOutcome) => void): boolean {
    if (this.closed) return false;
    if (this.pendingEvents + inputs.length > this.options.maxPendingEvents && this.pendingEvents > 0) return false;
    this.pending.push({ inputs, done });
    this.pendingEvents += inputs.length;
    this.schedule();
    return true;
  }

  /** Refuse new batches; resolves once everything accepted before is committed and acked. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight !== null || this.pending.length > 0) {
      if (this.inFlight === null) this.flush();
      await this.inFlight;
    }
  }

  private schedule(): void {
    // Hint: while a commit is in flight, the next one is started when it completes (see next).
    if (this.scheduled || this.inFlight !== null) return;
    this.scheduled = true;
    this.options.scheduler.immediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight !== null || this.pending.length === 0) return;
    const batch = this.pending;
    const ended = this.options.metrics?.commitStarted(this.pendingEvents);
    this.pending = [];
    this.pendingEvents = 0;
    this.inFlight = this.commit(batch, ended);
  }

  /**
   * The log answered the commit in flight: send the next one at once, before this one's acks and routing run.
   * Hint: with the writer thread, the log then writes commit N+1 while the I/O thread acks and routes commit N
   * (the next commit plans after N landed, so offsets and producer ids still see N).
   */
  private next(): void {
    this.inFlight = null;
    if (this.pending.length > 0) this.flush();
  }

  private async commit(batch: readonly Pending[], ended: CommitEnd | undefined): Promise<void> {
    let outcomes: GroupOutcome[];
    try {
      outcomes = await this.options.log.commit(batch.map((p) => p.inputs));
    } catch (error) {
      this.next();
      this.options.logger.error({ err: error }, 'group commit failed');
      this.safeCall(() => ended?.(null));
      const message =
        error instanceof LogWriteError
          ? 'storage unavailable; not committed, retry'
          : 'internal error; not committed, retry';
      for (const p of batch) this.safeCall(() => p.done({ ok: false, retryable: true, message }));
      return;
    }
    this.next();
    this.commits++;
    if (ended !== undefined) this.safeCall(() => ended(outcomes));
    let appended: StoredEvent[] = [];
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      this.safeCall(() => batch[i]!.done(outcome));
      if (!outcome.ok) continue;
      for (const record of outcome.appended) {
        appended.push(record);
        bytes += record.payloadJson.length;
      }
      // Hint: a subscriber checks its socket bound between deliveries, not inside one, so a delivery is cut at
      // COMMITTED_CHUNK_BYTES (at a producer's batch boundary): a large group commit (the writer thread gathers
      // whatever arrived while the previous commit was in flight) never pushes far past SUBSCRIBER_BUFFER_BYTES.
      if (bytes >= COMMITTED_CHUNK_BYTES) {
        this.deliver(appended);
        appended = [];
        bytes = 0;
      }
    }
    // Offsets were assigned group by group, so every chunk is in offset order, and chunks follow each other.
    this.deliver(appended);
  }

  private deliver(records: readonly StoredEvent[]): void {
    if (records.length > 0) this.safeCall(() => this.options.committed(records));
  }

  private safeCall(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.options.logger.error({ err: error }, 'callback failed');
    }
  }
}
