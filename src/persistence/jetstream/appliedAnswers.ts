import type { AppliedEntry, SqliteReplicaLog } from '../sqliteReplicaLog.js';

/**
 * Entries applied lately that `expect` answers from memory: a commit's PubAcks mostly arrive once the replica applied
 * its messages, and reading each one back cost a SQLite query per event. Bounded in count and by skipping large
 * payloads (those are read back), so the cache holds at most RECENT × RECENT_PAYLOAD characters.
 */
const RECENT = 4_096;
const RECENT_PAYLOAD = 4_096;

/** What applying a sequence did, for whoever waits for it (this node's publishes), and who waits for the head. */
export class AppliedAnswers {
  private readonly expecting = new Map<number, ((applied: AppliedEntry) => void)[]>();
  private waiters: { readonly seq: number; readonly resolve: () => void }[] = [];
  /** Recently applied entries at `offset % RECENT` (see RECENT); cleared when the replica deletes. */
  private recent: (AppliedEntry | undefined)[] = new Array(RECENT);

  constructor(private readonly replica: SqliteReplicaLog) {}

  /** What applying `seq` did, once this replica has applied it. */
  expect(seq: number): Promise<AppliedEntry> {
    if (seq <= this.replica.headOffset()) {
      const recent = this.recent[seq % RECENT];
      return Promise.resolve(recent?.offset === seq ? recent : this.appliedAt(seq));
    }
    return new Promise((resolve) => {
      const waiters = this.expecting.get(seq);
      if (waiters === undefined) this.expecting.set(seq, [resolve]);
      else waiters.push(resolve);
    });
  }

  /** Resolves once `seq` is applied. */
  waitFor(seq: number): Promise<void> {
    if (seq <= this.replica.headOffset()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** `entry` was applied: answer who expects it. */
  applied(entry: AppliedEntry): void {
    if (entry.record === null || entry.record.payloadJson.length <= RECENT_PAYLOAD)
      this.recent[entry.offset % RECENT] = entry;
    if (this.expecting.size === 0) return;
    const waiters = this.expecting.get(entry.offset);
    if (waiters === undefined) return;
    this.expecting.delete(entry.offset);
    for (const resolve of waiters) resolve(entry);
  }

  /** Sequences below `firstSeq` will never be applied; `dropped`: the replica deleted rows (cached ones too). */
  passed(firstSeq: number, dropped: boolean): void {
    if (dropped) this.recent = new Array(RECENT);
    for (const [seq, waiters] of this.expecting) {
      if (seq >= firstSeq) continue;
      this.expecting.delete(seq);
      for (const resolve of waiters) resolve({ offset: seq, record: null, reason: this.whyGone(seq) });
    }
  }

  /** The replica's head moved: resolve who waited for it. */
  wake(): void {
    if (this.waiters.length === 0) return;
    const head = this.replica.headOffset();
    const due = this.waiters.filter((w) => w.seq <= head);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > head);
    for (const waiter of due) waiter.resolve();
  }

  private appliedAt(seq: number): AppliedEntry {
    const [record] = this.replica.readFrom(seq, {}, 1, seq);
    if (record !== undefined) return { offset: seq, record };
    const [noop] = this.replica.noopOffsets(seq, 1);
    if (noop?.offset === seq) return { offset: seq, record: null, reason: noop.reason };
    return { offset: seq, record: null, reason: this.whyGone(seq) };
  }

  /** Why `seq` holds nothing: below the first offset retention deleted it; above, the stream lost it unapplied. */
  private whyGone(seq: number): string {
    return seq < this.replica.keptFrom() ? 'deleted by retention' : 'lost from the stream without a purge';
  }
}
