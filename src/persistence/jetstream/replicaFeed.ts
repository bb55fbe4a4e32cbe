import type { StoredEvent } from '../../protocol/eventRecord.js';
import type { EventLog, GroupOutcome } from '../eventLog.js';
import { decodeEntry, type StreamEntry } from './commitMessage.js';
import type { ReplicaSink } from './replicaApplier.js';
import { writePosition } from './replicaPosition.js';

/** While a commit is applied: the timestamp the replica stamps (the publisher's) and the ids it hands out. */
export class ApplyClock {
  ts: number | null = null;
  private ids: readonly string[] = [];
  private used = 0;

  /** Apply `fn` at the commit's timestamp with its generated ids. */
  during<T>(ts: number, ids: readonly string[], fn: () => T): T {
    this.ts = ts;
    this.ids = ids;
    this.used = 0;
    try {
      return fn();
    } finally {
      this.ts = null;
      this.ids = [];
    }
  }

  /** The replica's newId: the commit's next generated id. */
  nextId(): string {
    const id = this.ids[this.used++];
    // Hint: the same on every node (the same message), so replicas still agree; only a foreign writer gets here.
    if (id === undefined) throw new Error('the commit message carries fewer generated ids than id-less events');
    return id;
  }
}

/** What applying one message did: a commit's outcomes per group, or a retention command's count of deleted events. */
export interface AppliedMessage {
  readonly outcomes: GroupOutcome[];
  readonly deleted: number;
}

/** Records applied to the replica, in offset order, once per stream message that appended any. */
export type AppliedListener = (records: readonly StoredEvent[]) => void;

/** What the feed needs besides the replica. */
export interface ReplicaFeedOptions {
  readonly databasePath: string;
  readonly epoch: string;
  /** The last sequence already applied (from the saved position; 0 for none). */
  readonly appliedSeq: number;
  readonly clock: ApplyClock;
  readonly now: () => number;
  readonly onNotice: (message: string) => void;
}

const SAVE_EVERY_MS = 1_000;
const decoder = new TextDecoder();

/**
 * Applies stream messages to the replica in sequence order: each commit message becomes one appendGroups call at
 * the publisher's timestamp, so every node derives the same offsets, ids, timestamps and producer-id outcomes from
 * the same sequence. It resolves the commits this node is waiting for (by message id) and hands applied records to
 * the live routing.
 */
export class ReplicaFeed implements ReplicaSink {
  private applied: number;
  private savedSeq: number;
  private savedAt = 0;
  private closed = false;
  private listener: AppliedListener | null = null;
  private readonly pending = new Map<string, (applied: AppliedMessage) => void>();
  private seqWaiters: { readonly seq: number; readonly resolve: () => void }[] = [];

  constructor(
    private readonly replica: Pick<EventLog, 'appendGroups' | 'deleteBefore' | 'getById'>,
    private readonly options: ReplicaFeedOptions,
  ) {
    this.applied = options.appliedSeq;
    this.savedSeq = options.appliedSeq;
  }

  /** The last stream sequence applied. */
  get appliedSeq(): number {
    return this.applied;
  }

  nextSeq(): number {
    return this.applied + 1;
  }

  apply(seq: number, msgId: string | null, data: Uint8Array): void {
    if (this.closed || seq <= this.applied) return;
    if (seq > this.applied + 1)
      this.options.onNotice(`replica feed: sequences ${this.applied + 1}..${seq - 1} are no longer in the stream`);
    const entry = this.decode(seq, data);
    // Hint: a throw here (disk full) leaves `applied` alone; the applier recreates its consumer and retries this seq.
    const result = this.applyEntry(entry);
    this.applied = seq;
    if (msgId !== null) {
      const waiter = this.pending.get(msgId);
      this.pending.delete(msgId);
      waiter?.(result);
    }
    this.route(result.outcomes);
    this.wake();
    // Hint: saved at once after a deletion, so a restart never re-applies commits from before it (their ids are gone).
    if (entry?.kind === 'retention' || this.options.now() - this.savedAt >= SAVE_EVERY_MS) this.savePosition();
  }

  /** Resolves with what the message published with `msgId` did, once this replica has applied it. */
  expect(msgId: string): Promise<AppliedMessage> {
    return new Promise((resolve) => this.pending.set(msgId, resolve));
  }

  /** Stop waiting for `msgId` (its publish failed). */
  forget(msgId: string): void {
    this.pending.delete(msgId);
  }

  /** Resolves once `seq` is applied. */
  waitFor(seq: number): Promise<void> {
    if (seq <= this.applied) return Promise.resolve();
    return new Promise((resolve) => this.seqWaiters.push({ seq, resolve }));
  }

  /** Where applied records go (the supervisor's routing); one listener. */
  onApplied(listener: AppliedListener): void {
    this.listener = listener;
  }

  /** Save the position now (also done at most once a second while applying). */
  savePosition(): void {
    this.savedAt = this.options.now();
    if (this.savedSeq === this.applied) return;
    try {
      writePosition(this.options.databasePath, { epoch: this.options.epoch, seq: this.applied });
      this.savedSeq = this.applied;
    } catch (error) {
      this.options.onNotice(`replica position not saved: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Apply nothing more; save where we are. */
  close(): void {
    if (this.closed) return;
    this.savePosition();
    this.closed = true;
  }

  private decode(seq: number, data: Uint8Array): StreamEntry | null {
    try {
      return decodeEntry(decoder.decode(data));
    } catch (error) {
      // Hint: a foreign message is applied as nothing, on every node alike, so replicas still agree.
      this.options.onNotice(`stream message ${seq} is not a commit (${String(error)}); applied as nothing`);
      return null;
    }
  }

  private applyEntry(entry: StreamEntry | null): AppliedMessage {
    if (entry === null) return { outcomes: [], deleted: 0 };
    if (entry.kind === 'retention')
      return { outcomes: [], deleted: this.replica.deleteBefore(entry.retention.deleteBefore ?? undefined) };
    const { ts, groups, ids } = entry.commit;
    // Hint: the first generated id exists only if this message was applied before (a restart whose saved position
    // lagged the replica); one transaction per message, so then all of it was. Producer ids dedupe by themselves.
    if (ids[0] !== undefined && this.replica.getById(ids[0]) !== null) return { outcomes: [], deleted: 0 };
    return { outcomes: this.options.clock.during(ts, ids, () => this.replica.appendGroups(groups)), deleted: 0 };
  }

  private route(outcomes: readonly GroupOutcome[]): void {
    if (this.listener === null) return;
    const records: StoredEvent[] = [];
    for (const outcome of outcomes) if (outcome.ok) for (const record of outcome.appended) records.push(record);
    if (records.length > 0) this.listener(records);
  }

  private wake(): void {
    if (this.seqWaiters.length === 0) return;
    const due = this.seqWaiters.filter((w) => w.seq <= this.applied);
    this.seqWaiters = this.seqWaiters.filter((w) => w.seq > this.applied);
    for (const waiter of due) waiter.resolve();
  }
}
