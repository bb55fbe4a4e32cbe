import type { StoredEvent } from '../../protocol/eventRecord.js';
import type { AppliedEntry, ReplicaEntry, SqliteReplicaLog } from '../sqliteReplicaLog.js';
import { AppliedAnswers } from './appliedAnswers.js';
import { ApplyFailures } from './applyFailures.js';
import { CutSteps, type DeletedListener } from './cutSteps.js';
import type { ReplicaSink } from './replicaApplierOptions.js';
import { type Buffered, entryOf, otherLayoutRefusal } from './streamEntry.js';
import { UnmarkedLosses } from './unmarkedLosses.js';

/** Records applied to the replica, in offset order, once per applied batch that appended any. */
export type AppliedListener = (records: readonly StoredEvent[]) => void;

/** What the feed needs besides the replica. */
export interface ReplicaFeedOptions {
  readonly onNotice: (message: string) => void;
  /** Applying failed (disk full, say): the consumer is recreated from the replica's head + 1. */
  readonly onFailure: () => void;
  /**
   * Delete below the stream's first sequence only as far as this, and as far as `allow`ed later (PurgeMarks): the
   * recorded cut when the node opened the marks, or less; unguarded when absent.
   */
  readonly permit?: number;
  /** Offsets a followed purge deletes per step (see CutSteps). */
  readonly stepOffsets?: number;
}

/** Messages applied in one SQLite transaction at most (more arriving in one turn are applied in several). */
const BATCH = 2_000;

/**
 * Applies stream messages to the replica in sequence order, each at its own sequence: an event message appends its
 * event at offset = sequence, anything else becomes a recorded no-op offset, and a jump in the sequence (a purge)
 * is followed by deleting below it (in steps), no further than a recorded purge (`allow`, see PurgeMarks). Messages
 * of one turn of the event loop are applied in one transaction; applied records go to live routing.
 *
 * Hint: the position is the replica's head offset itself, written in the same transaction as the records, so a crash
 * never makes a replica apply a message twice or skip one.
 */
export class ReplicaFeed implements ReplicaSink {
  /** The last sequence accepted (applied or waiting in `buffer`). */
  private accepted: number;
  /** The highest sequence the stream is known to hold (it may be ahead of this replica). */
  private streamLast = 0;
  private buffer: Buffered[] = [];
  private scheduled = false;
  private closed = false;
  /** Why this replica stopped applying for good (see OtherLayoutError), or null. */
  private stoppedBy: string | null = null;
  private listener: AppliedListener | null = null;
  private readonly answers: AppliedAnswers;
  private readonly failures: ApplyFailures;
  /** How far a followed first sequence may delete (see PurgeMarks); unbounded without the `permit` option. */
  private permit: number;
  /** The stream's first sequence beyond every recorded purge: told once, its figures kept for /stats and /metrics. */
  readonly unmarked: UnmarkedLosses;
  /** The steps of a followed purge's delete. */
  readonly cutSteps: CutSteps;

  constructor(
    private readonly replica: SqliteReplicaLog,
    private readonly options: ReplicaFeedOptions,
  ) {
    this.accepted = replica.headOffset();
    this.answers = new AppliedAnswers(replica);
    this.failures = new ApplyFailures(options.onNotice);
    this.unmarked = new UnmarkedLosses(replica, () => this.permit);
    this.permit = options.permit ?? Number.POSITIVE_INFINITY;
    this.cutSteps = new CutSteps(replica, options);
  }

  /** The last stream sequence this replica applied (its head offset). */
  get appliedSeq(): number {
    return this.replica.headOffset();
  }

  nextSeq(): number {
    return this.accepted + 1;
  }

  /** Why this replica applies nothing more and its node refuses publishes: a message it cannot read, or null. */
  get refusal(): string | null {
    return this.stoppedBy;
  }

  noteLast(lastSeq: number): void {
    if (lastSeq > this.streamLast) this.streamLast = lastSeq;
  }

  /** The highest offset known to exist: this replica's head, or the stream's last sequence as last seen. */
  knownHead(): number {
    return Math.max(this.streamLast, this.replica.headOffset());
  }

  apply(seq: number, _msgId: string | null, data: Uint8Array, floor = 1): void {
    this.accept({ seq, data, floor });
  }

  skip(seq: number, reason: string): void {
    this.accept({ seq, reason });
  }

  private accept(message: Buffered): void {
    const { seq } = message;
    if (this.closed || this.stoppedBy !== null || seq <= this.accepted) return;
    this.buffer.push(message);
    this.accepted = seq;
    if (this.buffer.length >= BATCH) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Apply what is buffered now. */
  flush(): void {
    this.scheduled = false;
    if (this.closed || this.buffer.length === 0) return;
    const batch = this.buffer.splice(0);
    try {
      this.applyBatch(batch);
      this.failures.applied(this.replica.headOffset());
    } catch (error) {
      // Hint: nothing of the failed transaction stays; the consumer starts again from the replica's head + 1.
      this.accepted = this.replica.headOffset();
      this.failures.failed(error instanceof Error ? error.message : String(error), this.accepted);
      this.options.onFailure();
    }
  }

  /** How far a followed first sequence may delete now. */
  permitted(): number {
    return this.permit;
  }

  /** A purge (or a publisher's floor, or a limit) removed what lies below `cut`: deletes may reach it. */
  allow(cut: number): void {
    if (cut > this.permit) this.permit = cut;
  }

  /**
   * Follow the stream's first sequence: delete below it (a purge, or a limit, removed those messages), no further than
   * `permitted`; the position passes it either way. The delete runs in steps (CutSteps), the first one now; below the
   * cut nothing is applied or found by id from now on. Returns the events it removes from this replica; `notify`
   * false for this node's own DELETE (the supervisor resets).
   */
  follow(firstSeq: number, notify = true): number {
    if (this.closed) return 0;
    // Hint: messages delivered but not applied yet are kept too: the position is about to pass them.
    if (this.buffer.length > 0) this.flush();
    const cut = this.replica.holdsBetween(this.permit, firstSeq) ? this.permit : firstSeq;
    const dropping = cut > this.replica.keptFrom();
    const deleting = dropping ? this.replica.cutBelow(cut) : 0;
    this.replica.advanceTo(
      firstSeq,
      `lost from the stream without a purge (its first sequence ${firstSeq} passed the recorded cut ${cut})`,
    );
    this.accepted = Math.max(this.accepted, this.replica.headOffset());
    this.answers.passed(firstSeq, dropping);
    if (dropping) this.cutSteps.start(notify);
    this.answers.wake();
    return deleting;
  }

  /**
   * Say (once per first sequence) that the stream's first sequence passed every recorded purge while this replica
   * holds events there, which it keeps (see `unmarked`). Call after every `follow`, once `allow` had the latest mark.
   */
  tellUnmarked(firstSeq: number): void {
    const notice = this.unmarked.observe(firstSeq);
    if (notice !== null) this.options.onNotice(notice);
  }

  /** What applying `seq` did, once this replica has applied it. */
  expect(seq: number): Promise<AppliedEntry> {
    this.noteLast(seq);
    return this.answers.expect(seq);
  }

  /** Resolves once `seq` is applied. */
  waitFor(seq: number): Promise<void> {
    return this.answers.waitFor(seq);
  }

  /** Where applied records go (the supervisor's routing); one listener. */
  onApplied(listener: AppliedListener): void {
    this.listener = listener;
  }

  /** Who hears of events deleted by following the stream (one listener). */
  onDeleted(listener: DeletedListener): void {
    this.cutSteps.listener = listener;
  }

  /** Apply nothing more (what is buffered is applied again from the stream at the next start). */
  close(): void {
    this.closed = true;
    this.buffer = [];
    this.cutSteps.close();
  }

  private applyBatch(batch: readonly Buffered[]): void {
    let entries: ReplicaEntry[] = [];
    let expected = this.replica.headOffset() + 1;
    for (const message of batch) {
      const { seq } = message;
      if (seq < expected) continue;
      const read = entryOf(message);
      if ('otherLayout' in read) {
        this.commit(entries);
        this.stop(seq, read.otherLayout);
        return;
      }
      const { entry, floor } = read;
      // Hint: a jump reaches here only after the stream said so (ReplicaApplier.fillGap): a purge below `seq`. A
      // message's floor is its publisher's first offset: every replica deletes below it before deciding its id, and
      // a publisher deletes only within a recorded purge, so a floor is one.
      this.allow(Math.min(floor, seq));
      const below = Math.max(seq > expected ? seq : 1, Math.min(floor, seq));
      if (below > this.replica.keptFrom()) {
        this.commit(entries);
        entries = [];
        this.follow(below);
      }
      entries.push(entry);
      expected = seq + 1;
    }
    this.commit(entries);
  }

  private commit(entries: readonly ReplicaEntry[]): void {
    if (entries.length === 0) return;
    const applied = this.replica.applyAt(entries);
    const records: StoredEvent[] = [];
    for (const entry of applied) {
      if (entry.record !== null) records.push(entry.record);
      else this.options.onNotice(`offset ${entry.offset} is a recorded no-op: ${entry.reason}`);
      this.answers.applied(entry);
    }
    if (records.length > 0) this.listener?.(records);
    this.answers.wake();
  }

  /** Stop at `seq`, a message of another version's layout (`why`): applying past it would lose its event here. */
  private stop(seq: number, why: string): void {
    this.stoppedBy = otherLayoutRefusal(seq, why);
    this.buffer = [];
    this.accepted = this.replica.headOffset();
    this.options.onNotice(this.stoppedBy);
  }
}
