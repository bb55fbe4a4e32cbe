/**
 * How long the stream must go on ending below this replica's head before that counts for good (until a rebuild).
 * Hint: a stream leader just elected may answer before it applied the last entries its predecessor acked (it commits
 * them with its first append), so one answer below the head is not yet a lost tail.
 */
export const AHEAD_MS = 3_000;
/** Pause between the stream info requests that confirm or clear an answer below the head, while publishes wait. */
export const RECHECK_MS = 50;

/** What ReplicaAhead reads of a stream info answer: the last sequence, and who answered (absent: not clustered). */
export interface StreamAnswer {
  readonly state: { readonly last_seq: number };
  readonly cluster?: { readonly name?: string; readonly leader?: string };
}

/** The first answer below the head of a wait: the head then, the stream's last sequence as last answered, and when. */
interface Seen {
  readonly head: number;
  last: number;
  readonly since: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Whether this replica holds offsets its stream does not: its head above the stream's last sequence, under the same
 * epoch. The stream then lost messages this node applied (a store restored from a backup, or a tail lazy fsync lost in
 * a crash): those offsets are in no stream, and the stream gives them to the next publishes, which no replica holding
 * them would apply. Before, the node stayed ready and served them, and each publish waited 10 s for a 503 "may be in
 * the log". Told by the stream's state at start, before every consumer made, every second, when the audit finds an
 * offset the leader no longer serves, and while publishes wait (settle).
 *
 * Hint: while an answer below the head is not confirmed (AHEAD_MS), publishes wait (nothing is sent), not let through:
 * on every node that applied a lost tail, publishes let through would soon give the stream a last sequence beyond the
 * heads again, and the loss would never be told. They used to be refused with a 503 at once: under plain bulk load on
 * a healthy cluster, 0-16 times a run (see observe).
 */
export class ReplicaAhead {
  private seen: Seen | null = null;
  private settled: string | null = null;
  private told = false;
  private settling: Promise<string | null> | null = null;

  constructor(
    private readonly stream: string,
    private readonly now: () => number = Date.now,
    private readonly pause: (ms: number) => Promise<void> = sleep,
  ) {}

  /**
   * The stream answered `answer` to a request sent when this replica held offsets up to `head`. An answer below the
   * head starts a wait, which ends when a later answer reaches that head, and is confirmed once the stream still ends
   * below it AHEAD_MS later.
   *
   * Hint: why that head, not the head by the later answer. A probe (nats-server 2.9.10, 3 servers, two nodes taking
   * batches of 1,000, no fault) had the stream's leader answer that it ended at 35668 while the node's replica held
   * 35901, fed by a consumer on a follower, and at 37346 a moment later: a follower may apply a committed entry before
   * the leader does, and under load a replica fed that way keeps moving ahead of the leader's answers. An answer that
   * names no leader is not counted: nats-server answers stream info from a member that sees no leader (an election
   * under way, or a heartbeat missed on a loaded machine) out of its own copy. StreamAvailability judges those.
   */
  observe(head: number, answer: StreamAnswer): void {
    if (this.settled !== null || (answer.cluster?.name !== undefined && !answer.cluster.leader)) return;
    const lastSeq = answer.state.last_seq;
    if (this.seen === null) {
      if (head > lastSeq) this.seen = { head, last: lastSeq, since: this.now() };
      return;
    }
    if (lastSeq >= this.seen.head) {
      this.seen = null;
      return;
    }
    this.seen.last = lastSeq;
    if (this.now() - this.seen.since >= AHEAD_MS) this.settled = this.describe(this.seen);
  }

  /** Whether an answer below the head waits to be confirmed or cleared (publishes wait for settle meanwhile). */
  get pending(): boolean {
    return this.seen !== null && this.settled === null;
  }

  /** Why this replica holds offsets no stream holds, once that is confirmed (for good; publishes refused); null before. */
  get confirmed(): string | null {
    return this.settled;
  }

  /**
   * Why a publish is refused, once no answer below the head waits: `ask` (a stream info request, told here) is made
   * every RECHECK_MS until an answer confirms or clears the wait; null when cleared. When no answer does within
   * AHEAD_MS (the stream does not answer, or no leader does), the wait's reason; once `running` turns false (the
   * node stops), that nothing was published. One loop serves every caller.
   */
  settle(ask: () => Promise<unknown>, running: () => boolean = () => true): Promise<string | null> {
    if (!this.pending) return Promise.resolve(this.settled);
    this.settling ??= this.recheck(ask, running).finally(() => {
      this.settling = null;
    });
    return this.settling;
  }

  /** A line for the log once the stream counts as behind for good; null before that and after the first. */
  change(): string | null {
    if (this.settled === null || this.told) return null;
    this.told = true;
    return this.settled;
  }

  private async recheck(ask: () => Promise<unknown>, running: () => boolean): Promise<string | null> {
    const until = this.now() + AHEAD_MS + RECHECK_MS;
    while (this.pending && this.now() < until) {
      await this.pause(RECHECK_MS);
      // Hint (review): a stopped node's asks fail at once, and the loop asked 60 times over 3 s before answering.
      if (!running()) return 'log is closed; nothing was published, retry';
      await ask();
    }
    return this.settled ?? (this.seen === null ? null : this.unsettled(this.seen));
  }

  private unsettled({ head, last }: Seen): string {
    return (
      `stream ${this.stream} answered that it ends at sequence ${last}, below this node's replica (offsets up to ` +
      `${head}), and no answer from its leader confirmed or cleared that within ${AHEAD_MS / 1_000} s: nothing was ` +
      'published, retry'
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
