import { type BackoffOptions, backoffDelay } from './backoff.js';
import { SubscriptionRejectedError } from './errors.js';

/** What a subscription does after its socket closed: give up with an error, or reconnect after a delay. */
export type ClosePlan = { readonly fatal: Error } | { readonly delayMs: number };

/** Decide from the close code, the reason (or socket error text) and any refusal the server sent before its ack. */
export function closePlan(
  code: number,
  reason: string,
  refusal: string | null,
  attempt: number,
  backoff: BackoffOptions = {},
  random?: () => number,
): ClosePlan {
  if (/\b401\b/.test(reason)) return { fatal: new SubscriptionRejectedError(`unauthorized: ${reason}`) };
  if (refusal !== null && code !== 1013) return { fatal: new SubscriptionRejectedError(refusal) };
  // Hint: 1013 and 429 mean the server is full: start the backoff higher than for a restart (1001), 4008 or a drop.
  const crowded = code === 1013 || /\b429\b/.test(reason);
  return {
    delayMs: backoffDelay(
      attempt,
      crowded ? { ...backoff, initialMs: Math.max(1_000, backoff.initialMs ?? 0) } : backoff,
      random,
    ),
  };
}

/** The `reconnecting` notice for a planned reconnect, from offset `next` (null: the head). */
export function reconnectingMessage(code: number, reason: string, delayMs: number, next: number | null): string {
  return `closed ${code}${reason === '' ? '' : ` (${reason})`}; reconnecting in ${delayMs} ms from offset ${next ?? 'head'}`;
}

/** Calls `onIdle` when `touch` has not been called for `ms` (0: never). */
export class IdleWatchdog {
  private timer: unknown = null;
  constructor(
    private readonly scheduler: {
      setTimeout(fn: () => void, ms: number): unknown;
      clearTimeout(handle: unknown): void;
    },
    private readonly ms: number,
  ) {}

  /** Restart the countdown. */
  touch(onIdle: () => void): void {
    if (this.ms <= 0) return;
    this.stop();
    this.timer = this.scheduler.setTimeout(onIdle, this.ms);
  }

  /** Cancel the countdown. */
  stop(): void {
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
  }
}
