import { serveWorker } from '../lib/workerRuntime.js';
import { asBuffer, openSocket } from '../lib/wsClient.js';

/** Replay the whole log over one /ws/subscribe connection (from_offset, batch:true) and time it. */
export interface ReplayPlan {
  readonly url: string;
  readonly fromOffset: number;
  /** The run ends when this offset arrives. */
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

async function replay(plan: ReplayPlan) {
  const ws = await openSocket(plan.url, 10_000);
  const cpuBefore = process.cpuUsage();
  let records = 0;
  let messages = 0;
  let bytes = 0;
  let gaps = 0;
  let lastOffset = plan.fromOffset - 1;
  let firstRecordMs = -1;
  let ackMs = -1;
  let failure: string | null = null;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      failure = `timed out after ${plan.timeoutMs} ms at offset ${lastOffset}`;
      resolve();
    }, plan.timeoutMs);
    ws.on('message', (raw) => {
      const buf = asBuffer(raw);
      if (buf[0] === 0x7b) {
        if (ackMs < 0) ackMs = performance.now() - started;
        if (!buf.toString('utf8', 0, 22).startsWith('{"status":"subscribed"')) {
          failure = buf.toString('utf8').slice(0, 300);
          clearTimeout(timer);
          resolve();
        }
        return;
      }
      if (firstRecordMs < 0) firstRecordMs = performance.now() - started;
      messages++;
      bytes += buf.length;
      // Hint: only the first and last offsets are parsed; the count of "offset" keys must match their span.
      const first = buf.indexOf(OFFSET_KEY);
      const last = buf.lastIndexOf(OFFSET_KEY);
      let count = 0;
      for (let at = first; at >= 0 && count < 1_000_000; at = buf.indexOf(OFFSET_KEY, at + OFFSET_KEY.length)) count++;
      const firstOffset = offsetAt(buf, first);
      const lastInMessage = offsetAt(buf, last);
      if (firstOffset !== lastOffset + 1 || lastInMessage - firstOffset + 1 !== count) gaps++;
      records += count;
      lastOffset = lastInMessage;
      if (lastOffset >= plan.lastOffset) {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.send(JSON.stringify({ from_offset: plan.fromOffset, batch: true }));
  });
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  ws.terminate();
  return {
    type: 'replayed',
    records,
    messages,
    bytes,
    gaps,
    lastOffset,
    elapsedMs,
    ackMs,
    firstRecordMs,
    failure,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

serveWorker({ replay: (message) => replay(message.plan as ReplayPlan) });
