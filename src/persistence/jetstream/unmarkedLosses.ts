import type { SqliteReplicaLog } from '../sqliteReplicaLog.js';

/** Sequences the stream lost without a recorded purge, and what this replica keeps of them (/stats, /metrics). */
export interface LostWithoutPurge {
  /** The first of them: the last cut DELETE /events recorded (see PurgeMarks). */
  readonly from: number;
  /** The last of them: the one below the stream's first sequence. */
  readonly to: number;
  /** The events this replica holds among them, and keeps (0: it holds none, which other nodes may keep). */
  readonly kept: number;
}

/** The line a replica logs when the stream's first sequence passed the recorded cut while it keeps events there. */
export function unmarkedLossLine({ from, to, kept }: LostWithoutPurge): string {
  return (
    `the stream's first sequence is ${to + 1}, beyond the last cut DELETE /events recorded (${from}): ` +
    `sequences ${from}-${to} left the stream without a purge of this pipeline (a NATS server ` +
    `fault, or a purge made outside it); this replica keeps the ${kept} event(s) it holds there and deletes none ` +
    'of them (README: "A replica deletes only what a DELETE asked for")'
  );
}

/**
 * The stream's first sequence beyond every recorded purge, as ReplicaFeed follows it: told once per first sequence
 * (when this replica keeps events there), and kept as figures until a recorded purge reaches it. Why the figures: in
 * a probe the warning line was the only sign (the node stays ready, its first offset does not move), so an operator
 * comparing /stats first_offset with the cut found nothing.
 */
export class UnmarkedLosses {
  /** The first sequence whose loss was last told. */
  private told = 0;
  private loss: LostWithoutPurge | null = null;

  constructor(
    private readonly replica: Pick<SqliteReplicaLog, 'holdsBetween' | 'recordsBelow'>,
    /** How far the replica may delete: the last recorded cut (ReplicaFeed's permit). */
    private readonly permit: () => number,
  ) {}

  /** The stream's first sequence is `firstSeq`: the line to log now, or null. */
  observe(firstSeq: number): string | null {
    const cut = this.permit();
    if (firstSeq <= cut) {
      this.loss = null;
      return null;
    }
    let loss = this.loss;
    // Hint: counted once per first sequence and cut (a COUNT over the replica), not at every poll.
    if (loss === null || loss.from !== cut || loss.to !== firstSeq - 1)
      loss = this.loss = { from: cut, to: firstSeq - 1, kept: this.keptBetween(cut, firstSeq) };
    if (firstSeq === this.told || loss.kept === 0) return null;
    this.told = firstSeq;
    return unmarkedLossLine(loss);
  }

  /** The loss as last observed, unless a recorded purge has reached past it since; null when none. */
  current(): LostWithoutPurge | null {
    return this.loss !== null && this.loss.to >= this.permit() ? this.loss : null;
  }

  private keptBetween(from: number, to: number): number {
    const { replica } = this;
    return replica.holdsBetween(from, to) ? replica.recordsBelow(to) - replica.recordsBelow(from) : 0;
  }
}
