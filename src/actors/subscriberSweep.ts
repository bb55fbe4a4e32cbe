import type { SubscriberContext } from './subscriber.js';
import type { SubscriberMode } from './subscriberMachine.js';

/** One sweep's facts, the same for every subscriber. */
export interface Tick {
  /** The scheduler's monotonic reading, as the subscriber's openedAt, stalledSince and lastActivity are. */
  readonly now: number;
  /** The highest offset routed to live subscribers: a live subscriber has been sent everything up to it. */
  readonly head: number;
  /** A checkpoint interval elapsed. */
  readonly checkpointDue: boolean;
  /** When a subscriber's topic last carried records (monotonic): a topic member's activity, not in its context. */
  readonly topicActivity?: (id: string) => number;
}

/** What the sweep asks of one subscriber. */
export type SweepDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'close'; readonly code: 4000 | 4008; readonly reason: string }
  | { readonly kind: 'send'; readonly checkpoint: number | null; readonly keepalive: boolean };

const NONE: SweepDecision = { kind: 'none' };

/**
 * Whole ms from `since` to `now` (monotonic readings), rounded up. Hint: a repeating timer fires up to a fraction of a
 * ms early as performance.now reads it (libuv's loop time is whole ms), so an interval equal to the sweep's (1 s)
 * was met at every other sweep only.
 */
export function elapsedMs(since: number, now: number): number {
  return Math.ceil(now - since);
}

/**
 * The four sweep rules for one subscriber: 4000 when no subscribe message came in time, 4008 when stalled past
 * the slow-consumer timeout, a checkpoint when due and asked for, a keepalive when idle.
 */
export function sweepDecision(mode: SubscriberMode, context: SubscriberContext, tick: Tick): SweepDecision {
  const { limits } = context.io;
  if (mode === 'closed') return NONE;
  if (mode === 'awaitingConfig' && tick.now - context.openedAt > limits.subscribeTimeoutMs) {
    return { kind: 'close', code: 4000, reason: 'no subscribe message within 10 s' };
  }
  if (context.stalledSince !== null && tick.now - context.stalledSince > limits.slowConsumerTimeoutMs) {
    return { kind: 'close', code: 4008, reason: `slow consumer; resume with from_offset=${context.nextOffset}` };
  }
  const checkpoint =
    tick.checkpointDue && context.checkpoints && mode !== 'awaitingConfig' && mode !== 'confirming'
      ? checkpointOffset(mode, context, tick)
      : null;
  const lastActivity = context.onTopic
    ? Math.max(context.lastActivity, tick.topicActivity?.(context.id) ?? 0)
    : context.lastActivity;
  const keepalive = elapsedMs(lastActivity, tick.now) >= limits.keepaliveMs;
  return checkpoint === null && !keepalive ? NONE : { kind: 'send', checkpoint, keepalive };
}

/** Live: everything routed so far (even when nothing matched); otherwise the last offset written. */
function checkpointOffset(mode: SubscriberMode, context: SubscriberContext, tick: Tick): number {
  return mode === 'live' ? Math.max(tick.head, context.nextOffset - 1) : context.nextOffset - 1;
}
