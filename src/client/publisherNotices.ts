/** What a Publisher tells its `onNotice` about its connection, for logs and for moving to another node. */
export interface PublisherNotice {
  /**
   * `reconnecting`: the socket closed or was presumed dead, with events unacknowledged; `resumed`: a socket is open
   * again after that; `retrying`: the server refused a message as retryable (a 503 or a full queue, say).
   */
  readonly kind: 'reconnecting' | 'resumed' | 'retrying';
  readonly message: string;
}

/** A delay as whole milliseconds, never below 0. Hint: the pause left is read off a fractional clock (`58.93930499999988 ms`). */
function wholeMs(ms: number): number {
  return Math.max(0, Math.round(ms));
}

/**
 * The notices of one Publisher. Why (probe): it retried inside with nothing said until a publish timed out, 120 s
 * later by default, so the README's advice (on a connection error or a 503, move to the next node) could not be
 * followed, while a subscriber said `reconnecting` at each attempt.
 */
export class PublisherNotices {
  private lostFor: string | null = null;

  /** `threw` gets what `onNotice` throws (the publisher fails its publishes with it, as for any throw of its own). */
  constructor(
    private readonly onNotice: ((notice: PublisherNotice) => void) | undefined,
    private readonly threw: (error: unknown) => void,
  ) {}

  /** The socket is gone (`reason`) with `unacknowledged` events; the next attempt is in `delayMs`. */
  lost(reason: string, delayMs: number, unacknowledged: number): void {
    this.lostFor = reason;
    this.tell(
      'reconnecting',
      `${reason}; reconnecting in ${wholeMs(delayMs)} ms with ${unacknowledged} event(s) not acknowledged yet`,
    );
  }

  /** A socket opened: `resumed` when one was lost before it. */
  opened(): void {
    if (this.lostFor === null) return;
    const was = this.lostFor;
    this.lostFor = null;
    this.tell('resumed', `connected again after: ${was}`);
  }

  /** The server refused a message as retryable (`reason`); it is sent again in `delayMs`. */
  refused(reason: string, delayMs: number): void {
    this.tell('retrying', `${reason}; sending again in ${wholeMs(delayMs)} ms`);
  }

  private tell(kind: PublisherNotice['kind'], message: string): void {
    if (this.onNotice === undefined) return;
    try {
      this.onNotice({ kind, message });
    } catch (error) {
      this.threw(error);
    }
  }
}
