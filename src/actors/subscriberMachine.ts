import { type AnyActorRef, assign, enqueueActions, setup } from 'xstate';
import type { AheadFrame, FrameStream } from '../persistence/eventLog.js';
import type { EventFilter } from '../protocol/eventFilter.js';
import type { StoredEvent } from '../protocol/eventRecord.js';
import {
  checkpoint,
  type FiltersUpdatedMessage,
  isErrorMessage,
  KEEPALIVE,
  type ServerMessage,
  SUBSCRIBE_REFUSED,
  type SubscribedMessage,
} from '../protocol/serverMessages.js';
import { type AheadListener, stopAhead, withArrival } from './replayAhead.js';
import { endSocket, type SubscriberContext, type SubscriberIo, writeControl, writeLive } from './subscriber.js';
import { replaySlice } from './subscriberReplay.js';
import { sweepDecision, type Tick } from './subscriberSweep.js';

/** The states of a subscriber connection. */
export type SubscriberMode = 'awaitingConfig' | 'confirming' | 'replaying' | 'live' | 'lagging' | 'closed';

/** A validated subscribe message, planned against the log: where to start and the ack to send. */
export interface SubscriptionPlan {
  readonly filter: EventFilter;
  readonly batch: boolean;
  readonly checkpoints: boolean;
  /** First offset to deliver. */
  readonly start: number;
  /** True when `start` is at or below the head: replay first. */
  readonly replay: boolean;
  readonly ack: SubscribedMessage;
}

/** Everything a subscriber actor reacts to; its context changes only through these. */
export type SubscriberEvent =
  | { readonly type: 'subscriber.configure'; readonly plan: SubscriptionPlan }
  /** Its from_offset is beyond what this node knows exists: the stream is asked before the subscription is answered. */
  | { readonly type: 'subscriber.confirming' }
  | { readonly type: 'subscriber.updateFilters'; readonly filter: EventFilter; readonly reply: FiltersUpdatedMessage }
  | { readonly type: 'subscriber.reply'; readonly message: ServerMessage }
  | {
      readonly type: 'subscriber.deliver';
      readonly records: readonly StoredEvent[];
      readonly json: (record: StoredEvent) => string;
    }
  /** Over its buffer bound while live (a delivery, or the router's check of its topic): catch up from `from`. */
  | { readonly type: 'subscriber.lag'; readonly from: number }
  | { readonly type: 'subscriber.drained' }
  | { readonly type: 'subscriber.pump' }
  /** A replay page read ahead on the log's reader thread (null: its stream ended). */
  | { readonly type: 'subscriber.frame'; readonly stream: FrameStream; readonly page: AheadFrame | null }
  | { readonly type: 'subscriber.caughtUp' }
  | { readonly type: 'subscriber.tick'; readonly tick: Tick }
  | { readonly type: 'subscriber.close'; readonly code: number; readonly reason: string }
  | { readonly type: 'subscriber.gone' };

/** What the supervisor passes when it spawns a subscriber. */
export interface SubscriberInput {
  readonly id: string;
  readonly io: SubscriberIo;
}

/** Hand live delivery to the subscriber's topic from its next offset; false when its filter has no topic. */
function joinTopic(context: SubscriberContext): boolean {
  return context.io.topics?.join(context.id, context.nextOffset) ?? false;
}

/** Where pages read ahead go: to this actor, while it runs. */
function aheadListener(self: AnyActorRef): AheadListener {
  return (stream, page) => {
    if (self.getSnapshot().status === 'active') self.send({ type: 'subscriber.frame', stream, page });
  };
}

/** Continue the replay after pending I/O. */
function pumpLater(context: SubscriberContext, self: { send(event: SubscriberEvent): void }): void {
  context.io.scheduler.immediate(() => self.send({ type: 'subscriber.pump' }));
}

/** A subscription's ack is sent, then it replays (start at or below the head) or goes live. */
const CONFIGURE = [
  { guard: 'wantsReplay', target: 'replaying', actions: ['reply', 'touch', 'configure'] },
  { target: 'live', actions: ['reply', 'touch', 'configure'] },
] as const;

/**
 * One /ws/subscribe connection: awaitingConfig (→ confirming) → replaying ⇄ live → lagging → replaying … → closed.
 * Its context (filter, options, next offset, activity) is its own; socket writes are plain code called from its
 * actions.
 */
export const subscriberMachine = setup({
  types: {
    context: {} as SubscriberContext,
    events: {} as SubscriberEvent,
    input: {} as SubscriberInput,
    output: {} as string,
  },
  actions: {
    reply: ({ context, event }) => {
      if (event.type === 'subscriber.reply') writeControl(context, event.message);
      else if (event.type === 'subscriber.updateFilters') writeControl(context, event.reply);
      else if (event.type === 'subscriber.configure') writeControl(context, event.plan.ack);
    },
    touch: assign({ lastActivity: ({ context }) => context.io.scheduler.monotonic() }),
    configure: assign(({ event }) => {
      if (event.type !== 'subscriber.configure') return {};
      const { filter, batch, checkpoints, start } = event.plan;
      return { filter, batch, checkpoints, nextOffset: start };
    }),
    updateFilters: assign(({ event }) => (event.type === 'subscriber.updateFilters' ? { filter: event.filter } : {})),
    // Hint: on update_filters a live subscriber leaves its old topic and, having every routed match, joins its new
    // one (if any) from the next commit on; the router filed the new filter first, in the same turn.
    joinTopic: assign(({ context }) => ({ onTopic: joinTopic(context) })),
    leaveTopic: assign(({ context }) => {
      if (context.onTopic) context.io.topics?.leave(context.id);
      return { onTopic: false };
    }),
    lag: assign(({ context, event }) => {
      if (event.type !== 'subscriber.lag') return {};
      return { nextOffset: event.from, stalledSince: context.io.scheduler.monotonic() };
    }),
    // Hint: once per touched subscriber per commit while it is off its topic: one assign that writes and records the
    // outcome (no enqueueActions, no raised event). Over the socket bound it sets stalledSince, and `live` leaves for
    // `lagging` by its eventless transition.
    deliver: assign(({ context, event }) => {
      if (event.type !== 'subscriber.deliver') return {};
      const outcome = writeLive(context, event.records, event.json);
      if (outcome === null) return {};
      if (outcome.lagFrom === null) return { lastActivity: outcome.lastActivity };
      return {
        lastActivity: outcome.lastActivity,
        nextOffset: outcome.lagFrom,
        stalledSince: context.io.scheduler.monotonic(),
      };
    }),
    schedulePump: ({ context, self }) => pumpLater(context, self),
    answered: assign(({ context, event }) =>
      event.type === 'subscriber.frame' ? { ahead: withArrival(context.ahead, event.stream, event.page) } : {},
    ),
    stopAhead: assign(({ context }) => ({ ahead: stopAhead(context.ahead) })),
    pump: enqueueActions(({ context, enqueue, self }) => {
      const slice = replaySlice(context, aheadListener(self));
      const { nextOffset, recordBytes, stalledSince, lastActivity, ahead } = slice;
      enqueue.assign({ nextOffset, recordBytes, stalledSince, lastActivity, ahead });
      if (slice.next === 'caughtUp') enqueue.raise({ type: 'subscriber.caughtUp' });
      else if (slice.next === 'more') enqueue(() => pumpLater(context, self));
    }),
    tick: enqueueActions(({ context, event, enqueue }, params: { mode: SubscriberMode }) => {
      if (event.type !== 'subscriber.tick') return;
      const decision = sweepDecision(params.mode, context, event.tick);
      if (decision.kind === 'close')
        enqueue.raise({ type: 'subscriber.close', code: decision.code, reason: decision.reason });
      if (decision.kind !== 'send') return;
      if (decision.checkpoint !== null) writeControl(context, checkpoint(decision.checkpoint));
      if (decision.keepalive) writeControl(context, KEEPALIVE);
      enqueue.assign({ lastActivity: event.tick.now });
    }),
    endSocket: ({ context, event }) => {
      const { code, reason } = event.type === 'subscriber.close' ? event : SUBSCRIBE_REFUSED;
      endSocket(context.io.socket, code, reason);
    },
  },
  guards: {
    wantsReplay: ({ event }) => event.type === 'subscriber.configure' && event.plan.replay,
    refusal: ({ event }) => event.type === 'subscriber.reply' && isErrorMessage(event.message),
    drainedEnough: ({ context }) => context.io.socket.bufferedAmount() <= context.io.limits.bufferBytes / 2,
    stalled: ({ context }) => context.stalledSince !== null,
  },
}).createMachine({
  id: 'subscriber',
  context: ({ input }) => {
    const now = input.io.scheduler.monotonic();
    return {
      id: input.id,
      io: input.io,
      filter: {},
      batch: false,
      checkpoints: false,
      nextOffset: 1,
      stalledSince: null,
      lastActivity: now,
      openedAt: now,
      recordBytes: 0,
      onTopic: false,
      ahead: null,
    };
  },
  initial: 'awaitingConfig',
  on: {
    'subscriber.reply': { actions: ['reply', 'touch'] },
    'subscriber.close': { target: '.closed', actions: 'endSocket' },
    'subscriber.gone': '.closed',
    'subscriber.frame': { actions: 'answered' },
  },
  states: {
    awaitingConfig: {
      on: {
        'subscriber.reply': [
          { guard: 'refusal', target: 'closed', actions: ['reply', 'endSocket'] },
          { actions: ['reply', 'touch'] },
        ],
        'subscriber.configure': CONFIGURE,
        'subscriber.confirming': { target: 'confirming', actions: 'touch' },
        'subscriber.tick': { actions: { type: 'tick', params: { mode: 'awaitingConfig' } } },
      },
    },
    // Hint: waiting for the stream's answer (the supervisor asked it); then configured, or refused with a close.
    confirming: {
      on: {
        'subscriber.configure': CONFIGURE,
        'subscriber.tick': { actions: { type: 'tick', params: { mode: 'confirming' } } },
      },
    },
    replaying: {
      entry: 'schedulePump',
      exit: 'stopAhead',
      on: {
        'subscriber.pump': { actions: 'pump' },
        'subscriber.frame': { actions: ['answered', 'pump'] },
        'subscriber.drained': { guard: 'drainedEnough', actions: 'pump' },
        'subscriber.caughtUp': 'live',
        'subscriber.updateFilters': { actions: ['reply', 'touch', 'updateFilters'] },
        'subscriber.tick': { actions: { type: 'tick', params: { mode: 'replaying' } } },
      },
    },
    // Hint: on its topic, commits reach the socket through uWS with no message here; a join waiting for routing to
    // reach `nextOffset` still takes deliveries, and a delivery or a topic lag over the bound leaves for `lagging`.
    live: {
      entry: 'joinTopic',
      exit: 'leaveTopic',
      always: { guard: 'stalled', target: 'lagging' },
      on: {
        'subscriber.deliver': { actions: 'deliver' },
        'subscriber.lag': { target: 'lagging', actions: 'lag' },
        'subscriber.updateFilters': { actions: ['reply', 'touch', 'leaveTopic', 'updateFilters', 'joinTopic'] },
        'subscriber.tick': { actions: { type: 'tick', params: { mode: 'live' } } },
      },
    },
    lagging: {
      on: {
        'subscriber.drained': { guard: 'drainedEnough', target: 'replaying' },
        'subscriber.updateFilters': { actions: ['reply', 'touch', 'updateFilters'] },
        'subscriber.tick': { actions: { type: 'tick', params: { mode: 'lagging' } } },
      },
    },
    closed: { type: 'final' },
  },
  // Hint: the end event names the actor id, which every subscriber shares (see SUBSCRIBER_ACTOR_ID); this names it.
  output: ({ context }) => context.id,
});
