/** What the total needs of one producer connection: its unread acks now. */
export interface BacklogHolder {
  readonly backlogBytes: number;
}

/**
 * The unread /ws/publish acks of every producer together, against MAX_ACK_BACKLOG_TOTAL_BYTES. Why: each producer
 * is bounded alone (MAX_ACK_BACKLOG_BYTES), but 45 producers that stopped reading, from three addresses, held 4 GB of
 * acks and the server died of V8's heap limit; past the total, the producer holding the most is closed.
 *
 * Callers report each change of a holder's backlog through `changed` (its backlog before a fill or a flush; no closure
 * per ack), so the sum is kept without a scan; finding the largest holder scans, but only past the bound.
 */
export class AckBacklogTotal<H extends BacklogHolder> {
  private readonly holders = new Set<H>();
  private sum = 0;

  constructor(readonly limit: number) {}

  /** Bytes of unread acks held for every open producer. */
  get bytes(): number {
    return this.sum;
  }

  opened(holder: H): void {
    this.holders.add(holder);
  }

  /** The holder's backlog was `before` until a fill or a flush just now: count the difference. */
  changed(holder: H, before: number): void {
    if (this.holders.has(holder)) this.sum += holder.backlogBytes - before;
  }

  /** The holder is closed: what it still holds no longer counts, and later fills (commits in flight) neither. */
  closed(holder: H): void {
    if (this.holders.delete(holder)) this.sum -= holder.backlogBytes;
  }

  /** The holder with the most unread acks when the total is past its bound, else null. */
  overBound(): H | null {
    if (this.sum <= this.limit) return null;
    let largest: H | null = null;
    for (const holder of this.holders)
      if (largest === null || holder.backlogBytes > largest.backlogBytes) largest = holder;
    return largest;
  }
}
