/** How often a consumer that keeps failing is mentioned again, with a count (ms). */
export const REMIND_MS = 30_000;

/**
 * What a consumer failure means for the operator, where the server's words do not say. Why (probe): a stream made
 * with max_consumers below the node count left the extra node logging "maximum consumers limit reached" and ready
 * until its stall was noticed, naming neither the setting nor that it cannot be changed.
 */
export function consumerFailureReason(message: string, stream: string): string {
  if (!/maximum consumers limit/i.test(message)) return message;
  return (
    `${message}: stream ${stream} has max_consumers set, and every node following it needs one consumer (two for a ` +
    "moment while it makes one again); a stream's max_consumers cannot be changed: run fewer nodes on it, or move " +
    'the log to a stream made without it'
  );
}

/**
 * The log lines of the replica's consumer failing and being made again (every 250 ms while it fails). Why: during a
 * quorum loss each node logged the same `recreating the consumer` warning 205 times in 60 s. Now: each reason the
 * first time it is seen in an outage, then a count at most every REMIND_MS, and one line when a consumer is made again.
 */
export class ConsumerNotices {
  private run: { readonly since: number; saidAt: number; failures: number; unsaid: number; last: string } | null = null;
  private readonly seen = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** What a readiness reason adds while the consumer fails: why ('' while it delivers). */
  get cause(): string {
    return this.run === null ? '' : `; its consumer cannot be made: ${this.run.last}`;
  }

  /** Making or running the consumer failed with `reason`: the line to log now, or null. */
  failed(reason: string): string | null {
    const now = this.now();
    this.run ??= { since: now, saidAt: now, failures: 0, unsaid: 0, last: reason };
    const run = this.run;
    run.failures++;
    run.last = reason;
    if (!this.seen.has(reason)) {
      this.seen.add(reason);
      run.saidAt = now;
      run.unsaid = 0;
      return `replica feed: ${reason}; recreating the consumer (retrying every 250 ms, repeats counted)`;
    }
    run.unsaid++;
    if (now - run.saidAt < REMIND_MS) return null;
    const line =
      `replica feed: still cannot keep a consumer: ${run.unsaid} more failure(s) in the last ` +
      `${Math.round((now - run.saidAt) / 1_000)} s (last: ${reason}); recreating it`;
    run.saidAt = now;
    run.unsaid = 0;
    return line;
  }

  /** A consumer was made and delivers: a line when it had failed before, or null. */
  recovered(): string | null {
    const run = this.run;
    if (run === null) return null;
    this.run = null;
    this.seen.clear();
    const seconds = Math.round((this.now() - run.since) / 1_000);
    return `replica feed: consumer made again after ${run.failures} failure(s) over ${seconds} s (last: ${run.last})`;
  }
}
