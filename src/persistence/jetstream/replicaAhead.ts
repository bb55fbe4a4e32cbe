/**
 * How long the stream must go on ending below this replica's head before that counts for good (until a rebuild).
 * Hint: a stream leader just elected may answer before it applied the last entries its predecessor acked (it commits
 * them with its first append), so one answer below the head is not yet a lost tail; it is refused meanwhile all the same.
 */
export const AHEAD_MS = 3_000;

/** What ReplicaAhead reads of a stream info answer: the last sequence, and who answered (absent: not clustered). */
export interface StreamAnswer {
  readonly state: { readonly last_seq: number };
  readonly cluster?: { readonly name?: string; readonly leader?: string };
}

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
 *
 * Hint: while it is not confirmed (AHEAD_MS), publishes are refused all the same, saying so: on every node that applied
 * a lost tail, publishes let through would soon give the stream a last sequence beyond the heads again, and the loss
 * would never be told. Why the wait is told apart: a producer got, within a normal leader failover, a 503 telling it
 * to delete the node's replica.
 */
export class ReplicaAhead {
  private seen: Seen | null = null;
  private settled: string | null = null;
  private told = false;

  constructor(
    private readonly stream: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The stream answered `answer` to a request sent when this replica held offsets up to `head`. Hint: an answer that
   * names no leader is not counted: nats-server answers stream info from a member that sees no leader (an election
   * under way, or a heartbeat missed on a loaded machine) out of its own copy, which may lag what the leader served
   * this replica. StreamAvailability judges those answers.
   */
  observe(head: number, answer: StreamAnswer): void {
    if (this.settled !== null || (answer.cluster?.name !== undefined && !answer.cluster.leader)) return;
    const lastSeq = answer.state.last_seq;
    if (head <= lastSeq) {
      this.seen = null;
      return;
    }
    this.seen = { head, last: lastSeq, since: this.seen?.since ?? this.now() };
    if (this.now() - this.seen.since >= AHEAD_MS) this.settled = this.describe(this.seen);
  }

  /** Why this node refuses publishes and is not ready (the stream is behind its replica, or seems so), or null. */
  get problem(): string | null {
    return this.settled ?? (this.seen === null ? null : this.waiting(this.seen));
  }

  /** Why this replica holds offsets no stream holds, once that is confirmed (for good); null before. */
  get confirmed(): string | null {
    return this.settled;
  }

  /** A line for the log once the stream counts as behind for good; null before that and after the first. */
  change(): string | null {
    if (this.settled === null || this.told) return null;
    this.told = true;
    return this.settled;
  }

  private waiting({ head, last }: Seen): string {
    return (
      `stream ${this.stream} answered that it ends at sequence ${last}, below this node's replica (offsets up to ` +
      `${head}): waiting up to ${AHEAD_MS / 1_000} s to confirm it (a stream leader just elected may answer before it ` +
      'applied what its predecessor acked); this node refuses publishes meanwhile, retry'
    );
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
