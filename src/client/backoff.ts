import { BACKOFF_KINDS, checkKinds, checkNumbers } from './optionChecks.js';

/** Reconnect and retry pacing: capped exponential backoff with jitter. */
export interface BackoffOptions {
  /** First delay, in ms (default 100; at least 1). */
  readonly initialMs?: number;
  /** Largest delay, in ms (default 5000; at least 10). */
  readonly maxMs?: number;
}

/** The shortest delays the options may set, in ms: the first, and the largest (the cap every retry reaches). */
export const MIN_BACKOFF_MS = { initialMs: 1, maxMs: 10 } as const;

/**
 * Throw a TypeError naming an unknown or mistyped `backoff` option (checkKinds), or a RangeError naming one that is
 * not a duration (checkNumbers) or below MIN_BACKOFF_MS. Hint: 0 (or 0.5, which rounds to 0) turned backoff off, and
 * a client reconnected to a down server about 210 times a second; a `maxMs` of 1 did the same (a timer of 0 or 1 ms
 * fires after about 1 ms), 282 times a second. At 10 ms a down server is asked at most about 100 times a second.
 */
export function checkBackoffOptions(backoff: BackoffOptions | undefined): void {
  if (backoff === undefined) return;
  checkKinds(backoff, BACKOFF_KINDS, 'backoff', 'backoff.');
  checkNumbers(backoff, { initialMs: 'timer', maxMs: 'timer' }, 'backoff.');
  for (const name of ['initialMs', 'maxMs'] as const) {
    const value = backoff[name];
    const least = MIN_BACKOFF_MS[name];
    if (value !== undefined && value < least)
      throw new RangeError(
        `backoff.${name}: must be at least ${least} ms (less lets a client reconnect to a down server hundreds of times a second), got ${value}`,
      );
  }
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

/**
 * A publisher's retry pacing: each reconnect and each retry pause takes the next backoff step, and an ack starts
 * them over. Hint: one attempt count for both, so a server that keeps refusing is asked ever less often either way.
 */
export class RetryPacing {
  private attempt = 0;
  private pausedUntil = 0;

  constructor(
    private readonly now: () => number,
    private readonly options: BackoffOptions | undefined,
    private readonly random: () => number,
  ) {}

  /** The delay before the next reconnect. */
  nextDelay(): number {
    return backoffDelay(this.attempt++, this.options, this.random);
  }

  /**
   * The server asked for a retry: pause sending one step. Hint: a full pipeline is refused at once; one step answers
   * it all (a step each hit the cap at once).
   */
  pause(): void {
    const now = this.now();
    if (now >= this.pausedUntil) this.pausedUntil = now + this.nextDelay();
  }

  /** How long sending still waits (≤ 0: not paused). */
  pausedFor(): number {
    return this.pausedUntil - this.now();
  }

  /** An ack came: the next step is the first again. */
  acked(): void {
    this.attempt = 0;
  }
}
