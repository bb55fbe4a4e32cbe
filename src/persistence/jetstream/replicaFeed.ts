import type { StoredEvent } from '../../protocol/eventRecord.js';
import { LogWriteError } from '../logErrors.js';
import type { AppliedEntry, ReplicaEntry, SqliteReplicaLog } from '../sqliteReplicaLog.js';
import type { ReplicaSink } from './replicaApplierOptions.js';
import { ReplicaFollow, type ReplicaFollowHooks } from './replicaFollow.js';
import { ReplicaWaiters } from './replicaWaiters.js';
import { type Buffered, entryOf } from './streamEntry.js';

/** Records applied to the replica, in offset order, once per applied batch that appended any. */
export type AppliedListener = (records: readonly StoredEvent[]) => void;

/** Told how many events a followed purge deleted from this replica (the session actors are reset then). */
export type DeletedListener = (deleted: number) => void;

/** What the feed needs besides the replica; `immediate` and `stepOffsets` pace following a purge (ReplicaFollow). */
export interface ReplicaFeedOptions extends Pick<ReplicaFollowHooks, 'immediate' | 'stepOffsets'> {
  readonly onNotice: (message: string) => void;
  /** Applying failed (disk full, say): the consumer is recreated from the replica's head + 1. */
  readonly onFailure: () => void;
}

/** Messages applied in one SQLite transaction at most (more arriving in one turn are applied in several). */
const BATCH = 2_000;

/**
 * Applies stream messages to the replica in sequence order, each at its own sequence: an event message appends its
 * event at offset = sequence, anything else becomes a recorded no-op offset, and a jump in the sequence (a purge)
 * is followed by deleting below it, in bounded steps (ReplicaFollow). Messages that arrive in one turn of the event
 * loop are applied in one transaction. It resolves the sequences this node's publishes wait for and hands applied records to live routing.
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
  private deletedListener: DeletedListener | null = null;
  private readonly waiters: ReplicaWaiters;
  /** Buffered messages wait until the replica's first offset reaches this (a follow under way must delete first). */
  private blockedAt = 0;
  private readonly following: ReplicaFollow;

  constructor(
    private readonly replica: SqliteReplicaLog,
    private readonly options: ReplicaFeedOptions,
  ) {
    this.accepted = replica.headOffset();
    this.waiters = new ReplicaWaiters(replica);
    this.following = new ReplicaFollow(replica, {
      immediate: options.immediate,
      stepOffsets: options.stepOffsets,
      stepped: (first) => this.stepped(first),
      done: (deleted, notify) => {
        if (deleted > 0 && notify) this.deletedListener?.(deleted);
      },
      failed: (error) =>
        options.onNotice(
          `replica feed: following the stream's first sequence failed (${reasonOf(error)}); asked again`,
        ),
    });
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
    else this.later();
  }

  private later(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Apply what is buffered now (what may be applied before a follow under way deletes further). */
  flush(): void {
    this.scheduled = false;
    if (this.closed || this.buffer.length === 0 || this.replica.firstOffset() < this.blockedAt) return;
    const batch = this.buffer;
    this.buffer = [];
    try {
      this.applyBatch(batch);
    } catch (error) {
      // Hint: nothing of the failed transaction stays; the consumer starts again from the replica's head + 1.
      this.accepted = this.replica.headOffset();
      this.options.onNotice(`replica feed: applying failed (${reasonOf(error)})`);
      this.options.onFailure();
    }
  }

  /**
   * Follow the stream's first sequence: delete below it (a purge, or a limit, removed those messages), in bounded
   * steps, the first now. Returns the events that step deleted; `notify` false for this node's own DELETE (the
   * supervisor resets). Hint: what the stream purged is accepted no more, so consumers and gaps go on from there.
   */
  follow(firstSeq: number, notify = true): number {
    if (this.closed) return 0;
    this.accepted = Math.max(this.accepted, firstSeq - 1);
    return this.following.follow(firstSeq, notify);
  }

  /** Resolves once this replica's first offset is at least `seq` (after follow; rejects if following fails). */
  followed(seq: number): Promise<void> {
    return this.following.reached(seq);
  }

  /** Resolves once the follow under way, if any, is done: null, or why a step failed. */
  followSettled(): Promise<Error | null> {
    return this.following.settled().then(
      () => null,
      (error: unknown) => (error instanceof Error ? error : new Error(reasonOf(error))),
    );
  }

  /** A follow step moved the first offset: waiters below it are answered, applying may go on. */
  private stepped(first: number): void {
    this.waiters.deletedBelow(first);
    if (this.buffer.length > 0 && first >= this.blockedAt) this.later();
  }

  /** What applying `seq` did, once this replica has applied it. */
  expect(seq: number): Promise<AppliedEntry> {
    this.noteLast(seq);
    return this.waiters.expect(seq);
  }

  /** Resolves once `seq` is applied. */
  waitFor(seq: number): Promise<void> {
    return this.waiters.waitFor(seq);
  }

  /** Where applied records go (the supervisor's routing); one listener. */
  onApplied(listener: AppliedListener): void {
    this.listener = listener;
  }

  /** Who hears of events deleted by following the stream (one listener). */
  onDeleted(listener: DeletedListener): void {
    this.deletedListener = listener;
  }

  /** Apply nothing more (what is buffered is applied again from the stream at the next start). */
  close(): void {
    this.closed = true;
    this.buffer = [];
    this.following.close(new LogWriteError('log is closed'));
  }

  private applyBatch(batch: readonly Buffered[]): void {
    let entries: ReplicaEntry[] = [];
    let expected = this.replica.headOffset() + 1;
    for (const [i, message] of batch.entries()) {
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
      // message's floor is its publisher's first offset: every replica deletes below it before deciding its id.
      const below = Math.max(seq > expected ? seq : 1, Math.min(floor, seq));
      if (below > this.replica.firstOffset()) {
        this.commit(entries);
        entries = [];
        this.follow(below);
        if (below > this.replica.firstOffset()) {
          // Hint: a large purge is followed on later turns; this message and the rest wait for it (stepped).
          this.blockedAt = below;
          this.buffer = [...batch.slice(i), ...this.buffer];
          return;
        }
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
      this.waiters.applied(entry);
      if (entry.record !== null) records.push(entry.record);
      else this.options.onNotice(`offset ${entry.offset} is a recorded no-op: ${entry.reason}`);
    }
    if (records.length > 0) this.listener?.(records);
    this.waiters.wake();
  }

  /** Stop at `seq`, a message of another version's layout (`why`): applying past it would lose its event here. */
  private stop(seq: number, why: string): void {
    this.stoppedBy =
      `stream message ${seq} was written by another version of the event pipeline (${why}): this node applies ` +
      `nothing from offset ${seq} on and refuses publishes; run one build on every node (README: "Upgrading a cluster")`;
    this.buffer = [];
    this.accepted = this.replica.headOffset();
    this.options.onNotice(this.stoppedBy);
  }
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
