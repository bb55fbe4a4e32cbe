/** Percentiles of a latency distribution, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** 0.02 ms steps up to FINE_LIMIT ms, then 1 ms steps up to COARSE_LIMIT ms, then one overflow bucket. */
const FINE_STEP = 0.02;
const FINE_LIMIT = 50;
const COARSE_LIMIT = 120_000;
const FINE_BUCKETS = Math.round(FINE_LIMIT / FINE_STEP);
const BUCKETS = FINE_BUCKETS + (COARSE_LIMIT - FINE_LIMIT) + 1;

/** A fixed-bucket latency histogram: constant memory, mergeable across processes, percentiles to 0.02 ms below 50 ms. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const value = Math.max(ms, 0);
    const index =
      value < FINE_LIMIT
        ? Math.floor(value / FINE_STEP)
        : Math.min(BUCKETS - 1, FINE_BUCKETS + Math.floor(value - FINE_LIMIT));
    this.counts[index]!++;
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  /** Sparse form for IPC: [bucket, count] pairs plus totals. */
  toJSON(): SerializedHistogram {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, sum: this.sum, max: this.max };
  }

  merge(other: SerializedHistogram): void {
    for (const [index, count] of other.buckets) this.counts[index]! += count;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  static from(serialized: SerializedHistogram): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.merge(serialized);
    return histogram;
  }

  /** The upper edge of the bucket holding the p-th percentile (0 < p ≤ 100), capped at the exact max. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const upper = i < FINE_BUCKETS ? (i + 1) * FINE_STEP : FINE_LIMIT + (i - FINE_BUCKETS) + 1;
        return Math.min(upper, this.max);
      }
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      mean: this.count === 0 ? 0 : this.sum / this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
    };
  }
}

/** A histogram as it crosses the IPC channel. */
export interface SerializedHistogram {
  readonly buckets: [number, number][];
  readonly count: number;
  readonly sum: number;
  readonly max: number;
}

/** The middle of a few samples (the upper middle of an even count), 0 for none: how rounds of a run are compared. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
