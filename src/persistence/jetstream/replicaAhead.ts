/**
 * How long the stream must go on ending below this replica's head before that counts for good (until a rebuild).
 * Hint: a stream leader just elected may answer before it applied the last entries its predecessor acked (it commits
 * them with its first append), so one answer below the head is not yet a lost tail; it is refused meanwhile all the same.
 */
export const AHEAD_MS = 3_000;

/** What the stream last said while below the replica, and since when it has. */
interface Seen {
  readonly head: number;
  readonly last: number;
  readonly since: number;
}

/**
 * Whether this replica holds offsets its stream does not: its head above the stream's last sequence, under the same
 * epoch. The stream then lost messages this node applied (a store restored from a backup, or a tail lazy fsync lost in
 * a crash): those offsets are in no stream, and the stream gives them to the next publishes, which no replica holding
 * them would apply. Before, the node stayed ready and served them, and each publish waited 10 s for a 503 "may be in
 * the log". Told by the stream's state at start, before every consumer made, every second, and when the audit finds
 * an offset the leader no longer serves.
 */
export class ReplicaAhead {
  private seen: Seen | null = null;
  private settled: string | null = null;
  private told = false;

  constructor(
    private readonly stream: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stream answered `lastSeq` to a request sent when this replica held offsets up to `head`. */
  observe(head: number, lastSeq: number): void {
    if (this.settled !== null) return;
    if (head <= lastSeq) {
      this.seen = null;
      return;
    }
    this.seen = { head, last: lastSeq, since: this.seen?.since ?? this.now() };
    if (this.now() - this.seen.since >= AHEAD_MS) this.settled = this.describe(this.seen);
  }

  /** Why this node refuses publishes and is not ready (the stream is behind its replica), or null. */
  get problem(): string | null {
    return this.settled ?? (this.seen === null ? null : this.describe(this.seen));
  }

  /** A line for the log once the stream counts as behind for good; null before that and after the first. */
  change(): string | null {
    if (this.settled === null || this.told) return null;
    this.told = true;
    return this.settled;
  }

  private describe({ head, last }: Seen): string {
    return (
      `this node's replica holds offsets up to ${head} but stream ${this.stream} ends at sequence ${last}: the stream ` +
      `lost messages this node applied (a store restored from a backup, or writes lost in a crash), so offsets ` +
      `${last + 1}-${head} here are in no stream and the stream gives them to the next publishes; this node refuses ` +
      `publishes: read those events (GET /events?after_offset=${last}) if they must be published again, then stop ` +
      'it, delete its DATABASE_PATH file and start it again to rebuild the replica from the stream'
    );
  }
}
