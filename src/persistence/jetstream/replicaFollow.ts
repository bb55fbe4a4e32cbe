import { RETENTION_STEP_OFFSETS } from '../logRetention.js';
import type { SqliteReplicaLog } from '../sqliteReplicaLog.js';

/** What following the stream's first sequence tells the feed. */
export interface ReplicaFollowHooks {
  /** Run `fn` on a later turn of the event loop (setImmediate by default). */
  readonly immediate?: ((fn: () => void) => void) | undefined;
  /** Offsets one step deletes at most (RETENTION_STEP_OFFSETS by default). */
  readonly stepOffsets?: number | undefined;
  /** A step moved the replica's first offset to `first`. */
  readonly stepped: (first: number) => void;
  /** The target was reached: the events deleted since the follow began, and whether a caller asked to be told. */
  readonly done: (deleted: number, notify: boolean) => void;
  /** A step failed (nothing of it stays); the follow stops until asked again (the stream is asked every second). */
  readonly failed: (error: unknown) => void;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The replica following the stream's first sequence in bounded steps, as embedded retention deletes: each step its
 * own transaction of at most `stepOffsets` offsets (SqliteReplicaLog.followStep), the next on a later turn, so the
 * node's one I/O thread serves requests between steps. The first offset rises step by step; a crash mid-way resumes,
 * since a restarted node follows the stream's first sequence again. A later, higher target joins the run under way.
 */
export class ReplicaFollow {
  private target = 0;
  private deleted = 0;
  private notify = false;
  private scheduled = false;
  private stopped: Error | null = null;
  private waiters: Waiter[] = [];

  constructor(
    private readonly replica: SqliteReplicaLog,
    private readonly hooks: ReplicaFollowHooks,
  ) {}

  /** True while the first offset is below the target asked for. */
  get active(): boolean {
    return this.target > this.replica.firstOffset();
  }

  /**
   * Follow `firstSeq`: the first step runs now (a small purge is followed before this returns), the rest on later
   * turns. Returns the events this call's step deleted.
   */
  follow(firstSeq: number, notify: boolean): number {
    if (this.stopped !== null || firstSeq <= this.replica.firstOffset()) return 0;
    this.target = Math.max(this.target, firstSeq);
    this.notify ||= notify;
    return this.scheduled ? 0 : this.step();
  }

  /** Resolves once the replica's first offset is at least `seq` (rejects if a step fails or the feed closes). */
  reached(seq: number): Promise<void> {
    if (this.replica.firstOffset() >= seq) return Promise.resolve();
    if (this.stopped !== null) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  /** Resolves once the follow under way (if any) is done. */
  settled(): Promise<void> {
    return this.reached(this.active ? this.target : 0);
  }

  /** Step no more: waiters are rejected with `why`. */
  close(why: Error): void {
    this.stopped = why;
    this.end();
    this.rejectAll(why);
  }

  private step(): number {
    this.scheduled = false;
    if (this.stopped !== null || !this.active) return 0;
    let deleted: number;
    try {
      deleted = this.replica.followStep(this.target, this.hooks.stepOffsets ?? RETENTION_STEP_OFFSETS);
    } catch (error) {
      // Hint: the failed step rolled back; the stream's first sequence is asked again within a second.
      this.end();
      this.rejectAll(error);
      this.hooks.failed(error);
      return 0;
    }
    this.deleted += deleted;
    const first = this.replica.firstOffset();
    this.hooks.stepped(first);
    const due = this.waiters.filter((w) => w.seq <= first);
    this.waiters = this.waiters.filter((w) => w.seq > first);
    for (const waiter of due) waiter.resolve();
    if (this.active) {
      this.scheduled = true;
      (this.hooks.immediate ?? setImmediate)(() => this.step());
    } else {
      const { deleted: total, notify } = this;
      this.end();
      this.hooks.done(total, notify);
    }
    return deleted;
  }

  private end(): void {
    this.target = 0;
    this.deleted = 0;
    this.notify = false;
  }

  private rejectAll(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
