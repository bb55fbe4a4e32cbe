/**
 * An order-independent fingerprint of a set of offsets: count, sum and a sum of mixed hashes. Two sets with equal
 * tallies are, for any realistic fault (a lost, duplicated or misrouted event), the same set.
 */
export interface OffsetTally {
  count: number;
  sum: number;
  hash: number;
}

export function emptyTally(): OffsetTally {
  return { count: 0, sum: 0, hash: 0 };
}

/** Add one offset to a tally. */
export function addOffset(tally: OffsetTally, offset: number): void {
  let x = Math.imul((offset ^ (offset >>> 16)) >>> 0, 0x45d9f3b);
  x = Math.imul((x ^ (x >>> 16)) >>> 0, 0x45d9f3b);
  x = (x ^ (x >>> 16)) >>> 0;
  tally.count++;
  tally.sum += offset;
  tally.hash = (tally.hash + x) % 4294967296;
}

export function sameTally(a: OffsetTally, b: OffsetTally): boolean {
  return a.count === b.count && a.sum === b.sum && a.hash === b.hash;
}
