import type WebSocket from 'ws';
import { nowMicros } from '../lib/clock.js';
import { EventFactory, prng, type WireEvent } from '../lib/eventFactory.js';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.js';
import { addOffset, emptyTally, type OffsetTally } from '../lib/offsetTally.js';
import { serveWorker } from '../lib/workerRuntime.js';
import { asBuffer, openSocket } from '../lib/wsClient.js';

/** Open-loop publishing at a fixed rate; every event carries payload.sent_at (µs on the host's monotonic clock). */
export interface PacedPlan {
  readonly url: string;
  readonly eventsPerSecond: number;
  readonly durationMs: number;
  /** Largest array sent in one message when several events are due. */
  readonly maxBatch: number;
  readonly sessions: number;
  readonly drainTimeoutMs: number;
}

/** What was published, and which offsets each subscriber must therefore receive (cumulative over runs). */
export interface PacedResult {
  readonly [key: string]: unknown;
  readonly type: 'paced';
  readonly sentEvents: number;
  readonly ackedEvents: number;
  readonly errorReplies: number;
  readonly firstErrors: string[];
  readonly unacked: number;
  readonly elapsedMs: number;
  readonly ackLatencyMs: LatencySummary;
  readonly expectedAll: OffsetTally;
  readonly expectedBySession: OffsetTally[];
}

interface Sent {
  readonly sessions: Uint16Array;
  readonly sentAt: number;
}

let socket: WebSocket | null = null;
const random = prng(99);
const factory = new EventFactory({ seed: 99, sessions: 1_000, users: 5_000 });
let expectedAll = emptyTally();
let expectedBySession: OffsetTally[] = [];

async function run(plan: PacedPlan): Promise<PacedResult> {
  if (expectedBySession.length !== plan.sessions) {
    expectedAll = emptyTally();
    expectedBySession = Array.from({ length: plan.sessions }, emptyTally);
  }
  socket ??= await openSocket(plan.url, 10_000);
  const ws = socket;
  const fifo: Sent[] = [];
  const latency = new LatencyHistogram();
  const firstErrors: string[] = [];
  let sentEvents = 0;
  let ackedEvents = 0;
  let errorReplies = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let sending = true;

  const onMessage = (raw: WebSocket.RawData) => {
    const sent = fifo.shift();
    if (sent === undefined) return;
    latency.record(performance.now() - sent.sentAt);
    const ack = JSON.parse(asBuffer(raw).toString('utf8')) as {
      status: string;
      first_offset?: number;
      offset?: number;
      message?: string;
    };
    const first = ack.first_offset ?? ack.offset;
    if (ack.status !== 'ok' || first === undefined) {
      errorReplies++;
      if (firstErrors.length < 5) firstErrors.push(JSON.stringify(ack).slice(0, 300));
    } else {
      for (let i = 0; i < sent.sessions.length; i++) {
        addOffset(expectedAll, first + i);
        addOffset(expectedBySession[sent.sessions[i]!]!, first + i);
      }
      ackedEvents += sent.sessions.length;
    }
    if (!sending && fifo.length === 0) done();
  };
  ws.on('message', onMessage);

  const started = performance.now();
  const tick = () => {
    const elapsed = performance.now() - started;
    if (elapsed >= plan.durationMs) {
      sending = false;
      if (fifo.length === 0) done();
      return;
    }
    let due = Math.floor((plan.eventsPerSecond * elapsed) / 1000) - sentEvents;
    // Hint: a stalled tick sends its backlog at once (open loop), so a slow server shows up as latency, not as a lower rate.
    for (let guard = 0; due > 0 && guard < 10_000; guard++) {
      const n = Math.min(due, plan.maxBatch);
      const sessions = new Uint16Array(n);
      const events: WireEvent[] = [];
      const sentAt = nowMicros();
      for (let i = 0; i < n; i++) {
        sessions[i] = Math.floor(random() * plan.sessions);
        events.push(factory.next(sessions[i], { sent_at: sentAt }));
      }
      fifo.push({ sessions, sentAt: performance.now() });
      ws.send(JSON.stringify(events));
      sentEvents += n;
      due -= n;
    }
    setTimeout(tick, 1);
  };
  tick();
  await Promise.race([
    finished,
    new Promise<void>((resolve) => setTimeout(resolve, plan.durationMs + plan.drainTimeoutMs)),
  ]);
  ws.off('message', onMessage);
  return {
    type: 'paced',
    sentEvents,
    ackedEvents,
    errorReplies,
    firstErrors,
    unacked: fifo.length,
    elapsedMs: performance.now() - started,
    ackLatencyMs: latency.summary(),
    expectedAll,
    expectedBySession,
  };
}

serveWorker({ run: (message) => run(message.plan as PacedPlan) }, () => socket?.terminate());
