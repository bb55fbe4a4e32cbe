import { describeFilter, type ErrorMessage, errorMessage, type SubscribedMessage } from './serverMessages.js';
import type { SubscribeRequest } from './subscribeMessage.js';

/** Where the log stands when a subscription starts. `firstOffset` is read only when the client asked to replay. */
export interface LogPosition {
  readonly head: number;
  /**
   * The highest offset known to exist (≥ head; more on a cluster node whose replica is behind the stream). A
   * from_offset up to known + 1 starts there: live delivery skips what comes before it, so nothing is sent twice.
   */
  readonly known?: number;
  readonly epoch: string;
  firstOffset(): number;
}

/** The subscribed ack and the offset delivery starts at (replay when `start <= head`, else live). */
export interface SubscriptionStart {
  readonly ack: SubscribedMessage;
  readonly start: number;
}

/**
 * The subscription's ack, with the log's head and epoch and any retention gap, and where delivery starts.
 * A from_offset beyond the head starts at the head + 1 (the ack says so), so checkpoints never fall below it; but one
 * within what is known to exist (a cluster node still applying the stream) starts where it asked.
 */
export function subscriptionStart(
  subscriberId: string,
  request: SubscribeRequest,
  log: LogPosition,
  ignored: readonly string[],
): SubscriptionStart {
  const { head, epoch } = log;
  const base = {
    status: 'subscribed',
    subscriber_id: subscriberId,
    filters: describeFilter(request.filter),
    head_offset: head,
    epoch,
  } as const;
  const withIgnored = (ack: SubscribedMessage): SubscribedMessage => (ignored.length > 0 ? { ...ack, ignored } : ack);
  const requested = request.from_offset;
  if (requested === null) return { ack: withIgnored(base), start: head + 1 };
  const start = Math.max(1, requested);
  if (start > head + 1 && start <= (log.known ?? head) + 1)
    return { ack: withIgnored({ ...base, from_offset: requested }), start };
  if (start > head + 1) {
    const beyond_head = {
      requested_from_offset: requested,
      message: `from_offset ${requested} is beyond the head (${head}); starting at ${head + 1}`,
    };
    return { ack: withIgnored({ ...base, from_offset: head + 1, beyond_head }), start: head + 1 };
  }
  const first = log.firstOffset();
  // Hint: offsets start at 1, so from_offset 0 on a never-trimmed log has lost nothing.
  if (start < first && start <= head) {
    // Hint: the range from where it asked, so a reader resuming from its last offset + 1 learns what it missed.
    const gap = start === first - 1 ? `offset ${start} was` : `offsets ${start}-${first - 1} were`;
    const message = `${gap} deleted by retention; replay starts at ${first}`;
    return {
      ack: withIgnored({
        ...base,
        from_offset: requested,
        retention: { truncated: true, first_available_offset: first, message },
      }),
      // Hint: from the first offset, so replay does not report the gap this ack reports.
      start: first,
    };
  }
  return { ack: withIgnored({ ...base, from_offset: requested }), start };
}

/**
 * True when `request` asks beyond what `log` knows to exist (from_offset > known + 1). A cluster node's view may be
 * stale (its replica behind, its NATS connection down), so it asks its stream before it answers such a subscription.
 */
export function asksBeyondKnown(request: SubscribeRequest, log: Pick<LogPosition, 'head' | 'known'>): boolean {
  return request.from_offset !== null && request.from_offset > (log.known ?? log.head) + 1;
}

/** The close code of a subscription whose from_offset the stream could not confirm: try again later, as at capacity. */
export const CLOSE_UNCONFIRMED = 1013;

/** The refusal of a subscription whose from_offset the stream could not confirm: this error, then CLOSE_UNCONFIRMED. */
export function unconfirmedStart(
  requested: number,
  known: number,
  reason: string,
): { readonly reply: ErrorMessage; readonly closeReason: string } {
  const message =
    `cannot confirm from_offset ${requested} with the stream (${reason}); this node knows offsets up to ${known}, ` +
    'and starting there could send records twice: nothing was subscribed, retry (here or on another node)';
  return {
    reply: errorMessage(message, { retryable: true }),
    closeReason: `cannot confirm from_offset ${requested} with the stream; retry`,
  };
}
