/** Reconnect and retry pacing: capped exponential backoff with jitter. */
export interface BackoffOptions {
  /** First delay, in ms (default 100). */
  readonly initialMs?: number;
  /** Largest delay, in ms (default 5000). */
  readonly maxMs?: number;
}

/** Delay before retry number `attempt` (0-based): half fixed, half random, so many clients do not retry in step. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 5_000;
  const cap = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + (cap / 2) * random());
}
