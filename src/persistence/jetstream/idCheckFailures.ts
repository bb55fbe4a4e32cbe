import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { LogWriteError } from '../eventLog.js';

/** What a commit is refused with when the stream did not answer the check of its producer ids (see ClusterWrites). */
export const UNCONFIRMED_IDS = 'the stream did not answer whether a producer id is still in the log';
/** How long the same cause stays untold after it was logged, while it keeps recurring (ms). */
export const RETELL_MS = 30_000;
/** The most of a cause's text a line or a reply carries. */
const CAUSE_CHARS = 120;
const natsErrors: readonly (abstract new (...args: never[]) => Error)[] = [
  ...Object.values(errors),
  JetStreamError,
  JetStreamApiError,
];

/**
 * True for what the NATS client reports about the cluster's state (a timeout, no responders, a closed or draining
 * connection, JetStream's own refusal): expected in an election or an outage, and said in full by its message.
 */
export function isNatsError(error: Error): boolean {
  // Hint: the client's "jetstream is not enabled" (its answer to no responders) is not among its exported classes.
  return natsErrors.some((kind) => error instanceof kind) || error.name === 'JetStreamNotEnabled';
}

/**
 * The refusals of commits whose producer ids the stream did not confirm, each cause logged once. Why: a probe got
 * `503 … the stream did not answer whether a producer id is still in the log` about 2 s after a node restarted, the
 * cluster healthy and the retry successful, and no line said why. Now a NATS error is one warning line naming it (no
 * stack: it is the cluster's state, not a bug), repeated only when the cause changes or RETELL_MS after it was told,
 * and its message is in the reply; anything else is the refusal's `cause`, logged with its stack where the commit
 * failure is, and kept out of the reply.
 */
export class IdCheckFailures {
  private told: { readonly cause: string; readonly at: number } | null = null;

  constructor(
    private readonly onNotice: (message: string) => void,
    private readonly now: () => number,
  ) {}

  /** The stream answered a check: the next failure is told whatever its cause. */
  answered(): void {
    this.told = null;
  }

  /** The error to refuse the commit with, the stream having failed with `error` (nothing was published). */
  refusal(error: Error): LogWriteError {
    if (!isNatsError(error)) return new LogWriteError(UNCONFIRMED_IDS, { cause: error });
    const cause = error.message.replace(/\s+/g, ' ').slice(0, CAUSE_CHARS);
    const now = this.now();
    if (this.told === null || this.told.cause !== cause || now - this.told.at >= RETELL_MS) {
      this.told = { cause, at: now };
      this.onNotice(`${UNCONFIRMED_IDS} (${error.name}: ${cause}); the commit was refused with nothing sent, retry`);
    }
    return new LogWriteError(UNCONFIRMED_IDS, { reason: `${UNCONFIRMED_IDS}: ${cause}` });
  }
}
