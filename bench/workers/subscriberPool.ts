import type WebSocket from 'ws';
import { nowMicros } from '../lib/clock.js';
import { LatencyHistogram, type SerializedHistogram } from '../lib/histogram.js';
import { addOffset, emptyTally, type OffsetTally } from '../lib/offsetTally.js';
import { serveWorker } from '../lib/workerRuntime.js';
import { asBuffer, mapLimited, openSocket } from '../lib/wsClient.js';

/** One subscription: a filter plus batch mode (the first message sent on /ws/subscribe). */
export interface Subscription {
  readonly session_id?: string;
  readonly batch: boolean;
}

/** Open subscribers; with `track`, check every record's offset order and latency (payload.sent_at, µs). */
export interface PoolPlan {
  readonly url: string;
  readonly subscriptions: readonly Subscription[];
  readonly concurrency: number;
  readonly connectTimeoutMs: number;
  readonly track: boolean;
}

/** What one subscriber saw. */
export interface SubscriberTally extends OffsetTally {
  /** The session filtered on, or "*" for everything. */
  readonly key: string;
  outOfOrder: number;
  controlErrors: number;
}

interface Sub {
  readonly ws: WebSocket;
  readonly tally: SubscriberTally;
  last: number;
}

const OFFSET_KEY = Buffer.from('"offset":');
const SENT_KEY = Buffer.from('"sent_at":');
const subs: Sub[] = [];
let histogram = new LatencyHistogram();
let received = 0;
let cpuBase = process.cpuUsage();

function digitsAt(buf: Buffer, from: number): [number, number] {
  let value = 0;
  let i = from;
  for (; i < buf.length; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  return [value, i];
}

/** Scan a record or an array of records on bytes: offsets in order, latency from payload.sent_at. */
function onRecords(sub: Sub, buf: Buffer, nowUs: number, track: boolean): void {
  if (buf[0] === 0x7b && buf[2] !== 0x69) {
    // A control message ({"status":…} or {"type":…}); records start with {"id":
    if (buf.includes('"status":"error"')) sub.tally.controlErrors++;
    return;
  }
  let pos = 0;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const at = buf.indexOf(OFFSET_KEY, pos);
    if (at < 0) break;
    const [offset, end] = digitsAt(buf, at + OFFSET_KEY.length);
    pos = end;
    received++;
    if (!track) continue;
    if (offset <= sub.last) sub.tally.outOfOrder++;
    sub.last = offset;
    addOffset(sub.tally, offset);
    const sentAt = buf.indexOf(SENT_KEY, pos);
    if (sentAt >= 0) {
      const [sent, after] = digitsAt(buf, sentAt + SENT_KEY.length);
      histogram.record((nowUs - sent) / 1000);
      pos = after;
    }
  }
}

function subscribe(url: string, subscription: Subscription, timeoutMs: number, track: boolean): Promise<Sub> {
  return openSocket(url, timeoutMs).then(
    (ws) =>
      new Promise<Sub>((resolve, reject) => {
        const sub: Sub = {
          ws,
          tally: { ...emptyTally(), key: subscription.session_id ?? '*', outOfOrder: 0, controlErrors: 0 },
          last: 0,
        };
        const timer = setTimeout(() => {
          ws.terminate();
          reject(new Error('no subscribe ack'));
        }, timeoutMs);
        ws.once('message', (raw) => {
          clearTimeout(timer);
          const text = asBuffer(raw).toString('utf8');
          if (!text.startsWith('{"status":"subscribed"')) {
            ws.terminate();
            reject(new Error(`subscribe refused: ${text.slice(0, 200)}`));
            return;
          }
          ws.on('message', (data) => onRecords(sub, asBuffer(data), nowMicros(), track));
          resolve(sub);
        });
        ws.once('close', (code, reason) => {
          clearTimeout(timer);
          reject(new Error(`closed before ack: ${code} ${reason.toString()}`));
        });
        ws.send(
          JSON.stringify(
            subscription.session_id === undefined
              ? { batch: subscription.batch }
              : { session_id: subscription.session_id, batch: subscription.batch },
          ),
        );
      }),
  );
}

serveWorker(
  {
    connect: async (message) => {
      const plan = message.plan as PoolPlan;
      const results = await mapLimited(plan.subscriptions.length, plan.concurrency, (i) =>
        subscribe(plan.url, plan.subscriptions[i]!, plan.connectTimeoutMs, plan.track),
      );
      const errors: string[] = [];
      for (const result of results) {
        if (result.status === 'fulfilled') subs.push(result.value);
        else if (errors.length < 5) errors.push(String(result.reason));
      }
      const failed = results.filter((r) => r.status === 'rejected').length;
      return { type: 'connected', opened: results.length - failed, failed, total: subs.length, errors };
    },
    progress: () => ({ type: 'progress', received }),
    resetLatency: () => {
      histogram = new LatencyHistogram();
      cpuBase = process.cpuUsage();
      return { type: 'latencyReset' };
    },
    collect: () => {
      const cpu = process.cpuUsage(cpuBase);
      const hist: SerializedHistogram = histogram.toJSON();
      return {
        type: 'collected',
        tallies: subs.map((s) => s.tally),
        histogram: hist,
        received,
        clientCpuMs: (cpu.user + cpu.system) / 1000,
      };
    },
    close: async () => {
      for (const sub of subs) sub.ws.terminate();
      subs.length = 0;
      return { type: 'closed' };
    },
  },
  () => {
    for (const sub of subs) sub.ws.terminate();
  },
);
