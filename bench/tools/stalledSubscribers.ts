import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import { ServerProcess } from '../lib/serverProcess.js';
import { withTempDir } from '../lib/tempDir.js';
import { CLIENT_OPTIONS } from '../lib/wsClient.js';

/**
 * Diagnosis: what firehose subscribers that stop reading cost the server. Starts `node dist/src/main.js` of a built
 * checkout on a temp database (defaults, LOG_REQUESTS=false), opens `stalled` subscribers on /ws/subscribe (20 per
 * X-Forwarded-For address, the per-address default) that pause their sockets after the subscribe ack, one that reads,
 * and one producer on /ws/publish sending arrays of 100 events with ~500-byte payloads at `rate` events/s for
 * `seconds`. Prints the server's peak RSS (VmHWM), the most its subscribers' sockets held
 * (pipeline_subscriber_buffered_bytes, scraped each second), what was acked of what was sent, and what the reader got.
 *
 *   node dist/bench/tools/stalledSubscribers.js [stalled=1000] [seconds=40] [rate=10000] [checkout=.]
 */
const stalled = Number(process.argv[2] ?? 1_000);
const seconds = Number(process.argv[3] ?? 40);
const rate = Number(process.argv[4] ?? 10_000);
const root = resolve(process.argv[5] ?? '.');
const PER_ADDRESS = 20;
const BATCH = 100;

/** A firehose subscriber from address `k`, resolved at its subscribe ack; `onMessage` sees each later message. */
function subscribe(port: number, k: number, onMessage: (data: Buffer) => void): Promise<WebSocket> {
  const address = `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/subscribe`, {
    ...CLIENT_OPTIONS,
    headers: { 'X-Forwarded-For': address },
  });
  return new Promise((done, fail) => {
    ws.once('open', () => ws.send('{}'));
    ws.once('error', fail);
    ws.once('message', () => {
      ws.on('message', onMessage);
      done(ws);
    });
  });
}

function kib(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
}

/** Publish arrays of BATCH events at `rate` events/s until `until`; resolves with [sent, acked] once acks settle. */
async function publish(port: number, until: number): Promise<[number, number]> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/publish`, CLIENT_OPTIONS);
  await new Promise((done, fail) => ws.once('open', done).once('error', fail));
  let acked = 0;
  ws.on('message', (data: Buffer) => {
    const ack = JSON.parse(data.toString()) as { status: string; count?: number };
    if (ack.status === 'ok') acked += ack.count ?? 0;
  });
  const pad = 'p'.repeat(480);
  const frame = (n: number) =>
    JSON.stringify(
      Array.from({ length: BATCH }, (_, i) => ({
        event_type: 'timer_tick',
        source: 'stall-probe',
        session_id: `s${(n + i) % 500}`,
        payload: { pad },
      })),
    );
  const started = performance.now();
  let sent = 0;
  while (performance.now() < until) {
    const due = ((performance.now() - started) / 1000) * rate;
    while (sent + BATCH <= due) {
      ws.send(frame(sent));
      sent += BATCH;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  for (let i = 0; i < 300 && acked < sent; i++) await new Promise((r) => setTimeout(r, 100));
  ws.close();
  return [sent, acked];
}

await withTempDir('stalled-subscribers', async (dir) => {
  const server = await ServerProcess.start({ dir, label: 'stalled', checkout: root, env: { LOG_REQUESTS: 'false' } });
  try {
    await measure(server.port, server.pid);
  } finally {
    await server.stop();
  }
});

async function measure(port: number, pid: number): Promise<void> {
  const paused: WebSocket[] = [];
  for (let k = 0; k < stalled; k++) {
    const ws = await subscribe(port, Math.floor(k / PER_ADDRESS) + 1, () => undefined);
    ws.pause();
    paused.push(ws);
  }
  let got = 0;
  const reader = await subscribe(port, 0, (data) => {
    got += (data.toString().match(/"offset"/g) ?? []).length;
  });
  const base = kib(pid, 'VmRSS');
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, kib(pid, 'VmRSS'));
  }, 200);
  let buffered = 0;
  const scraper = setInterval(async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    buffered = Math.max(buffered, Number(/^pipeline_subscriber_buffered_bytes (\d+)$/m.exec(metrics)?.[1]));
  }, 1_000);
  const [sent, acked] = await publish(port, performance.now() + seconds * 1000);
  clearInterval(scraper);
  for (let i = 0; i < 100 && got < acked; i++) await new Promise((r) => setTimeout(r, 100));
  clearInterval(sampler);
  const hwm = kib(pid, 'VmHWM');
  console.log(
    JSON.stringify({
      stalled,
      seconds,
      rate,
      rssBeforeMiB: Math.round(base / 1024),
      peakRssMiB: Math.round(Math.max(peak, hwm) / 1024),
      // Hint: null for a checkout without the gauge.
      peakSubscribersBufferedMiB: Math.round(buffered / 2 ** 20),
      sent,
      acked,
      readerGot: got,
    }),
  );
  reader.close();
  for (const ws of paused) ws.terminate();
}
