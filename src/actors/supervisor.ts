import { createActor, enqueueActions, setup } from 'xstate';
import { LogCorruptError } from '../persistence/eventLog.js';
import { errorMessage } from '../protocol/serverMessages.js';
import { commitJson } from './commitRouter.js';
import { SESSION_ACTOR_PREFIX } from './sessionRegistry.js';
import { endSocket } from './subscriber.js';
import { confirmationCommands, messageCommand } from './subscriberCommands.js';
import { endedSubscribers, SUBSCRIBER_ACTOR_ID } from './subscriberEnds.js';
import { type SubscriberEvent, subscriberMachine } from './subscriberMachine.js';
import { elapsedMs, sweepDecision, type Tick } from './subscriberSweep.js';
import { answer, guarded } from './supervisedWork.js';
import type { SupervisorContext, SupervisorEvent, SupervisorParts } from './supervisorEvent.js';

export type { Answer, SupervisorContext, SupervisorEvent, SupervisorParts } from './supervisorEvent.js';

/**
 * The root actor and router. Subscriber and session actors are its children: it creates and stops them and learns
 * of their ends and failures. It routes each group commit (one `subscriber.deliver` per touched subscriber, one fold
 * queue entry per touched session) and runs the sweep. running → draining (ingress closing) → stopped.
 */
export const supervisorMachine = setup({
  types: { context: {} as SupervisorContext, events: {} as SupervisorEvent, input: {} as { parts: SupervisorParts } },
  guards: {
    fromSession: ({ event }) => 'actorId' in event && event.actorId.startsWith(SESSION_ACTOR_PREFIX),
  },
  actions: {
    // Hint: the hot path. Each touched child gets its one `subscriber.deliver` with a direct send while this
    // transition resolves: enqueue.sendTo costs ~3 µs more per message (measured: 1,000 session subscribers), and
    // routing stays synchronous in commit order either way. Resolution is not a custom action, so xstate's checks hold.
    route: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ingest.committed') return;
      const { parts, children } = context;
      guarded(parts, 'routing', () => {
        const lagged = (id: string, from: number) => children.get(id)?.ref.send({ type: 'subscriber.lag', from });
        const options = { json: commitJson(event.records), now: parts.scheduler.monotonic(), lagged };
        for (const delivery of parts.router.route(event.records, options)) {
          const child = children.get(delivery.id);
          if (child === undefined || child.ref.getSnapshot().status !== 'active') continue;
          parts.counters.routed += delivery.records.length;
          child.ref.send({ type: 'subscriber.deliver', records: delivery.records, json: options.json });
        }
        const viaTopics = parts.router.takeTopicDeliveries();
        parts.counters.routed += viaTopics;
        parts.counters.delivered += viaTopics;
        parts.counters.routedUpTo = event.records[event.records.length - 1]!.offset;
      });
      guarded(parts, 'session apply', () => parts.sessions.apply(event.records));
      // Hint: session actors passivated beyond MAX_ACTIVE_SESSIONS; a child can only be stopped by its parent.
      for (const ref of parts.sessions.takeRetired()) enqueue.stopChild(ref);
    }),
    // Hint: a child created with `parent: self` reports its end and failure here like a spawned one, but is not
    // copied into every snapshot's `children` (spawnChild/stopChild copy that object: O(n²) for 10,000 subscribers).
    open: enqueueActions(({ context, event, self }) => {
      if (event.type !== 'subscriber.open') return;
      const { parts, children } = context;
      answer(event.answer, () => {
        if (children.size >= parts.maxSubscribers) return false;
        const { log, limits, scheduler, counters } = parts;
        const io = {
          socket: event.socket,
          log,
          limits,
          scheduler,
          delivered: (n: number) => (counters.delivered += n),
          topics: parts.router,
        };
        const input = { id: event.id, io };
        const ref = createActor(subscriberMachine, { id: SUBSCRIBER_ACTOR_ID, parent: self, input });
        children.set(event.id, { ref, socket: event.socket });
        parts.share.resize(children.size);
        ref.start();
        parts.logger.info({ subscriber_id: event.id }, 'subscriber connected');
        return true;
      });
    }),
    refuse: ({ event }) => {
      if (event.type === 'subscriber.open') event.answer({ ok: true, value: false });
    },
    forward: enqueueActions(({ context, event, enqueue, self }) => {
      if (!('id' in event)) return;
      const child = context.children.get(event.id);
      // Hint: a child that just closed itself is forgotten by its done event, which may still be queued.
      if (child === undefined || child.ref.getSnapshot().status !== 'active') return;
      if (event.type === 'subscriber.reply')
        enqueue.sendTo(child.ref, { type: 'subscriber.reply', message: event.message });
      else if (event.type === 'subscriber.drained') enqueue.sendTo(child.ref, { type: 'subscriber.drained' });
      else if (event.type === 'subscriber.gone') enqueue.sendTo(child.ref, { type: 'subscriber.gone' });
      if (event.type !== 'subscriber.message') return;
      const { parts } = context;
      let command: SubscriberEvent | null = { type: 'subscriber.reply', message: errorMessage('internal error') };
      guarded(parts, 'subscriber message', () => {
        const { value, context: childContext } = child.ref.getSnapshot();
        const view = { mode: value, batch: childContext.batch, socket: child.socket };
        command = messageCommand(parts, event.id, view, event, (answer) => self.send(answer));
      });
      if (command !== null) enqueue.sendTo(child.ref, command);
    }),
    confirmed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'subscriber.confirmed') return;
      const child = context.children.get(event.id);
      // Hint: the subscriber may have gone (or been closed) while the stream was asked.
      if (child === undefined || child.ref.getSnapshot().value !== 'confirming') return;
      const { parts } = context;
      let commands: SubscriberEvent[] = [
        { type: 'subscriber.reply', message: errorMessage('internal error') },
        { type: 'subscriber.close', code: 1011, reason: 'internal error' },
      ];
      guarded(parts, 'subscriber confirmation', () => {
        commands = confirmationCommands(parts, event.id, child.socket, event);
      });
      for (const command of commands) enqueue.sendTo(child.ref, command);
    }),
    forget: enqueueActions(({ context, event, enqueue }) => {
      const { parts, children } = context;
      for (const { id, child, error } of endedSubscribers(children, event)) {
        guarded(parts, 'forget subscriber', () => {
          children.delete(id);
          parts.share.resize(children.size);
          parts.router.forget(id);
          if (child.ref.getSnapshot().status === 'error') {
            // Hint: a replay that met a damaged page says where it stopped, so the reader knows it missed the rest.
            const damaged = error instanceof LogCorruptError;
            const failed = damaged ? `subscriber closed: ${error.message}` : 'subscriber actor failed; closing';
            parts.logger.error({ err: error, subscriber_id: id }, failed);
            endSocket(child.socket, 1011, damaged ? error.closeReason : 'internal error');
          }
          parts.logger.info({ subscriber_id: id }, 'subscriber disconnected');
        });
        enqueue.stopChild(child.ref);
      }
    }),
    sweep: enqueueActions(({ context, enqueue }) => {
      const { parts, children } = context;
      const { scheduler, counters } = parts;
      // Hint: the monotonic clock, so a step of the wall clock neither stops nor hastens a rule (see Scheduler).
      const now = scheduler.monotonic();
      const checkpointDue = elapsedMs(counters.lastCheckpoint, now) >= parts.checkpointMs;
      if (checkpointDue) counters.lastCheckpoint = now;
      const topicActivity = (id: string) => parts.router.topicActivity(id);
      const tick: Tick = { now, head: counters.routedUpTo, checkpointDue, topicActivity };
      guarded(parts, 'sweep', () => {
        for (const child of children.values()) {
          const snapshot = child.ref.getSnapshot();
          // Hint: only subscribers a rule applies to get a message (~3 µs each); most idle ones need nothing.
          if (snapshot.status !== 'active' || sweepDecision(snapshot.value, snapshot.context, tick).kind === 'none')
            continue;
          enqueue.sendTo(child.ref, { type: 'subscriber.tick', tick });
        }
      });
      guarded(parts, 'session sweep', () => parts.sessions.sweep());
      guarded(parts, 'log lock', () => parts.log.keepLock?.());
      for (const ref of parts.sessions.takeRetired()) enqueue.stopChild(ref);
    }),
    // Hint: a failed session actor is dropped (the root lives on); the next read or fold rebuilds it from the log.
    dropSession: enqueueActions(({ context, event, enqueue }) => {
      if (!('error' in event)) return;
      const { sessions } = context.parts;
      const sessionId = event.actorId.slice(SESSION_ACTOR_PREFIX.length);
      guarded(context.parts, 'session failure', () => sessions.failed(sessionId, event.error));
      for (const ref of sessions.takeRetired()) enqueue.stopChild(ref);
    }),
    // Hint: enqueueActions, not a plain action: session actors fold inside, and xstate flags their built-in
    // actions when they run within another actor's custom action.
    sessionRequest: enqueueActions(({ context, event, enqueue }) => {
      const { sessions } = context.parts;
      // Hint: reads, listings and deletes run in bounded slices and steps (one per `sessions.viewStep`,
      // `sessions.listStep`, `retention.step`), each answered after its last (SessionReads, SessionListing,
      // StepwiseRetention).
      if (event.type === 'sessions.view') context.parts.reads.request(event);
      else if (event.type === 'sessions.viewStep') context.parts.reads.step();
      else if (event.type === 'sessions.list') context.parts.listing.request(event);
      else if (event.type === 'sessions.listStep') context.parts.listing.step();
      else if (event.type === 'retention.delete') context.parts.retention.request(event);
      else if (event.type === 'retention.step') context.parts.retention.step();
      else if (event.type === 'retention.followed') {
        // Hint: as after a local delete, session actors are rebuilt from what the replica still holds.
        const { deleted, firstOffset } = event;
        context.parts.logger.info({ deleted, first_offset: firstOffset }, 'retention followed the stream');
        sessions.reset();
      }
      for (const ref of sessions.takeRetired()) enqueue.stopChild(ref);
    }),
    closeIngress: ({ context, self }) => {
      const closed = () => self.send({ type: 'ingress.closed' });
      context.parts.ingress.close().then(closed, (error: unknown) => {
        context.parts.logger.error({ err: error }, 'draining the ingress failed; stopping anyway');
        closed();
      });
    },
    closeAll: enqueueActions(({ context, enqueue }) => {
      for (const child of context.children.values()) {
        if (child.ref.getSnapshot().status === 'active')
          enqueue.sendTo(child.ref, { type: 'subscriber.close', code: 1001, reason: 'server shutting down' });
      }
      // Hint: a listing under way fails (503, retry) rather than hydrating the rest of its sessions at shutdown.
      guarded(context.parts, 'listing stop', () => context.parts.listing.stop());
      guarded(context.parts, 'reads stop', () => context.parts.reads.stop());
      // Hint: likewise a delete under way: answered with what its steps deleted, not left without a reply.
      guarded(context.parts, 'retention stop', () => context.parts.retention.stop());
      guarded(context.parts, 'session stop', () => context.parts.sessions.stop());
      for (const ref of context.parts.sessions.takeRetired()) enqueue.stopChild(ref);
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({ parts: input.parts, children: new Map() }),
  initial: 'running',
  on: {
    'ingest.committed': { actions: 'route' },
    'subscriber.open': { actions: 'refuse' },
    'subscriber.message': { actions: 'forward' },
    'subscriber.reply': { actions: 'forward' },
    'subscriber.confirmed': { actions: 'confirmed' },
    'subscriber.drained': { actions: 'forward' },
    'subscriber.gone': { actions: 'forward' },
    'sessions.view': { actions: 'sessionRequest' },
    'sessions.viewStep': { actions: 'sessionRequest' },
    'sessions.list': { actions: 'sessionRequest' },
    'sessions.listStep': { actions: 'sessionRequest' },
    'retention.delete': { actions: 'sessionRequest' },
    'retention.step': { actions: 'sessionRequest' },
    'retention.followed': { actions: 'sessionRequest' },
    [`xstate.done.actor.${SUBSCRIBER_ACTOR_ID}`]: { actions: 'forget' },
    'xstate.error.actor.*': [{ guard: 'fromSession', actions: 'dropSession' }, { actions: 'forget' }],
  },
  states: {
    running: {
      on: {
        'subscriber.open': { actions: 'open' },
        'maintenance.tick': { actions: 'sweep' },
        shutdown: 'draining',
      },
    },
    draining: {
      entry: 'closeIngress',
      on: { 'ingress.closed': 'stopped' },
    },
    stopped: { entry: 'closeAll' },
  },
});
