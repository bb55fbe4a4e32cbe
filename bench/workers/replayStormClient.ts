import type WebSocket from 'ws';
import { serveWorker } from '../lib/workerRuntime.js';
import { asBuffer, openSocket } from '../lib/wsClient.js';

/** Many concurrent replays of the whole log over /ws/subscribe (from_offset, batch:true), each checked for gaps. */
export interface ReplayStormPlan {
  readonly url: string;
  readonly replays: number;
  readonly fromOffset: number;
  /** Each replay ends when this offset arrives. */
  readonly lastOffset: number;
  readonly timeoutMs: number;
}

const OFFSET_KEY = Buffer.from('"offset":');

function offsetAt(buf: Buffer, at: number): number {
  let value = 0;
  for (let i = at + OFFSET_KEY.length; i < buf.length; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  return value;
}

interface One {
  records: number;
  gaps: number;
  lastOffset: number;
  doneMs: number;
}

/** Count one replay's records until lastOffset; resolves with its tally. */
function follow(ws: WebSocket, plan: ReplayStormPlan, started: number): Promise<One> {
  const one: One = { records: 0, gaps: 0, lastOffset: plan.fromOffset - 1, doneMs: -1 };
  return new Promise<One>((resolve) => {
    ws.on('message', (raw) => {
      const buf = asBuffer(raw);
      if (buf[0] === 0x7b) return;
      const first = buf.indexOf(OFFSET_KEY);
      const last = buf.lastIndexOf(OFFSET_KEY);
      let count = 0;
      for (let at = first; at >= 0; at = buf.indexOf(OFFSET_KEY, at + OFFSET_KEY.length)) count++;
      const firstOffset = offsetAt(buf, first);
      const lastInMessage = offsetAt(buf, last);
      if (firstOffset !== one.lastOffset + 1 || lastInMessage - firstOffset + 1 !== count) one.gaps++;
      one.records += count;
      one.lastOffset = lastInMessage;
      if (one.lastOffset >= plan.lastOffset) {
        one.doneMs = performance.now() - started;
        resolve(one);
      }
    });
    ws.on('close', () => resolve(one));
    ws.send(JSON.stringify({ from_offset: plan.fromOffset, batch: true }));
  });
}

async function storm(plan: ReplayStormPlan) {
  const sockets = await Promise.all(Array.from({ length: plan.replays }, () => openSocket(plan.url, 10_000)));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), plan.timeoutMs);
  });
  const all = Promise.all(sockets.map((ws) => follow(ws, plan, started)));
  const results = await Promise.race([all, timeout]);
  clearTimeout(timer);
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  for (const ws of sockets) ws.terminate();
  const done = results ?? [];
  return {
    type: 'stormed',
    finished: done.filter((one) => one.lastOffset >= plan.lastOffset).length,
    records: done.reduce((sum, one) => sum + one.records, 0),
    gaps: done.reduce((sum, one) => sum + one.gaps, 0),
    slowestMs: done.reduce((max, one) => Math.max(max, one.doneMs), 0),
    elapsedMs,
    failure: results === null ? `timed out after ${plan.timeoutMs} ms` : null,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

serveWorker({ storm: (message) => storm(message.plan as ReplayStormPlan) });
