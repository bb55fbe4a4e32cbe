import { setup } from 'xstate';

/** The modes the hot path checks; mirrors the machine's state so routing never asks the actor. */
export type SubscriberMode = 'awaitingConfig' | 'replaying' | 'live' | 'lagging' | 'closed';

/** Lifecycle events of a subscriber connection. */
export type SubscriberEvent =
  | { readonly type: 'subscriber.configured'; readonly replay: boolean }
  | { readonly type: 'subscriber.caughtUp' }
  | { readonly type: 'subscriber.lagged' }
  | { readonly type: 'subscriber.drained' }
  | { readonly type: 'subscriber.close' };

/** Side effects the machine asks of its connection: mode changes are mirrored, catch-up is started. */
export interface SubscriberHooks {
  setMode(mode: SubscriberMode): void;
  startCatchUp(): void;
}

/**
 * A subscriber connection's lifecycle: awaiting config → replaying → live → (lagging → replaying) → closed.
 * The machine guards which transitions are legal; the data itself moves in plain loops (see Subscriber).
 */
export const subscriberMachine = setup({
  types: {
    context: {} as { hooks: SubscriberHooks },
    events: {} as SubscriberEvent,
    input: {} as { hooks: SubscriberHooks },
  },
  actions: {
    mirror: ({ context }, params: { mode: SubscriberMode }) => context.hooks.setMode(params.mode),
    startCatchUp: ({ context }) => context.hooks.startCatchUp(),
  },
  guards: {
    wantsReplay: ({ event }) => event.type === 'subscriber.configured' && event.replay,
  },
}).createMachine({
  id: 'subscriber',
  context: ({ input }) => ({ hooks: input.hooks }),
  initial: 'awaitingConfig',
  on: { 'subscriber.close': '.closed' },
  states: {
    awaitingConfig: {
      entry: { type: 'mirror', params: { mode: 'awaitingConfig' } },
      on: {
        'subscriber.configured': [{ guard: 'wantsReplay', target: 'replaying' }, { target: 'live' }],
      },
    },
    replaying: {
      entry: [{ type: 'mirror', params: { mode: 'replaying' } }, 'startCatchUp'],
      on: { 'subscriber.caughtUp': 'live', 'subscriber.lagged': 'lagging' },
    },
    live: {
      entry: { type: 'mirror', params: { mode: 'live' } },
      on: { 'subscriber.lagged': 'lagging' },
    },
    lagging: {
      entry: { type: 'mirror', params: { mode: 'lagging' } },
      on: { 'subscriber.drained': 'replaying' },
    },
    closed: {
      type: 'final',
      entry: { type: 'mirror', params: { mode: 'closed' } },
    },
  },
});
