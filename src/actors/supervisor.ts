import { setup } from 'xstate';

/** What the supervisor drives; the Pipeline implements it with plain loops over plain data. */
export interface SupervisedWork {
  /** One group commit: append pending batches, ack producers, route to sessions and subscribers. */
  commitPending(): void;
  /** Spawn-side bookkeeping for a new subscriber connection. */
  attachSubscriber(id: string): void;
  /** Stop and forget a subscriber (socket closed, or it failed). */
  detachSubscriber(id: string, reason: string): void;
  /** Periodic duties: keepalives, checkpoints, stuck-consumer and config timeouts, session passivation. */
  sweep(): void;
  /** Finish in-flight commits and acks, then close every socket with 1001. */
  drain(): void;
  /** Log a failure of one unit of work; the supervisor keeps running. */
  report(error: unknown, during: string): void;
}

type Work = SupervisedWork;

/**
 * Run one unit of work right after the transition that decided it; a throw is reported, never allowed to stop
 * the root actor.
 *
 * Hint: the work drives other actors (subscribers, sessions). Running it inside this actor's action would make
 * their built-in actions execute within a custom action, which xstate flags; a microtask runs it before any other
 * I/O, so commit order and synchronous routing are unchanged.
 */
function guarded(work: Work, during: string, fn: () => void): void {
  queueMicrotask(() => {
    try {
      fn();
    } catch (error) {
      work.report(error, during);
    }
  });
}

/** Events the supervisor accepts: one per group commit, per connection change, per sweep. */
export type SupervisorEvent =
  | { readonly type: 'ingest.flush' }
  | { readonly type: 'subscriber.opened'; readonly id: string }
  | { readonly type: 'subscriber.closed'; readonly id: string; readonly reason: string }
  | { readonly type: 'maintenance.tick' }
  | { readonly type: 'shutdown' };

/**
 * The root actor. It owns the pipeline's lifecycle (running → stopped) and serializes its work: every group commit,
 * connection change and sweep is one message. Failures are caught per message and reported, so one bad batch or
 * subscriber never stops the supervisor.
 */
export const supervisorMachine = setup({
  types: {
    context: {} as { work: SupervisedWork },
    events: {} as SupervisorEvent,
    input: {} as { work: SupervisedWork },
  },
  actions: {
    commit: ({ context }) => guarded(context.work, 'group commit', () => context.work.commitPending()),
    attach: ({ context, event }) => {
      if (event.type === 'subscriber.opened') guarded(context.work, 'attach', () => context.work.attachSubscriber(event.id));
    },
    detach: ({ context, event }) => {
      if (event.type === 'subscriber.closed') guarded(context.work, 'detach', () => context.work.detachSubscriber(event.id, event.reason));
    },
    sweep: ({ context }) => guarded(context.work, 'sweep', () => context.work.sweep()),
    drain: ({ context }) => guarded(context.work, 'drain', () => context.work.drain()),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({ work: input.work }),
  initial: 'running',
  states: {
    running: {
      on: {
        'ingest.flush': { actions: 'commit' },
        'subscriber.opened': { actions: 'attach' },
        'subscriber.closed': { actions: 'detach' },
        'maintenance.tick': { actions: 'sweep' },
        shutdown: 'stopped',
      },
    },
    stopped: {
      type: 'final',
      entry: 'drain',
    },
  },
});
