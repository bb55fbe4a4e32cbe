import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { AheadFrame } from '../persistence/eventLog.js';
import { type EventFilter, matchesFilter } from '../protocol/eventFilter.js';
import { recordJson, type StoredEvent } from '../protocol/eventRecord.js';
import {
  errorMessage,
  filtersUpdated,
  PONG,
  retentionGap,
  type SubscribedMessage,
} from '../protocol/serverMessages.js';
import { FakeSocket } from './fakeSocket.js';
import { ManualScheduler } from './manualScheduler.js';
import type { SubscriberLimits } from './subscriber.js';
import { type SubscriptionPlan, subscriberMachine } from './subscriberMachine.js';
import type { TopicMembership } from './topicPort.js';

const event = (offset: number, session_id = 'a'): StoredEvent => ({
  offset,
  id: `e${offset}`,
  event_type: 'timer_tick',
  source: 's',
  session_id,
  user_id: null,
  payloadJson: '{}',
  ts: offset,
});

/** An in-memory log with the reads replay uses; retention is a splice from the front (offsets are never reused). */
function memoryLog(records: StoredEvent[]) {
  let head = 0;
  return {
    headOffset: () => (head = Math.max(head, records.at(-1)?.offset ?? 0)),
    firstOffset: () => records[0]?.offset ?? head + 1,
    readJsonFrom(from: number, filter: EventFilter, limit: number, upTo = records.length) {
      const page = records
        .filter((r) => r.offset >= from && r.offset <= upTo && matchesFilter(filter, r))
        .slice(0, limit);
      return { records: page.map(recordJson), lastOffset: page.length > 0 ? page[page.length - 1]!.offset : null };
    },
  };
}

const LIMITS: SubscriberLimits = {
  bufferBytes: 1_000,
  replayPage: 100,
  replaySliceMs: 20,
  keepaliveMs: 30_000,
  slowConsumerTimeoutMs: 5_000,
  subscribeTimeoutMs: 10_000,
};

function start(records: StoredEvent[] = [], limits: SubscriberLimits = LIMITS, topics?: TopicMembership) {
  const scheduler = new ManualScheduler();
  const socket = new FakeSocket();
  let delivered = 0;
  const io = { socket, log: memoryLog(records), limits, scheduler, delivered: (n: number) => (delivered += n) };
  const actor = createActor(subscriberMachine, {
    input: { id: 'sub_1', io: topics === undefined ? io : { ...io, topics } },
  });
  actor.start();
  return { scheduler, socket, actor, delivered: () => delivered };
}

const ACK: SubscribedMessage = {
  status: 'subscribed',
  subscriber_id: 'sub_1',
  filters: { event_types: null, session_id: null, user_id: null, source: null },
  head_offset: 0,
  epoch: 'e',
};

const plan = (start: number, head: number, extra: Partial<SubscriptionPlan> = {}): SubscriptionPlan => ({
  filter: {},
  batch: false,
  checkpoints: false,
  start,
  replay: start <= head,
  ack: ACK,
  ...extra,
});

const json = recordJson;

describe('subscriber actor', () => {
  it('acks, goes live, and writes each commit it is sent, skipping offsets below its start', () => {
    const { socket, actor, delivered } = start();
    actor.send({ type: 'subscriber.configure', plan: plan(3, 2) });
    expect(actor.getSnapshot().value).toBe('live');
    expect(JSON.parse(socket.sent[0]!)).toEqual(ACK);
    actor.send({ type: 'subscriber.deliver', records: [event(2), event(3), event(4)], json });
    expect(socket.records().map((r) => r.offset)).toEqual([3, 4]);
    expect(socket.sent).toHaveLength(3);
    expect(delivered()).toBe(2);
  });

  it('with batch:true writes one array per commit, cut at half the socket bound', () => {
    const { socket, actor } = start([], { ...LIMITS, bufferBytes: 800 });
    actor.send({ type: 'subscriber.configure', plan: plan(1, 0, { batch: true }) });
    actor.send({ type: 'subscriber.deliver', records: [event(1), event(2)], json });
    expect(socket.sent).toHaveLength(2);
    expect(JSON.parse(socket.sent[1]!)).toHaveLength(2);
    const many = Array.from({ length: 10 }, (_, i) => event(i + 3));
    actor.send({ type: 'subscriber.deliver', records: many, json });
    const arrays = socket.sent.slice(2);
    expect(arrays.length).toBeGreaterThan(1);
    for (const text of arrays) expect(text.length).toBeLessThanOrEqual(400);
    expect(socket.records().map((r) => r.offset)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('lags when its socket is over the bound, then catches up from the log and goes live with no gap or repeat', () => {
    const log = Array.from({ length: 6 }, (_, i) => event(i + 1));
    const { scheduler, socket, actor } = start(log);
    actor.send({ type: 'subscriber.configure', plan: plan(7, 6) });
    socket.buffered = 5_000;
    log.push(event(7), event(8));
    actor.send({ type: 'subscriber.deliver', records: [event(7), event(8)], json });
    expect(actor.getSnapshot().value).toBe('lagging');
    expect(actor.getSnapshot().context.nextOffset).toBe(7);
    actor.send({ type: 'subscriber.drained' });
    expect(actor.getSnapshot().value).toBe('lagging');
    socket.buffered = 0;
    actor.send({ type: 'subscriber.drained' });
    expect(actor.getSnapshot().value).toBe('replaying');
    log.push(event(9));
    scheduler.runImmediates();
    expect(actor.getSnapshot().value).toBe('live');
    // The router sends 9 too (it was committed before the actor went live); it is skipped, then 10 follows.
    log.push(event(10));
    actor.send({ type: 'subscriber.deliver', records: [event(9), event(10)], json });
    expect(socket.records().map((r) => r.offset)).toEqual([7, 8, 9, 10]);
  });

  it('writes only what fits under its bound from a commit larger than it, then the rest from the log', () => {
    const log: StoredEvent[] = [];
    const { scheduler, socket, actor } = start(log);
    actor.send({ type: 'subscriber.configure', plan: plan(1, 0) });
    // A reader that takes nothing: every byte written stays queued.
    socket.send = (text) => {
      socket.sent.push(text);
      socket.buffered += Buffer.byteLength(text, 'utf8');
    };
    const commit = Array.from({ length: 40 }, (_, i) => event(i + 1));
    log.push(...commit);
    const largest = Math.max(...commit.map((r) => json(r).length));
    actor.send({ type: 'subscriber.deliver', records: commit, json });
    // The bound (1,000 bytes) plus the one record that crossed it, not the whole commit (about 4,800 bytes).
    expect(socket.buffered).toBeLessThanOrEqual(LIMITS.bufferBytes + largest);
    expect(actor.getSnapshot().value).toBe('lagging');
    const sent = socket.records().map((r) => r.offset);
    expect(actor.getSnapshot().context.nextOffset).toBe(sent.length + 1);
    socket.buffered = 0;
    actor.send({ type: 'subscriber.drained' });
    for (let i = 0; i < 20 && actor.getSnapshot().value !== 'live'; i++) {
      socket.buffered = 0;
      actor.send({ type: 'subscriber.drained' });
      scheduler.runImmediates();
    }
    expect(socket.records().map((r) => r.offset)).toEqual(commit.map((r) => r.offset));
  });

  it('says so when retention deleted offsets it had not been sent, and goes on at the first remaining one', () => {
    const log = Array.from({ length: 6 }, (_, i) => event(i + 1));
    const { scheduler, socket, actor } = start(log);
    actor.send({ type: 'subscriber.configure', plan: plan(1, 6) });
    socket.buffered = 5_000;
    scheduler.runImmediates();
    expect(socket.records()).toEqual([]);
    log.splice(0, 4);
    socket.buffered = 0;
    actor.send({ type: 'subscriber.drained' });
    expect(socket.messages().slice(1)).toEqual([
      retentionGap(1, 5),
      ...[5, 6].map((offset) => JSON.parse(json(event(offset))) as unknown),
    ]);
    expect(retentionGap(1, 5).message).toBe(
      'offsets 1-4 were deleted by retention before this subscriber reached them; delivery goes on at 5',
    );
    expect(actor.getSnapshot().value).toBe('live');
  });

  it('replays from its start by the filter, ignores live commits while replaying, then goes live', () => {
    const log = [event(1, 'a'), event(2, 'b'), event(3, 'a')];
    const { scheduler, socket, actor } = start(log);
    actor.send({ type: 'subscriber.configure', plan: plan(1, 3, { filter: { session_id: 'a' } }) });
    expect(actor.getSnapshot().value).toBe('replaying');
    actor.send({ type: 'subscriber.deliver', records: [event(3, 'a')], json });
    expect(socket.records()).toEqual([]);
    scheduler.runImmediates();
    expect(actor.getSnapshot().value).toBe('live');
    expect(socket.records().map((r) => r.offset)).toEqual([1, 3]);
  });

  it('changes its filter only through update_filters, and replies', () => {
    const { socket, actor } = start();
    actor.send({ type: 'subscriber.configure', plan: plan(1, 0) });
    const reply = filtersUpdated({ session_id: 'z' }, []);
    actor.send({ type: 'subscriber.updateFilters', filter: { session_id: 'z' }, reply });
    expect(actor.getSnapshot().context.filter).toEqual({ session_id: 'z' });
    expect(JSON.parse(socket.sent[1]!)).toEqual(reply);
  });

  it('takes update_filters while lagging: after the ack, it catches up under the new filter from where it stopped', () => {
    const log = Array.from({ length: 6 }, (_, i) => event(i + 1, i % 2 ? 'b' : 'a'));
    const { scheduler, socket, actor } = start(log);
    actor.send({ type: 'subscriber.configure', plan: plan(7, 6) });
    socket.buffered = 5_000;
    const missed = [event(7, 'a'), event(8, 'b'), event(9, 'a'), event(10, 'b')];
    log.push(...missed);
    actor.send({ type: 'subscriber.deliver', records: missed, json });
    expect(actor.getSnapshot().value).toBe('lagging');
    const reply = filtersUpdated({ session_id: 'b' }, []);
    actor.send({ type: 'subscriber.updateFilters', filter: { session_id: 'b' }, reply });
    socket.buffered = 0;
    actor.send({ type: 'subscriber.drained' });
    scheduler.runImmediates();
    expect(actor.getSnapshot().value).toBe('live');
    expect(socket.messages().slice(1)).toEqual([
      reply,
      JSON.parse(json(event(8, 'b'))),
      JSON.parse(json(event(10, 'b'))),
    ]);
  });
});

describe('subscriber reading replay pages ahead', () => {
  /** A batch:true subscriber over a log that reads ahead: its streams' pages are fed by the test. */
  function startReadingAhead(records: StoredEvent[]) {
    const scheduler = new ManualScheduler();
    const socket = new FakeSocket();
    const frames: string[] = [];
    const io = {
      socket: Object.assign(socket, { sendFrame: (frame: Uint8Array) => frames.push(Buffer.from(frame).toString()) }),
      log: {
        ...memoryLog(records),
        readFramesAhead: (from: number, _filter: EventFilter, asked: number, _window: number, onPage: Listener) => {
          if (from > records.length) return null;
          const stream = { from, asked, onPage, more: 0, cancelled: 0 };
          streams.push(stream);
          return { more: () => stream.more++, cancel: () => stream.cancelled++ };
        },
      },
      limits: LIMITS,
      scheduler,
      delivered: () => {},
    };
    type Listener = (page: AheadFrame | null) => void;
    const streams: { from: number; asked: number; onPage: Listener; more: number; cancelled: number }[] = [];
    const actor = createActor(subscriberMachine, { input: { id: 'sub_1', io } });
    actor.start();
    actor.send({ type: 'subscriber.configure', plan: plan(1, records.length, { batch: true }) });
    scheduler.runImmediates();
    return { socket, frames, actor, streams };
  }

  /** A page as the reader thread sends it: `records` from `from` as one frame. */
  const page = (from: number, asked: number, records: StoredEvent[]): AheadFrame => ({
    from,
    asked,
    upTo: from + 1_000,
    frame: {
      frame: Buffer.from(`[${records.map(json).join(',')}]`),
      count: records.length,
      lastOffset: records.at(-1)?.offset ?? null,
    },
  });

  it('writes each page of its stream as it comes, in order, asking for one more each time, then goes live', () => {
    const records = Array.from({ length: 100 }, (_, i) => event(i + 1));
    const { socket, frames, actor, streams } = startReadingAhead(records);
    // The first page is read inline (strings: this log builds no frames), then the stream starts where it ended.
    const inline = socket.records().map((r) => r.offset);
    expect(inline.length).toBeGreaterThan(0);
    expect(streams).toHaveLength(1);
    const { from, asked, onPage } = streams[0]!;
    expect(from).toBe(inline.length + 1);
    for (let at = from; at <= records.length; at += asked) {
      expect(actor.getSnapshot().value).toBe('replaying');
      onPage(page(at, asked, records.slice(at - 1, at - 1 + asked)));
    }
    const written = frames.flatMap((frame) => (JSON.parse(frame) as StoredEvent[]).map((r) => r.offset));
    expect([...inline, ...written]).toEqual(records.map((r) => r.offset));
    expect(streams).toHaveLength(1);
    expect(streams[0]!.more).toBe(frames.length);
    expect(actor.getSnapshot().value).toBe('live');
    expect(streams[0]!.cancelled).toBe(1);
  });

  it('stops its stream when its socket closes while a page is being read, and takes no page after', () => {
    const records = Array.from({ length: 300 }, (_, i) => event(i + 1));
    const { frames, actor, streams } = startReadingAhead(records);
    expect(streams).toHaveLength(1);
    actor.send({ type: 'subscriber.gone' });
    expect(streams[0]!.cancelled).toBe(1);
    const { from, asked, onPage } = streams[0]!;
    onPage(page(from, asked, records.slice(from - 1, from + 9)));
    expect(frames).toHaveLength(0);
  });
});

describe('subscriber sweep rules, manual clock', () => {
  const tick = (now: number, head = 0, checkpointDue = false) => ({
    type: 'subscriber.tick' as const,
    tick: { now, head, checkpointDue },
  });

  it('ends the connection with 1008 after an error answering its subscribe message, as the old service ended it', () => {
    // Before: the error was sent and the socket kept waiting for another subscribe message, then closed 4000 at 10 s.
    const { socket, actor } = start();
    actor.send({ type: 'subscriber.reply', message: PONG });
    expect([socket.ended, actor.getSnapshot().value]).toEqual([null, 'awaitingConfig']);
    actor.send({ type: 'subscriber.reply', message: errorMessage('event_types[0]: unknown event type "x"') });
    expect(socket.ended).toEqual({ code: 1008, reason: 'subscribe message refused; nothing was subscribed' });
    expect(socket.messages()).toEqual([
      { type: 'pong' },
      { status: 'error', message: 'event_types[0]: unknown event type "x"' },
    ]);
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('keeps a subscribed connection open after an error (a bad update_filters leaves the filter as it was)', () => {
    const { socket, actor } = start();
    actor.send({ type: 'subscriber.configure', plan: plan(1, 0) });
    actor.send({ type: 'subscriber.reply', message: errorMessage('filters: is required in update_filters') });
    expect([socket.ended, actor.getSnapshot().value]).toEqual([null, 'live']);
  });

  it('closes with 4000 when no subscribe message came within the timeout, not before', () => {
    const { scheduler, socket, actor } = start();
    const opened = scheduler.now();
    actor.send(tick(opened + 10_000));
    expect(socket.ended).toBeNull();
    actor.send(tick(opened + 10_001));
    expect(socket.ended).toEqual({ code: 4000, reason: 'no subscribe message within 10 s' });
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('closes a consumer stalled past the slow-consumer timeout with 4008 and the offset to resume from', () => {
    const { scheduler, socket, actor } = start([event(1)]);
    actor.send({ type: 'subscriber.configure', plan: plan(2, 1) });
    socket.buffered = 5_000;
    actor.send({ type: 'subscriber.deliver', records: [event(2)], json });
    const stalled = scheduler.now();
    actor.send(tick(stalled + 5_000));
    expect(socket.ended).toBeNull();
    actor.send(tick(stalled + 5_001));
    expect(socket.ended).toEqual({ code: 4008, reason: 'slow consumer; resume with from_offset=2' });
  });

  it('sends a keepalive only when idle for the keepalive interval', () => {
    const { scheduler, socket, actor } = start();
    actor.send({ type: 'subscriber.configure', plan: plan(1, 0) });
    const t0 = scheduler.now();
    actor.send(tick(t0 + 29_999));
    expect(socket.sent).toHaveLength(1);
    actor.send(tick(t0 + 30_000));
    expect(JSON.parse(socket.sent[1]!)).toEqual({ type: 'keepalive' });
    actor.send(tick(t0 + 30_001));
    expect(socket.sent).toHaveLength(2);
  });

  it('sends checkpoints only when asked, at the routed head when live, never going backwards after a lag', () => {
    const { socket, actor, scheduler } = start([event(1), event(2)]);
    actor.send({
      type: 'subscriber.configure',
      plan: plan(3, 2, { checkpoints: true, filter: { session_id: 'none' } }),
    });
    const now = scheduler.now();
    actor.send(tick(now, 2, true));
    actor.send(tick(now, 5, false));
    socket.buffered = 5_000;
    actor.send({ type: 'subscriber.deliver', records: [event(6, 'none')], json });
    actor.send(tick(now, 6, true));
    const checkpoints = socket.sent
      .map((t) => JSON.parse(t) as Record<string, unknown>)
      .filter((m) => m.type === 'checkpoint');
    expect(checkpoints).toEqual([
      { type: 'checkpoint', offset: 2 },
      { type: 'checkpoint', offset: 5 },
    ]);

    const quiet = start();
    quiet.actor.send({ type: 'subscriber.configure', plan: plan(1, 0) });
    quiet.actor.send(tick(quiet.scheduler.now(), 9, true));
    expect(quiet.socket.sent).toHaveLength(1);
  });
});

/**
 * The router's topic books as a subscriber sees them: a log of joins and leaves; `joins` says whether a join is taken
 * (false: a socket without native fan-out, which stays on the per-subscriber path).
 */
function topicBooks(joins = true) {
  const calls: string[] = [];
  const topics: TopicMembership = {
    join: (_id, from) => {
      calls.push(`join ${from}`);
      return joins;
    },
    leave: () => void calls.push('leave'),
  };
  return { calls, topics };
}

describe('subscriber on its topic', () => {
  it('joins its topic from its next offset when it goes live, and leaves it when lagged, rejoining after the catch-up', () => {
    const log = [event(1), event(2)];
    const { calls, topics } = topicBooks();
    const { scheduler, socket, actor } = start(log, LIMITS, topics);
    actor.send({ type: 'subscriber.configure', plan: plan(1, 2) });
    expect(calls).toEqual([]);
    scheduler.runImmediates();
    expect(actor.getSnapshot().value).toBe('live');
    expect(actor.getSnapshot().context.onTopic).toBe(true);
    expect(calls).toEqual(['join 3']);
    // The router found it over the bound before publishing offset 5: it leaves and will resume there.
    log.push(event(3), event(4), event(5));
    socket.buffered = 5_000;
    actor.send({ type: 'subscriber.lag', from: 5 });
    expect(actor.getSnapshot().value).toBe('lagging');
    expect(actor.getSnapshot().context).toMatchObject({ nextOffset: 5, onTopic: false });
    expect(calls).toEqual(['join 3', 'leave']);
    socket.buffered = 0;
    actor.send({ type: 'subscriber.drained' });
    scheduler.runImmediates();
    expect(actor.getSnapshot().value).toBe('live');
    expect(calls).toEqual(['join 3', 'leave', 'join 6']);
    expect(socket.records().map((r) => r.offset)).toEqual([1, 2, 5]);
  });

  it('leaves and rejoins on update_filters, stays off a topic its filter does not fit, and leaves when it closes', () => {
    const { calls, topics } = topicBooks();
    const { actor } = start([], LIMITS, topics);
    actor.send({ type: 'subscriber.configure', plan: plan(1, 0) });
    actor.send({
      type: 'subscriber.updateFilters',
      filter: { source: 'p' },
      reply: filtersUpdated({ source: 'p' }, []),
    });
    expect(calls).toEqual(['join 1', 'leave', 'join 1']);
    actor.send({ type: 'subscriber.gone' });
    expect(calls).toEqual(['join 1', 'leave', 'join 1', 'leave']);

    const noTopics = topicBooks(false);
    const other = start([], LIMITS, noTopics.topics);
    other.actor.send({ type: 'subscriber.configure', plan: plan(1, 0, { filter: { session_id: 'a' } }) });
    expect(other.actor.getSnapshot().context.onTopic).toBe(false);
    other.actor.send({ type: 'subscriber.gone' });
    expect(noTopics.calls).toEqual(['join 1']);
  });
});
