import { LogReplacedError } from './errors.js';
import type { LogReplacedChoice } from './subscribeOptions.js';
import type { SubscribedAck, SubscriptionNotice } from './subscriptionAck.js';

/** How the notice of a replaced log begins (the dashboard's tail empties on it: the old log's records are gone). */
export const LOG_REPLACED = 'log replaced';

/**
 * What a subscription does with the server's ack: fail on a replaced log, start over at `restart` on a replaced log
 * (as `onLogReplaced` chose), or go on from `next`, telling the consumer `notices`.
 */
export type AckPlan =
  | { readonly fatal: LogReplacedError }
  | { readonly restart: number; readonly notice: string }
  | { readonly next: number; readonly notices: readonly SubscriptionNotice[] };

/**
 * Decide from the ack, the epoch and offset the subscription expects (null: none yet) and the user's choice. On
 * `beyond_head` the server starts at its head + 1; under an epoch a server confirmed, everything below `next` was
 * received (or saved as handled) already, so `next` stays and what comes again below it is dropped, with the notice.
 */
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
      notice: `${LOG_REPLACED} (epoch ${epoch} → ${ack.epoch}); continuing ${onLogReplaced}`,
    };
  }
  const notices: SubscriptionNotice[] = [];
  let after = next ?? ack.head_offset + 1;
  if (ack.beyond_head !== undefined) {
    // Hint: with no epoch yet, `next` is only what the user asked for: start where the server does, as it says.
    const received = epoch === null || next === null ? 0 : next - 1;
    after = Math.max(ack.head_offset + 1, received + 1);
    const message = ack.beyond_head.message ?? 'from_offset beyond the head';
    // Hint: the same epoch behind what was received means the log went back (say, a backup restored after a kill -9):
    // offsets handed out again would be other events, so the notice says what it skips and why.
    const skipped =
      received > ack.head_offset
        ? `; offsets up to ${received} were received already under this epoch (the log went back; restored from an older copy?): skipped`
        : '';
    notices.push({ kind: 'beyond_head', message: message + skipped });
  }
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
