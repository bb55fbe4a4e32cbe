// Types of rateSamples.js for its unit test (the page's files are plain JS; this file is not served).

/** A head offset and when it was read (ms). */
export interface HeadReading {
  readonly head: number;
  readonly at: number;
}

/** Events per second between two head readings; null when it cannot be known. */
export function headRate(earlier: HeadReading, later: HeadReading): number | null;

/** One rate a second, the last `size` of them. */
export class RateSamples {
  constructor(size: number);
  readonly values: readonly number[];
  observe(head: number, at: number): void;
  tick(): number | null;
}
