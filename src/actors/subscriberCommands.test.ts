import { afterEach, describe, expect, it } from 'vitest';
import { ManualScheduler } from './manualScheduler.js';
import { testInput as input, startTestPipeline } from './testPipeline.js';

/** A promise the test settles. */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: Error) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

// A cluster node whose view is stale: its log (a real temp log) knows offsets up to its head, and asking the stream
// (confirmKnownHead) is a promise the test settles.
describe('a subscription beyond what the node knows exists waits for the stream (manual scheduler, fake sockets)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  async function start() {
    const scheduler = new ManualScheduler();
    const { pipeline, publish, subscribe } = startTestPipeline(scheduler, cleanups);
    await publish([input('a'), input('a')]);
    const asked: ReturnType<typeof deferred<number>>[] = [];
    Object.assign(pipeline.log, {
      knownHead: () => 2,
      confirmKnownHead: () => {
        const answer = deferred<number>();
        asked.push(answer);
        return answer.promise;
      },
    });
    return { pipeline, publish, subscribe, asked, scheduler };
  }

  it('answers within what it knows at once, without asking the stream', async () => {
    const { subscribe, asked } = await start();
    const { socket } = subscribe({ from_offset: 3 });
    expect(asked).toHaveLength(0);
    expect(socket.messages()[0]).toMatchObject({ status: 'subscribed', head_offset: 2, from_offset: 3 });
  });

  it('starts where asked when the stream confirms the offset exists, sending nothing before it', async () => {
    const { subscribe, asked, publish } = await start();
    const { socket } = subscribe({ from_offset: 5 });
    expect(asked).toHaveLength(1);
    expect(socket.sent).toEqual([]);
    asked[0]!.resolve(7);
    await settle();
    expect(socket.messages()[0]).toMatchObject({ status: 'subscribed', head_offset: 2, from_offset: 5 });
    expect(socket.messages()[0]).not.toHaveProperty('beyond_head');
    // The replica applies 3..7 and more: live delivery starts at 5.
    await publish([input('a'), input('a'), input('a')], [input('a'), input('a'), input('a')]);
    expect(socket.records().map((r) => r.offset)).toEqual([5, 6, 7, 8]);
    expect(socket.ended).toBeNull();
  });

  it('says beyond_head, as before, only when the stream confirms the offset is beyond its last sequence', async () => {
    const { subscribe, asked } = await start();
    const { socket } = subscribe({ from_offset: 9 });
    asked[0]!.resolve(6);
    await settle();
    expect(socket.messages()[0]).toMatchObject({
      status: 'subscribed',
      from_offset: 3,
      beyond_head: { requested_from_offset: 9, message: 'from_offset 9 is beyond the head (2); starting at 3' },
    });
  });

  it('refuses, retryably, with 1013 when the stream cannot answer, and subscribes nothing', async () => {
    const { subscribe, asked, publish, pipeline } = await start();
    const { socket } = subscribe({ from_offset: 5 });
    asked[0]!.reject(new Error('the NATS cluster is unreachable'));
    await settle();
    expect(socket.messages()).toEqual([
      {
        status: 'error',
        message:
          'cannot confirm from_offset 5 with the stream (the NATS cluster is unreachable); this node knows offsets up ' +
          'to 2, and starting there could send records twice: nothing was subscribed, retry (here or on another node)',
        retryable: true,
      },
    ]);
    expect(socket.ended).toEqual({ code: 1013, reason: 'cannot confirm from_offset 5 with the stream; retry' });
    await publish([input('a')]);
    expect(socket.records()).toEqual([]);
    expect(pipeline.stats().active_subscribers).toBe(0);
  });

  it('answers ping while waiting, refuses update_filters until the ack, and is not closed as silent', async () => {
    const { subscribe, asked, pipeline, scheduler } = await start();
    const { socket, handle } = subscribe({ from_offset: 5, session_id: 'a' });
    pipeline.subscriberMessage(handle, JSON.stringify({ type: 'ping' }), 32);
    pipeline.subscriberMessage(handle, JSON.stringify({ type: 'update_filters', filters: { session_id: 'b' } }), 32);
    expect(socket.messages()).toEqual([
      { type: 'pong' },
      { status: 'error', message: expect.stringMatching(/^update_filters: this connection is not subscribed yet/) },
    ]);
    scheduler.advance(10_001);
    pipeline.sweep();
    expect(socket.ended).toBeNull();
    expect(pipeline.subscribers(10).by_mode.awaiting_config).toBe(1);
    asked[0]!.resolve(5);
    await settle();
    expect(socket.messages()[2]).toMatchObject({ status: 'subscribed', from_offset: 5, filters: { session_id: 'a' } });
  });

  it('forgets the answer for a subscriber that left while the stream was asked', async () => {
    const { subscribe, asked, pipeline } = await start();
    const { socket, handle } = subscribe({ from_offset: 5 });
    pipeline.subscriberGone(handle);
    asked[0]!.resolve(7);
    await settle();
    expect(socket.sent).toEqual([]);
    expect(pipeline.stats().active_subscribers).toBe(0);
  });
});
