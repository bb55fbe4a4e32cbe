import { LogReplacedError } from './errors.js';
import type { LogReplacedChoice } from './subscribeOptions.js';
import type { SubscribedAck, SubscriptionNotice } from './subscriptionAck.js';

/**
 * What a subscription does with the server's ack: fail on a replaced log, start over at `restart` on a replaced log
 * (as `onLogReplaced` chose), or go on from `next`, telling the consumer `notices`.
 */
export type AckPlan =
  | { readonly fatal: LogReplacedError }
  | { readonly restart: number; readonly notice: string }
  | { readonly next: number; readonly notices: readonly SubscriptionNotice[] };

/** Decide from the ack, the epoch and offset the subscription expects (null: none yet) and the user's choice. */
export function ackPlan(
  ack: SubscribedAck,
  epoch: string | null,
  next: number | null,
  onLogReplaced: LogReplacedChoice,
  position: number,
): AckPlan {
  if (epoch !== null && ack.epoch !== epoch) {
    if (onLogReplaced === 'error') return { fatal: new LogReplacedError(epoch, ack.epoch, position) };
    return {
      restart: onLogReplaced === 'from-start' ? 1 : ack.head_offset + 1,
      notice: `log replaced (epoch ${epoch} → ${ack.epoch}); continuing ${onLogReplaced}`,
    };
  }
  const notices: SubscriptionNotice[] = [];
  let after = next === null || ack.beyond_head !== undefined ? ack.head_offset + 1 : next;
  if (ack.beyond_head !== undefined)
    notices.push({ kind: 'beyond_head', message: ack.beyond_head.message ?? 'from_offset beyond the head' });
  if (ack.retention?.truncated === true) {
    const first = ack.retention.first_available_offset;
    after = Math.max(after, first);
    notices.push({ kind: 'retention', message: ack.retention.message ?? `offsets before ${first} were deleted` });
  }
  return { next: after, notices };
}

/** What a restart on a replaced log dropped (records received and not handed out), for its notice. */
export const droppedText = (n: number): string =>
  n === 0 ? '' : `; ${n} received record(s) of the replaced log not handed out dropped`;
