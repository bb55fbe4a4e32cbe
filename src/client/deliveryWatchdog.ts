import { PublishTimeoutError } from './errors.js';
import type { PublishQueue } from './publishQueue.js';
import type { Scheduler, TimerHandle } from './scheduler.js';

/** What a timeout's `last:` adds when a socket opened after the trouble it names, with no ack since. */
const RECONNECTED = '; connected again since, with no acknowledgement';

/**
 * Enforces a publisher's `deliveryTimeoutMs`, even while its socket stays silent: one timer at the earliest unsettled
 * deadline. Hint: its own timer, apart from the publisher's linger/backoff timer, which `connect()` reads as "a
 * reconnect is scheduled".
 */
export class DeliveryWatchdog {
  private timer: TimerHandle | null = null;
  private at = Number.POSITIVE_INFINITY;
  private readonly scheduler: Scheduler;
  private readonly timeoutMs: number;
  /** What went wrong since the last ack (a refused connect, a retryable refusal), for the timeout's message. */
  private trouble: string | null = null;

  /**
   * `onDue(stale, reason)` runs when a deadline has passed or the connection is presumed dead (`stale`: `deadAt()`,
   * when that will be, has come); `reason` is for the PublishTimeoutError.
   */
  constructor(
    options: { readonly scheduler: Scheduler; readonly deliveryTimeoutMs: number },
    private readonly queue: PublishQueue,
    private readonly onDue: (stale: boolean, reason: string) => void,
    private readonly deadAt: () => number = () => Number.POSITIVE_INFINITY,
  ) {
    this.scheduler = options.scheduler;
    this.timeoutMs = options.deliveryTimeoutMs;
  }

  /** Make sure the watchdog fires by `deadline` (Infinity: nothing to watch). */
  armBy(deadline: number): void {
    if (deadline >= this.at || deadline === Number.POSITIVE_INFINITY) return;
    this.stop();
    this.at = deadline;
    // Hint: Node runs a timer longer than 2^31-1 ms after 1 ms; capped, a far deadline only re-arms when it fires.
    const delay = Math.min(Math.max(0, deadline - this.scheduler.now()), 2_147_483_647);
    this.timer = this.scheduler.setTimeout(() => this.fire(), delay);
  }

  /** Disarm (nothing unsettled, or the publisher is closed): an idle publisher holds no timer. */
  stop(): void {
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    this.at = Number.POSITIVE_INFINITY;
  }

  /** Fail the units past their deadline, naming `reason` (what went wrong last, remembered for later ones). */
  expire(reason: string): void {
    this.trouble = reason;
    this.queue.expire(this.scheduler.now(), (unit) => this.timeoutError(reason, unit.ids));
  }

  /**
   * A socket opened: earlier trouble is no longer the whole story. Hint (probe): a node that came back and held
   * publishes while catching up timed them out as "last: closed 1006 connect ECONNREFUSED", though it was up.
   */
  connected(): void {
    if (this.trouble !== null && !this.trouble.endsWith(RECONNECTED)) this.trouble = `${this.trouble}${RECONNECTED}`;
  }

  /** An ack came: earlier trouble no longer explains a later timeout. */
  acknowledged(): void {
    this.trouble = null;
  }

  /** The error of a publish not acknowledged by its deadline, with its events' producer ids (none: never sent). */
  timeoutError(reason: string, ids: readonly string[] = []): PublishTimeoutError {
    return new PublishTimeoutError(`not acknowledged within ${this.timeoutMs} ms (last: ${reason})`, ids);
  }

  private fire(): void {
    this.timer = null;
    this.at = Number.POSITIVE_INFINITY;
    const now = this.scheduler.now();
    const stale = this.deadAt() <= now;
    // Hint: the unit it was armed for may have settled since; then this firing only re-arms (an O(n) scan).
    if (stale || this.queue.earliestDeadline() <= now)
      this.onDue(stale, this.trouble ?? `no acknowledgement within ${this.timeoutMs} ms`);
    this.armBy(Math.min(this.queue.earliestDeadline(), this.deadAt()));
  }
}
