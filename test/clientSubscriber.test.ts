import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  type EventRecord,
  LogReplacedError,
  memoryPositionStore,
  type PublishEvent,
  Publisher,
  type SubscriptionNotice,
  SubscriptionRejectedError,
  subscribe,
} from '../src/client/index.js';
import { RestartableServer, readLog } from './support/restartableServer.js';
import { startTestServer } from './support/testServer.js';

let server: RestartableServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.kill();
  server = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The sockets the SDK opened, so a test can stall one the way a slow reader does. */
const sockets: WebSocket[] = [];
class TrackedWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    sockets.push(this);
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const events = (from: number, count: number, blob = 0): PublishEvent[] =>
  Array.from({ length: count }, (_, k) => ({
    event_type: k % 3 === 0 ? 'timer_tick' : 'answer_submitted',
    source: 'sdk_test',
    session_id: (from + k) % 2 === 0 ? 'match' : 'other',
    payload: { i: from + k, blob: 'x'.repeat(blob) },
  }));

async function publishAll(base: string, batch: readonly PublishEvent[]): Promise<void> {
  const publisher = new Publisher({ url: base, backoff: { initialMs: 20, maxMs: 200 } });
  await Promise.all(batch.map((e) => publisher.publish(e)));
  await publisher.close();
}

describe('Subscription against a real server', () => {
  it('fails with the 404 when nothing serves its URL, instead of reconnecting for ever', async () => {
    const t = await startTestServer();
    try {
      const notices: SubscriptionNotice[] = [];
      const sub = subscribe({ url: `${t.base}/not-a-pipeline`, onNotice: (n) => notices.push(n) });
      const failure = await (async () => {
        for await (const _ of sub) return null;
        return null;
      })().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SubscriptionRejectedError);
      // Hint: the server's 404 for a path it does not serve is no upgrade verdict of its own, so it is not marked.
      expect(String(failure)).toContain(
        "the WebSocket upgrade was refused (404: Not Found) by an answer not marked as the pipeline's (no X-Upgrade-Refusal), and no subscription has been made: check the url option",
      );
      expect(notices).toEqual([]);
    } finally {
      await t.stop();
    }
  });

  it('iterates across two SIGKILL restarts and a 4008 slow-consumer close: every matching offset exactly once, in order', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-sub-'));
    // Hint: the server's clock is manual, so the sweep that closes the stalled reader runs when the test moves it.
    server = await RestartableServer.start(
      join(dir, 'events.db'),
      { SUBSCRIBER_BUFFER_BYTES: '65536', SLOW_CONSUMER_TIMEOUT_MS: '300', CHECKPOINT_MS: '100' },
      { manualClock: true },
    );
    const running = server;
    const notices: SubscriptionNotice[] = [];
    const sub = subscribe({
      url: running.base,
      WebSocket: TrackedWebSocket,
      filters: { session_id: 'match', event_types: ['answer_submitted', 'timer_tick'] },
      from: 1,
      backoff: { initialMs: 20, maxMs: 200 },
      onNotice: (notice) => notices.push(notice),
    });
    const got: number[] = [];
    const consumed = (async () => {
      for await (const record of sub) got.push(record.offset);
    })();
    await publishAll(running.base, events(0, 200));
    await until(() => got.length >= 100, 'first 100');
    await running.restart();
    await publishAll(running.base, events(200, 200));
    await running.restart();
    await publishAll(running.base, events(400, 200));
    await until(() => got.length >= 300, '300 records');

    // A stalled reader: stop reading the socket until the server gives up on it with 4008.
    const stalled = sockets[sockets.length - 1]!;
    stalled.pause();
    // Hint: enough bytes to fill both kernel socket buffers on loopback, past which the server's buffer grows.
    await publishAll(running.base, events(600, 400, 50_000));
    await until(async () => {
      await running.advance(1_000);
      const stats = (await (await fetch(`${running.base}/stats`)).json()) as { router: { active_subscribers: number } };
      return stats.router.active_subscribers === 0;
    }, 'the server to close the stalled subscriber');
    stalled.resume();
    await publishAll(running.base, events(1000, 100));
    const expected = (await readLog(running.base)).filter((r) => r.session_id === 'match').map((r) => r.offset);
    expect(expected.length).toBe(550);
    await until(() => got.length >= expected.length, 'every matching record');
    await sub.close();
    await consumed;
    expect(got).toEqual(expected);
    expect(notices.some((n) => n.message.startsWith('closed 4008'))).toBe(true);
    expect(notices.filter((n) => n.kind === 'reconnecting').length).toBeGreaterThanOrEqual(3);
    expect(sub.current.offset).toBeGreaterThanOrEqual(expected[expected.length - 1]!);
  }, 90_000);

  it('raises LogReplacedError when the server comes back with another log (another epoch)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-sub-'));
    server = await RestartableServer.start(join(dir, 'a.db'));
    const running = server;
    await publishAll(running.base, events(0, 10));
    const sub = subscribe({ url: running.base, from: 1, backoff: { initialMs: 20, maxMs: 200 } });
    const got: EventRecord[] = [];
    const outcome = (async () => {
      try {
        for await (const record of sub) got.push(record);
        return null;
      } catch (error) {
        return error;
      }
    })();
    await until(() => got.length === 10, 'the first log');
    const epoch = sub.current.epoch;
    await running.restart(join(dir, 'b.db'));
    const error = await outcome;
    expect(error).toBeInstanceOf(LogReplacedError);
    expect(error).toMatchObject({ savedEpoch: epoch, savedOffset: 10 });
  });

  it("with onLogReplaced 'from-start', carries on from offset 1 of the new log", async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-sub-'));
    server = await RestartableServer.start(join(dir, 'a.db'));
    const running = server;
    await publishAll(running.base, events(0, 5));
    const notices: SubscriptionNotice[] = [];
    const sub = subscribe({
      url: running.base,
      from: 1,
      onLogReplaced: 'from-start',
      backoff: { initialMs: 20, maxMs: 200 },
      onNotice: (n) => notices.push(n),
    });
    const got: Array<[string | null, number]> = [];
    const consumed = (async () => {
      for await (const record of sub) got.push([sub.current.epoch, record.offset]);
    })();
    await until(() => got.length === 5, 'the first log');
    await running.restart(join(dir, 'b.db'));
    await publishAll(running.base, events(100, 3));
    await until(() => got.length === 8, 'the new log');
    await sub.close();
    await consumed;
    expect(got.map(([, offset]) => offset)).toEqual([1, 2, 3, 4, 5, 1, 2, 3]);
    expect(notices.some((n) => n.message.includes('log replaced'))).toBe(true);
    expect(sub.current.offset).toBe(3);
  });

  it("with onLogReplaced 'from-start', drops the old log's records it had not handed out, so no position mixes the logs", async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-sub-'));
    server = await RestartableServer.start(join(dir, 'a.db'));
    const running = server;
    await publishAll(running.base, events(0, 500));
    const notices: SubscriptionNotice[] = [];
    const store = memoryPositionStore();
    const sub = subscribe({
      url: running.base,
      from: 1,
      store,
      key: 'k',
      onLogReplaced: 'from-start',
      backoff: { initialMs: 20, maxMs: 200 },
      onNotice: (n) => notices.push(n),
    });
    const records = sub[Symbol.asyncIterator]();
    for (let i = 1; i <= 5; i++) expect((await records.next()).value).toMatchObject({ offset: i });
    const oldEpoch = sub.current.epoch;
    // The consumer stops reading with most of the old log received and not handed out.
    await until(() => (sub.nextOffset ?? 0) > 500, 'the old log received');
    await running.restart(join(dir, 'b.db'));
    await until(() => notices.some((n) => n.message.includes('log replaced')), 'the restart on the new log');
    await publishAll(running.base, events(100, 20));
    const after: number[] = [];
    for (let i = 0; i < 20; i++) after.push(((await records.next()).value as EventRecord).offset);
    expect(after).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(notices.find((n) => n.message.includes('log replaced'))!.message).toMatch(
      /; 49[0-9] received record\(s\) of the replaced log not handed out dropped$/,
    );
    await sub.savePosition();
    expect(sub.current.epoch).not.toBe(oldEpoch);
    expect(await store.load('k')).toEqual({ offset: 19, epoch: sub.current.epoch });
    await sub.close();
  });

  it('resumes from a saved position in a store after "the process restarts" (a new Subscription), with no duplicate', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-sub-'));
    server = await RestartableServer.start(join(dir, 'events.db'));
    await publishAll(server.base, events(0, 20));
    const store = memoryPositionStore();
    const first = subscribe({ url: server.base, from: 1, store, key: 'dash' });
    const seen: number[] = [];
    for await (const record of first) {
      seen.push(record.offset);
      if (seen.length === 12) break;
    }
    expect(await store.load('dash')).toMatchObject({ offset: 12 });
    await publishAll(server.base, events(20, 5));
    const second = subscribe({ url: server.base, from: 1, store, key: 'dash' });
    for await (const record of second) {
      seen.push(record.offset);
      if (record.offset === 25) break;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('with onEvent, a record whose handler throws is reported, not saved as handled, and comes first to the next subscription', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-sub-'));
    server = await RestartableServer.start(join(dir, 'events.db'));
    await publishAll(server.base, events(0, 10));
    const store = memoryPositionStore();
    const seen: number[] = [];
    const errors: Error[] = [];
    // Hint: no periodic save, so what the store holds is what close() saved after the failure.
    const failing = subscribe({
      url: server.base,
      from: 1,
      store,
      key: 'cb',
      saveIntervalMs: 1_000_000_000,
      onEvent: (record) => {
        seen.push(record.offset);
        if (record.offset === 5) throw new Error('handler failed on 5');
      },
      onError: (error) => errors.push(error),
    });
    await until(async () => (await store.load('cb')) !== null, 'the position saved on close');
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(errors.map((e) => e.message)).toEqual(['handler failed on 5']);
    expect(await store.load('cb')).toEqual({ offset: 4, epoch: failing.current.epoch });
    const again: number[] = [];
    const next = subscribe({ url: server.base, from: 1, store, key: 'cb', onEvent: (r) => void again.push(r.offset) });
    await until(() => again.length === 6, 'the rest of the log');
    await next.close();
    expect(again).toEqual([5, 6, 7, 8, 9, 10]);
  });
});
