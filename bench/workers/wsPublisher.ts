import type WebSocket from 'ws';
import { EventFactory, type WireEvent } from '../lib/eventFactory.js';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.js';
import { serveWorker } from '../lib/workerRuntime.js';
import { asBuffer, isOkAck, mapLimited, openSocket } from '../lib/wsClient.js';

/** A closed-loop publishing run: each connection keeps up to `window` messages outstanding. */
export interface PublishPlan {
  readonly url: string;
  readonly connections: number;
  readonly window: number;
  /** 1 sends single-event objects; more sends JSON arrays of that many events. */
  readonly eventsPerMessage: number;
  /** "ack" checks the pipeline's acks; "echo" counts any reply (the raw uWS echo ceiling). */
  readonly expect: 'ack' | 'echo';
  /** "realistic" cycles a pool of generated frames; "distinctSessions" gives every event its own new session. */
  readonly traffic: 'realistic' | 'distinctSessions';
  readonly seed: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Stop after this many events even if time remains. */
  readonly maxEvents: number;
  readonly drainTimeoutMs: number;
}

/** What a publishing run measured. */
export interface PublishResult {
  readonly [key: string]: unknown;
  readonly type: 'published';
  readonly sentMessages: number;
  readonly sentEvents: number;
  readonly ackedEvents: number;
  readonly errorReplies: number;
  readonly retryableReplies: number;
  readonly unacked: number;
  readonly firstErrors: string[];
  /** Events acked inside the measured window (after warmup, before the end). */
  readonly measuredEvents: number;
  readonly measuredMs: number;
  readonly totalMs: number;
  readonly ackLatencyMs: LatencySummary;
  readonly clientCpuMs: number;
  readonly frameBytes: number;
}

interface Outstanding {
  readonly events: number;
  readonly sentAt: number;
}

interface Connection {
  readonly ws: WebSocket;
  readonly outstanding: Outstanding[];
}

const POOL_EVENTS = 20_000;

function frameOf(events: readonly WireEvent[], perMessage: number): Buffer {
  return Buffer.from(JSON.stringify(perMessage === 1 ? events[0] : events));
}

/** Frames for the run: a cycled pool of realistic traffic, or one new session per event (made on demand). */
function framePlan(plan: PublishPlan): { next: () => Buffer; bytes: number } {
  const factory = new EventFactory({ seed: plan.seed, sessions: 1_000, users: 5_000 });
  const per = plan.eventsPerMessage;
  if (plan.traffic === 'distinctSessions') {
    let index = 0;
    return {
      next: () => {
        const events: WireEvent[] = [];
        for (let i = 0; i < per; i++, index++)
          events.push({ ...factory.next(0), session_id: `mem_${plan.seed}_${index}` });
        return frameOf(events, per);
      },
      bytes: frameOf([factory.next(0)], 1).length * per,
    };
  }
  const frames: Buffer[] = [];
  const poolFrames = Math.max(1, Math.ceil(Math.min(POOL_EVENTS, plan.maxEvents) / per));
  for (let f = 0; f < poolFrames; f++) {
    const events: WireEvent[] = [];
    for (let i = 0; i < per; i++) events.push(factory.next());
    frames.push(frameOf(events, per));
  }
  let cursor = 0;
  return {
    next: () => frames[cursor++ % frames.length]!,
    bytes: frames.reduce((s, f) => s + f.length, 0) / frames.length,
  };
}

async function publish(plan: PublishPlan): Promise<PublishResult> {
  const frames = framePlan(plan);
  const opened = await mapLimited(plan.connections, 16, () => openSocket(plan.url, 10_000));
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed !== undefined)
    throw new Error(`publisher could not connect: ${String((failed as PromiseRejectedResult).reason)}`);
  const connections: Connection[] = opened.map((r) => ({
    ws: (r as PromiseFulfilledResult<WebSocket>).value,
    outstanding: [],
  }));

  const latency = new LatencyHistogram();
  const firstErrors: string[] = [];
  let sentMessages = 0;
  let sentEvents = 0;
  let ackedEvents = 0;
  let errorReplies = 0;
  let retryableReplies = 0;
  let measuredEvents = 0;
  let lastAck = 0;
  let stopSending = false;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const measureFrom = started + plan.warmupMs;
  const measureTo = measureFrom + plan.durationMs;

  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const outstandingTotal = () => connections.reduce((sum, c) => sum + c.outstanding.length, 0);
  const maybeFinish = () => {
    if (stopSending && outstandingTotal() === 0) finish();
  };

  const pump = (connection: Connection) => {
    while (!stopSending && connection.outstanding.length < plan.window) {
      if (sentEvents >= plan.maxEvents) {
        stopSending = true;
        break;
      }
      connection.outstanding.push({ events: plan.eventsPerMessage, sentAt: performance.now() });
      connection.ws.send(frames.next(), { binary: false });
      sentMessages++;
      sentEvents += plan.eventsPerMessage;
    }
  };

  for (const connection of connections) {
    connection.ws.on('message', (raw) => {
      const now = performance.now();
      const sent = connection.outstanding.shift();
      if (sent === undefined) return;
      latency.record(now - sent.sentAt);
      const data = asBuffer(raw);
      if (plan.expect === 'echo' || isOkAck(data)) {
        ackedEvents += sent.events;
        lastAck = now;
        if (now >= measureFrom && now <= measureTo) measuredEvents += sent.events;
      } else {
        const text = data.toString('utf8');
        if (text.includes('"retryable":true')) retryableReplies++;
        else errorReplies++;
        if (firstErrors.length < 5) firstErrors.push(text.slice(0, 300));
      }
      if (now >= measureTo) stopSending = true;
      pump(connection);
      maybeFinish();
    });
    connection.ws.on('close', () => {
      connection.outstanding.length = 0;
      stopSending = true;
      maybeFinish();
    });
  }
  const endTimer = setTimeout(() => {
    stopSending = true;
    maybeFinish();
  }, plan.warmupMs + plan.durationMs);
  for (const connection of connections) pump(connection);
  maybeFinish();

  // Stop sending at the deadline, then wait (bounded) for the acks still in flight.
  await Promise.race([
    finished,
    new Promise<void>((resolve) => setTimeout(resolve, plan.warmupMs + plan.durationMs + plan.drainTimeoutMs)),
  ]);
  clearTimeout(endTimer);
  const totalMs = (lastAck || performance.now()) - started;
  const cpu = process.cpuUsage(cpuBefore);
  const unacked = outstandingTotal();
  for (const connection of connections) connection.ws.terminate();
  const countBounded = sentEvents >= plan.maxEvents;
  return {
    type: 'published',
    sentMessages,
    sentEvents,
    ackedEvents,
    errorReplies,
    retryableReplies,
    unacked,
    firstErrors,
    // Hint: a count-bounded run is measured from first send to last ack; a timed run only inside its window.
    measuredEvents: countBounded ? ackedEvents : measuredEvents,
    measuredMs: countBounded ? totalMs : Math.min(plan.durationMs, Math.max(0, lastAck - measureFrom)),
    totalMs,
    ackLatencyMs: latency.summary(),
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    frameBytes: frames.bytes,
  };
}

serveWorker({ publish: (message) => publish(message.plan as PublishPlan) });
