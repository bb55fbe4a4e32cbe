import { type EventLog, type GroupOutcome, LogWriteError } from '../persistence/eventLog.js';
import type { EventInput } from '../protocol/eventInput.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import type { SubmitRefusal } from '../protocol/submitRefusal.js';
import { FailureLines } from './failureLines.js';
import type { Logger } from './logger.js';
import type { CommitEnd, PipelineMetrics } from './pipelineMetrics.js';
import type { Scheduler } from './scheduler.js';

/** How a submitted batch ended: committed (with records), rejected (conflict), or not committed (retryable). */
export type SubmitOutcome = GroupOutcome | { readonly ok: false; readonly retryable: true; readonly message: string };

/** Payload characters after which a commit's records go to the router in another message (at a batch boundary). */
export const COMMITTED_CHUNK_BYTES = 256 * 1024;

/** Told how a submitted batch ended, with the token it was submitted with (so a caller needs no closure per batch). */
export type SubmitDone<T> = (outcome: SubmitOutcome, token: T) => void;

interface Pending {
  readonly inputs: readonly EventInput[];
  readonly done: SubmitDone<unknown>;
  readonly token: unknown;
}

/** What the group commit needs: the log, the bound, deferral, and where committed records go. */
export interface GroupCommitOptions {
  readonly log: Pick<EventLog, 'commit'>;
  readonly logger: Logger;
  readonly scheduler: Pick<Scheduler, 'immediate'>;
  readonly maxPendingEvents: number;
  /**
   * Payload characters (JSON) the queued events may hold together (MAX_PENDING_BYTES; default no bound). Why: the
   * event bound alone let 100,000 events of 64 KB, 6.4 GB, wait in a heap of about 4 GB when commits fall behind.
   */
  readonly maxPendingBytes?: number | undefined;
  /**
   * Called with the records a commit appended, in offset order, after its producers were acked: once per commit,
   * or once per COMMITTED_CHUNK_BYTES of payload (cut between producers' batches) for a large one.
   */
  readonly committed: (records: readonly StoredEvent[]) => void;
  /** /metrics: told once per commit (duration, batch size, appended records). */
  readonly metrics?: PipelineMetrics;
  /**
   * Commits the log may hold at once (default 1). Only for a log that plans each commit on its own and whose
   * records reach routing some other way (cluster mode: the replica feed, in stream order): with several in flight,
   * the log may answer them out of order, and each commit's batches are acked with that commit's own outcomes.
   */
  readonly maxInFlight?: number;
}

/**
 * The ingress: producers' batches wait here for the next group commit (one log transaction for all of them),
 * bounded by MAX_PENDING_EVENTS and MAX_PENDING_BYTES (the queued events and their payloads; each commit in flight
 * holds at most what was queued). By default commits run one at a time, so their records leave in offset order; with
 * `maxInFlight` > 1 up to that many run at once. Either way a batch is acked only after the log reported its own
 * commit.
 */
/**
 * The retryable answer when a write failed after the stream may have stored some events. Hint: "not committed"
 * here made producers without ids store the same event again on every retry.
 */
export const MAY_BE_COMMITTED =
  'storage unavailable; some of these events may be in the log: retry with the same producer ids (without ids, a retry may store them twice)';

export class GroupCommit {
  private pending: Pending[] = [];
  private pendingEvents = 0;
  private pendingBytes = 0;
  private readonly maxPendingBytes: number;
  private scheduled = false;
  /** Commits the log has not answered yet (at most maxInFlight). */
  private inFlight = 0;
  /** Commits not finished (acks and routing included): close() waits for them. */
  private readonly running = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  private closed = false;
  private readonly failures: FailureLines;
  /** Group commits that reached the log. */
  commits = 0;

  constructor(private readonly options: GroupCommitOptions) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.maxPendingBytes = options.maxPendingBytes ?? Number.POSITIVE_INFINITY;
    this.failures = new FailureLines(options.logger, 'group commit failed');
  }

  /** Events accepted and not yet committed (the old service's router queue). */
  get queued(): number {
    return this.pendingEvents;
  }

  /** Payload characters (JSON) of the events accepted and not yet committed. */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /** Queue one producer batch; `done(outcome, token)` runs after its commit. Null when queued, else why not. */
  submit(inputs: readonly EventInput[], done: (outcome: SubmitOutcome) => void): SubmitRefusal | null;
  submit<T>(inputs: readonly EventInput[], done: SubmitDone<T>, token: T): SubmitRefusal | null;
  submit(inputs: readonly EventInput[], done: SubmitDone<unknown>, token?: unknown): SubmitRefusal | null {
    if (this.closed) return 'stopping';
    let bytes = 0;
    for (let i = 0; i < inputs.length; i++) bytes += inputs[i]!.payloadJson.length;
    // Hint: a batch over either bound alone is taken when nothing waits, so every batch can be committed.
    if (this.pendingEvents > 0) {
      const bound =
        this.pendingEvents + inputs.length > this.options.maxPendingEvents
          ? 'MAX_PENDING_EVENTS'
          : this.pendingBytes + bytes > this.maxPendingBytes
            ? 'MAX_PENDING_BYTES'
            : null;
      if (bound !== null) {
        this.options.metrics?.refusedAtBound(bound);
        return bound;
      }
    }
    this.pending.push({ inputs, done, token });
    this.pendingEvents += inputs.length;
    this.pendingBytes += bytes;
    this.schedule();
    return null;
  }

  /** Refuse new batches; resolves once everything accepted before is committed and acked. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running.size > 0 || this.pending.length > 0) {
      this.flush();
      await Promise.race(this.running);
    }
    this.failures.ended();
  }

  private schedule(): void {
    // Hint: while maxInFlight commits are in flight, the next one is started when one completes (see next).
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    this.options.scheduler.immediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    const batch = this.pending;
    const ended = this.options.metrics?.commitStarted(this.pendingEvents);
    this.pending = [];
    this.pendingEvents = 0;
    this.pendingBytes = 0;
    this.inFlight++;
    const running = this.commit(batch, ended);
    this.running.add(running);
    const forget = () => this.running.delete(running);
    running.then(forget, forget);
  }

  /**
   * The log answered a commit in flight: send the next one at once, before this one's acks and routing run.
   * Hint: with the writer thread, the log then writes commit N+1 while the I/O thread acks and routes commit N
   * (the next commit plans after N landed, so offsets and producer ids still see N).
   */
  private next(): void {
    this.inFlight--;
    if (this.pending.length > 0) this.flush();
  }

  private async commit(batch: readonly Pending[], ended: CommitEnd | undefined): Promise<void> {
    let outcomes: GroupOutcome[];
    try {
      outcomes = await this.options.log.commit(batch.map((p) => p.inputs));
    } catch (error) {
      this.next();
      // Hint: a refusal was told once where it was decided (and /readiness names it); a line per commit adds nothing.
      if (!(error instanceof LogWriteError && error.refusal)) this.failures.failed(error);
      if (ended !== undefined) this.safeCall(ended, null);
      const message = !(error instanceof LogWriteError)
        ? 'internal error; not committed, retry'
        : error.uncertain
          ? MAY_BE_COMMITTED
          : error.refusal
            ? `storage unavailable; not committed: ${error.message}`
            : `storage unavailable; not committed, retry${error.reason === null ? '' : ` (${error.reason})`}`;
      for (const p of batch) this.settle(p, { ok: false, retryable: true, message });
      return;
    }
    this.next();
    this.failures.ended();
    this.commits++;
    if (ended !== undefined) this.safeCall(ended, outcomes);
    let appended: StoredEvent[] = [];
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      this.settle(batch[i]!, outcome);
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
    if (records.length > 0) this.safeCall(this.options.committed, records);
  }

  /** Tell a producer how its batch ended; a throw is logged. */
  private settle(p: Pending, outcome: SubmitOutcome): void {
    try {
      p.done(outcome, p.token);
    } catch (error) {
      this.options.logger.error({ err: error }, 'callback failed');
    }
  }

  /** Call the metrics' or the router's callback; a throw is logged (no closure per call: one per event). */
  private safeCall<T>(fn: (arg: T) => void, arg: T): void {
    try {
      fn(arg);
    } catch (error) {
      this.options.logger.error({ err: error }, 'callback failed');
    }
  }
}
