import { afterEach, describe, expect, it } from 'vitest';
import type { ActorRefLike, InspectionEvent } from 'xstate';
import type { EventInput } from '../protocol/eventInput.js';
import { ManualScheduler } from './manualScheduler.js';
import type { SessionContext, SessionRecord } from './sessionMachine.js';
import { PENDING_USERS_BOUND } from './sessionPending.js';
import { startTestPipeline, testInput } from './testPipeline.js';

const input = testInput;

/** A record whose fold throws: reading its offset fails inside the session actor's transition. */
const poisoned: SessionRecord = {
  get offset(): number {
    throw new Error('injected fold failure');
  },
  event_type: 'timer_tick',
  user_id: null,
  ts: 0,
  payloadJson: '{}',
};

/** The inspection API types refs as ActorRefLike; these read the fields every Actor has. */
const idOf = (ref: ActorRefLike): unknown => ('id' in ref ? ref.id : undefined);
const parentOf = (ref: ActorRefLike): unknown => ('_parent' in ref ? ref._parent : undefined);

describe('session actors as children of the supervisor (manual scheduler)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  function start(maxActiveSessions: number) {
    const scheduler = new ManualScheduler();
    // Every actor the system creates, newest last, and every event the root receives.
    const actors: ActorRefLike[] = [];
    const toRoot: { type: string; from: ActorRefLike | undefined }[] = [];
    const errors: object[] = [];
    const inspect = (event: InspectionEvent) => {
      if (event.type === '@xstate.actor') actors.push(event.actorRef);
      if (event.type === '@xstate.event' && event.actorRef === actors[0])
        toRoot.push({ type: event.event.type, from: event.sourceRef });
    };
    const logger = { info() {}, warn() {}, error: (obj: object) => errors.push(obj) };
    const options = { logger, newSubscriberId: () => 'sub_1', maxActiveSessions, inspect };
    const started = startTestPipeline(scheduler, cleanups, options, 'session-children-');
    const pipeline = started.pipeline;
    const publish = async (batch: EventInput[]) => {
      expect((await started.publish(batch)).map((o) => o.ok)).toEqual([true]);
    };
    const root = actors[0]!;
    /** The newest actor with this id. */
    const actor = (id: string) => actors.findLast((ref) => idOf(ref) === id);
    return { pipeline, scheduler, publish, root, actor, toRoot, errors };
  }

  it('are the supervisor’s children; a failed one is dropped, rebuilt from the log, and the root keeps running', async () => {
    const { pipeline, publish, root, actor, toRoot, errors } = start(100);
    await publish([input('s1', 'session_created'), input('s1')]);
    pipeline.sweep();
    const first = actor('session:s1')!;
    expect(parentOf(first)).toBe(root);
    expect(parentOf(root)).toBeUndefined();
    expect(first.getSnapshot().context).toMatchObject({ event_count: 2 });

    first.send({ type: 'session.records', records: [poisoned] });
    expect(first.getSnapshot().status).toBe('error');
    expect(toRoot.find((e) => e.type === 'xstate.error.actor.session:s1')?.from).toBe(first);
    expect(errors).toContainEqual(expect.objectContaining({ session_id: 's1' }));
    expect(pipeline.stats().active_sessions).toBe(0);
    expect(pipeline.stopping).toBe(false);

    await publish([input('s1', 'quiz_started')]);
    expect(await pipeline.sessionView('s1')).toMatchObject({ status: 'in_progress', event_count: 3, last_offset: 3 });
    const second = actor('session:s1')!;
    expect(second).not.toBe(first);
    expect(parentOf(second)).toBe(root);
    expect(second.getSnapshot().status).toBe('active');
  });

  it('passivation stops them through the supervisor: idle at the sweep, least recently used beyond the limit', async () => {
    const { pipeline, publish, scheduler, actor } = start(1);
    await publish([input('s1', 'session_created')]);
    pipeline.sweep();
    const s1 = actor('session:s1')!;
    expect(s1.getSnapshot().status).toBe('active');
    await publish([input('s2', 'session_created')]);
    pipeline.sweep();
    expect(s1.getSnapshot().status).toBe('stopped');
    const s2 = actor('session:s2')!;
    expect(s2.getSnapshot().status).toBe('active');
    scheduler.advance(60_001);
    pipeline.sweep();
    expect(s2.getSnapshot().status).toBe('stopped');
    expect(pipeline.stats().active_sessions).toBe(0);
    // Rebuilt from the log on the next read.
    expect(await pipeline.sessionView('s1')).toMatchObject({ status: 'created', event_count: 1 });
    expect(actor('session:s1')).not.toBe(s1);
  });

  it('fold a session on the next turn once PENDING_USERS_BOUND users wait, without the sweep', async () => {
    const { publish, scheduler, actor } = start(100);
    const users = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ ...input('s1'), user_id: `u${from + i}` }));
    await publish([...users(0, PENDING_USERS_BOUND - 1), ...users(0, 5)]);
    scheduler.runImmediates();
    // One short of the bound (repeats do not count): the records wait for the sweep, and no actor holds them yet.
    expect(actor('session:s1')).toBeUndefined();
    await publish(users(PENDING_USERS_BOUND - 1, 1));
    scheduler.runImmediates();
    const context = actor('session:s1')!.getSnapshot().context as SessionContext;
    expect(context.event_count).toBe(PENDING_USERS_BOUND + 5);
    expect(context.user_ids.size).toBe(PENDING_USERS_BOUND);
    expect(context.user_ids.toArray(2)).toEqual(['u0', 'u1']);
  });
});
