import { type BackoffOptions, backoffDelay } from './backoff.js';
import { PublishRejectedError, SubscriptionRejectedError } from './errors.js';
import { answerOfText, fatalStatus, refusalText, type UpgradeAnswer } from './upgradeAnswer.js';
import { type SocketTarget, sentKey } from './webSocket.js';

/** What a subscription does after its socket closed: give up with an error, or reconnect after a delay. */
export type ClosePlan = { readonly fatal: Error } | { readonly delayMs: number };

/**
 * The HTTP status with which the server refused the WebSocket upgrade for good: 401 (API key) or 403 (Origin), else
 * null. Hint: only ws's exact pair counts (see answerOfText).
 */
export function upgradeRefusal(code: number, reasonOrErrorText: string): 401 | 403 | null {
  const status = fatalStatus(answerOfText(code, reasonOrErrorText), false);
  return status === 401 || status === 403 ? status : null;
}

/**
 * The HTTP status of a refused upgrade that no retry of the same URL will change (a 4xx other than 408 and 429:
 * 404 when nothing serves the path), else null. Same exact-pair rule as upgradeRefusal.
 */
export function upgradeClientError(code: number, reasonOrErrorText: string): number | null {
  return fatalStatus(answerOfText(code, reasonOrErrorText), true);
}

/**
 * The error of every queued publish when the upgrade was refused for good (fatalStatus), naming what was refused and
 * the server's reason. Hint: a refused key, Origin or URL will not change by retrying; fail now rather than at the
 * delivery timeout.
 */
export function connectionRefused(answer: UpgradeAnswer, target: Omit<SocketTarget, 'url'> = {}): PublishRejectedError {
  const hint = answer.status === 401 || answer.status === 403 ? keyPlaceHint(answer, target) : NO_CONNECTION;
  return new PublishRejectedError(`${refusalText(answer)}${hint}`, answer.status);
}

const NO_CONNECTION = ', and no connection has been made: check the url option';

/**
 * For an unmarked 401 to a key sent in Sec-WebSocket-Protocol, where else the key may have to go; else ''. Hint: a
 * server of this project from before 2026-12-04 (5e7bc6a) reads the key only from `?api_key=` and answers the protocol
 * with a 401 it does not mark. The key is not resent in the query unasked: whatever answered would get it in its URL.
 */
export function keyPlaceHint(answer: UpgradeAnswer, target: Omit<SocketTarget, 'url'>): string {
  const inProtocol = sentKey(target.apiKey) !== '' && target.apiKeyIn !== 'query';
  return answer.status === 401 && answer.unmarked === true && inProtocol ? KEY_IN_QUERY : '';
}

const KEY_IN_QUERY =
  "; a server of this project older than 2026-12-04 23:01 UTC reads the key only from ?api_key= (apiKeyIn: 'query')";

/** An error the server sent instead of its subscription ack; `retryable` when it asked to be tried again later. */
export interface Refusal {
  readonly message: string;
  readonly retryable: boolean;
}

/** An error frame before the ack as a Refusal: "at capacity" or marked retryable means retry later; others are final. */
export function refusalOf(message: string, retryable: boolean): Refusal {
  return { message, retryable: retryable || /capacity/i.test(message) };
}

/**
 * Decide from the close code, the reason (or socket error text) and any refusal the server sent before its ack.
 * `neverSubscribed`: no ack has come, in this process or before the saved position (the subscription has no epoch).
 */
export function closePlan(
  code: number,
  reason: string,
  refusal: Refusal | null,
  attempt: number,
  options: { readonly backoff?: BackoffOptions; readonly random?: () => number } & Omit<SocketTarget, 'url'> = {},
  neverSubscribed = false,
  upgrade = answerOfText(code, reason),
): ClosePlan {
  // Hint: a refused key or Origin cannot change by reconnecting; nor can a 404 before any subscription (a wrong URL,
  // not a restart). Once subscribed, a proxy that answers 404 while the server redeploys is waited out like a drop.
  const { backoff = {}, random } = options;
  const status = fatalStatus(upgrade, neverSubscribed);
  if (upgrade !== null && status !== null) {
    const hint =
      status === 401 || status === 403
        ? keyPlaceHint(upgrade, options)
        : ', and no subscription has been made: check the url option';
    return { fatal: new SubscriptionRejectedError(`${refusalText(upgrade)}${hint}`, status) };
  }
  if (refusal !== null && !refusal.retryable) return { fatal: new SubscriptionRejectedError(refusal.message) };
  // Hint: 1013, 429 and a retryable refusal mean "later": start the backoff higher than for a restart (1001), 4008
  // or a drop. The refusal decides, not the code: a server that dies, or a proxy, can end it with 1006 or 1011.
  const crowded = code === 1013 || /\b429\b/.test(reason) || refusal !== null || upgrade?.status === 429;
  const delayMs = backoffDelay(
    attempt,
    crowded ? { ...backoff, initialMs: Math.max(1_000, backoff.initialMs ?? 0) } : backoff,
    random,
  );
  // Hint: a server that said when to come back (Retry-After) is not asked before then.
  return { delayMs: Math.max(delayMs, upgrade?.retryAfterMs ?? 0) };
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
