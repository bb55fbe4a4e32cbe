import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { FakeSocket } from './fakeSocket.js';
import { ManualScheduler } from './manualScheduler.js';
import type { PipelineOptions, SubmitOutcome } from './pipeline.js';
import { startTestPipeline, testInput } from './testPipeline.js';

const input = testInput;

describe('the supervisor, through the pipeline port (manual scheduler, fake sockets)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  function start(options: Partial<PipelineOptions> = {}) {
    const scheduler = new ManualScheduler();
    const sent: string[] = [];
    const inspect = (event: InspectionEvent) => {
      if (event.type === '@xstate.event') sent.push(event.event.type);
    };
    const { pipeline, publish, subscribe } = startTestPipeline(scheduler, cleanups, { inspect, ...options });
    return { pipeline, scheduler, publish, subscribe, sent };
  }

  it('routes a group commit as one deliver message per touched subscriber, none to the others', async () => {
    const { publish, subscribe, sent } = start();
    const a = subscribe({ session_id: 'a', batch: true });
    const all = subscribe({ batch: true });
    const none = subscribe({ session_id: 'nobody' });
    sent.length = 0;
    await publish([input('a'), input('b')], [input('a'), input('c')]);
    expect(sent.filter((type) => type === 'subscriber.deliver')).toHaveLength(2);
    expect(a.socket.records().map((r) => r.offset)).toEqual([1, 3]);
    expect(all.socket.records().map((r) => r.offset)).toEqual([1, 2, 3, 4]);
    // One commit, one array each.
    expect(a.socket.sent).toHaveLength(2);
    expect(all.socket.sent).toHaveLength(2);
    expect(none.socket.records()).toEqual([]);
  });

  it('replays from an offset and hands over to live with no gap or repeat while commits keep coming', async () => {
    const { publish, scheduler, pipeline } = start();
    await publish([input('a'), input('a')]);
    const socket = new FakeSocket();
    const handle = pipeline.openSubscriber(socket)!;
    pipeline.subscriberMessage(handle, JSON.stringify({ from_offset: 1 }), 32);
    await publish([input('a')]);
    scheduler.runImmediates();
    await publish([input('a')]);
    expect(socket.records().map((r) => r.offset)).toEqual([1, 2, 3, 4]);
  });

  it('starts a from_offset beyond the head but within what the log knows exists there, sending nothing before it', async () => {
    const { publish, pipeline, subscribe } = start();
    await publish([input('a'), input('a')]);
    // A cluster node whose replica is behind the stream: offsets up to 5 exist, 2 are applied here.
    Object.assign(pipeline.log, { knownHead: () => 5 });
    const { socket } = subscribe({ from_offset: 4 });
    expect(socket.messages()[0]).toMatchObject({ status: 'subscribed', head_offset: 2, from_offset: 4 });
    expect(socket.messages()[0]).not.toHaveProperty('beyond_head');
    await publish([input('a'), input('a'), input('a')], [input('a')]);
    expect(socket.records().map((r) => r.offset)).toEqual([4, 5, 6]);
  });

  it('closes a subscriber that never subscribes with 4000 at the sweep after the timeout', () => {
    const { pipeline, scheduler } = start();
    const socket = new FakeSocket();
    pipeline.openSubscriber(socket);
    scheduler.advance(10_000);
    pipeline.sweep();
    expect(socket.ended).toBeNull();
    scheduler.advance(1);
    pipeline.sweep();
    expect(socket.ended).toEqual({ code: 4000, reason: 'no subscribe message within 10 s' });
    expect(pipeline.stats().active_subscribers).toBe(0);
  });

  it('closes a failed subscriber actor with 1011 and keeps routing to the others', async () => {
    const { publish, subscribe, pipeline } = start();
    const broken = subscribe({});
    const healthy = subscribe({});
    broken.socket.send = () => {
      throw new Error('injected write failure');
    };
    await publish([input('a')]);
    expect(broken.socket.ended).toEqual({ code: 1011, reason: 'internal error' });
    expect(pipeline.stats().active_subscribers).toBe(1);
    expect(pipeline.stopping).toBe(false);
    await publish([input('a')]);
    expect(healthy.socket.records().map((r) => r.offset)).toEqual([1, 2]);
  });

  // Hint: xstate memoizes a state node's transitions per event type and never forgets one, so a per-subscriber event
  // type (an `xstate.done.actor.<id>`) kept ~0.5 KB per connection ever made, for the life of the process.
  it('gives the actor system no new kind of event per subscriber, however many come and go', async () => {
    const { pipeline, publish, subscribe, sent } = start();
    const churn = async () => {
      for (let i = 0; i < 5; i++) {
        const { handle } = subscribe({ session_id: `s${i}` });
        pipeline.subscriberGone(handle);
        const failing = subscribe({ session_id: 'a' });
        failing.socket.send = () => {
          throw new Error('injected write failure');
        };
        await publish([input('a')]);
        expect(failing.socket.ended).toEqual({ code: 1011, reason: 'internal error' });
      }
      expect(pipeline.stats().active_subscribers).toBe(0);
      return new Set(sent);
    };
    const first = await churn();
    const second = await churn();
    expect([...second].filter((type) => !first.has(type))).toEqual([]);
  });

  it('refuses subscribers beyond MAX_SUBSCRIBERS', () => {
    const { pipeline } = start({ maxSubscribers: 1 });
    expect(pipeline.openSubscriber(new FakeSocket())).not.toBeNull();
    expect(pipeline.openSubscriber(new FakeSocket())).toBeNull();
  });

  it('drains on shutdown: running → draining → stopped, pending batches acked, sockets closed with 1001', async () => {
    const { pipeline, subscribe, scheduler } = start();
    const { socket } = subscribe({});
    const outcomes: SubmitOutcome[] = [];
    pipeline.submit([input('a')], (o) => outcomes.push(o));
    const done = pipeline.shutdown();
    expect(pipeline.stopping).toBe(true);
    expect(pipeline.submit([input('a')], () => undefined)).toBe('stopping');
    expect(pipeline.openSubscriber(new FakeSocket())).toBeNull();
    scheduler.runImmediates();
    await done;
    expect(outcomes.map((o) => o.ok)).toEqual([true]);
    expect(socket.records().map((r) => r.offset)).toEqual([1]);
    expect(socket.ended).toEqual({ code: 1001, reason: 'server shutting down' });
  });

  it('passivates idle sessions at the sweep, and the least recently used beyond MAX_ACTIVE_SESSIONS', async () => {
    const { pipeline, publish, scheduler } = start({ maxActiveSessions: 2, sessionIdleMs: 60_000 });
    await publish([input('s1', 'session_created'), input('s2', 'session_created')]);
    pipeline.sweep();
    expect(pipeline.stats().active_sessions).toBe(2);
    await publish([input('s3', 'session_created')]);
    expect(pipeline.stats().active_sessions).toBe(2);
    expect(await pipeline.sessionView('s1')).toMatchObject({ session_id: 's1', status: 'created', event_count: 1 });
    scheduler.advance(59_999);
    pipeline.sweep();
    expect(pipeline.stats().active_sessions).toBe(2);
    scheduler.advance(2);
    pipeline.sweep();
    expect(pipeline.stats().active_sessions).toBe(0);
    // Passivated sessions are rebuilt from the log when read.
    expect((await pipeline.sessionList(undefined, 10)).map((v) => v.session_id).sort()).toEqual(['s1', 's2', 's3']);
  });
});
