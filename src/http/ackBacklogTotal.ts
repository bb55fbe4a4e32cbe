/** What the total needs of one producer connection: its unread acks now. */
export interface BacklogHolder {
  readonly backlogBytes: number;
}

/**
 * The unread /ws/publish acks of every producer together, against MAX_ACK_BACKLOG_TOTAL_BYTES. Why: each producer
 * is bounded alone (MAX_ACK_BACKLOG_BYTES), but 45 producers that stopped reading, from three addresses, held 4 GB of
 * acks and the server died of V8's heap limit. Past the total, the address holding the most loses the producer that
 * holds the most of it: one address with many producers (up to MAX_WS_CONNECTIONS_PER_IP, each under its own bound)
 * is closed before a single larger producer of another address.
 *
 * Callers report each change of a holder's backlog through `changed` (its backlog before a fill or a flush; no closure
 * per ack), so the sum is kept without a scan; finding the largest holder scans, but only past the bound.
 */
export class AckBacklogTotal<H extends BacklogHolder> {
  /** Each open holder and its client address. */
  private readonly holders = new Map<H, string>();
  private sum = 0;

  constructor(readonly limit: number) {}

  /** Bytes of unread acks held for every open producer. */
  get bytes(): number {
    return this.sum;
  }

  opened(holder: H, address: string): void {
    this.holders.set(holder, address);
  }

  /** The holder's backlog was `before` until a fill or a flush just now: count the difference. */
  changed(holder: H, before: number): void {
    if (this.holders.has(holder)) this.sum += holder.backlogBytes - before;
  }

  /** The holder is closed: what it still holds no longer counts, and later fills (commits in flight) neither. */
  closed(holder: H): void {
    if (this.holders.delete(holder)) this.sum -= holder.backlogBytes;
  }

  /** When the total is past its bound, the largest holder of the address holding the most; else null. */
  overBound(): H | null {
    if (this.sum <= this.limit) return null;
    const byAddress = new Map<string, number>();
    for (const [holder, address] of this.holders)
      byAddress.set(address, (byAddress.get(address) ?? 0) + holder.backlogBytes);
    let most: string | null = null;
    for (const [address, bytes] of byAddress) if (most === null || bytes > byAddress.get(most)!) most = address;
    let largest: H | null = null;
    for (const [holder, address] of this.holders)
      if (address === most && (largest === null || holder.backlogBytes > largest.backlogBytes)) largest = holder;
    return largest;
  }
}
