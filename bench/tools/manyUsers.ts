import { resolve } from 'node:path';
import WebSocket from 'ws';
import { ServerProcess } from '../lib/serverProcess.js';
import { withTempDir } from '../lib/tempDir.js';
import { CLIENT_OPTIONS } from '../lib/wsClient.js';

/**
 * Diagnosis: what one session with very many distinct users costs. Starts `node dist/src/main.js` of a built checkout
 * on a temp database (defaults, LOG_REQUESTS=false); one producer on /ws/publish sends `total` answer_submitted
 * events to session "big", each from a new user, in arrays of 1,000 with 8 in flight, while a prober asks
 * GET /health every 5 ms. Prints the ingest rate, the probe's p50, p99 and worst latency (a long one is the I/O
 * thread held by something), the session's user_count, and the server's CPU time.
 *
 *   node dist/bench/tools/manyUsers.js [total=1000000] [checkout=.]
 */
const total = Number(process.argv[2] ?? 1_000_000);
const root = resolve(process.argv[3] ?? '.');
const BATCH = 1_000;
const WINDOW = 8;

/** Publish `total` events of new users to one session; resolves with the elapsed ms once all are acked. */
async function publish(port: number): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/publish`, CLIENT_OPTIONS);
  await new Promise((done, fail) => ws.once('open', done).once('error', fail));
  const started = performance.now();
  let sent = 0;
  let acked = 0;
  const frame = () =>
    JSON.stringify(
      Array.from({ length: BATCH }, (_, i) => ({
        event_type: 'answer_submitted',
        source: 'many-users',
        session_id: 'big',
        user_id: `user-${sent + i}`,
        payload: { q: sent + i },
      })),
    );
  return new Promise((done, fail) => {
    const pump = () => {
      while (sent - acked < WINDOW * BATCH && sent < total) {
        ws.send(frame());
        sent += BATCH;
      }
    };
    ws.on('message', (data: Buffer) => {
      const ack = JSON.parse(data.toString()) as { status: string; count?: number };
      if (ack.status !== 'ok') fail(new Error(`publish refused: ${data.toString().slice(0, 200)}`));
      acked += ack.count ?? 0;
      if (acked < total) return pump();
      ws.close();
      done(performance.now() - started);
    });
    pump();
  });
}

/** GET /health every 5 ms until `stop()`; the latencies seen. */
function probe(port: number): { stop: () => Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`http://127.0.0.1:${port}/health`)).text();
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return latencies.sort((a, b) => a - b);
    },
  };
}

await withTempDir('many-users', async (dir) => {
  const server = await ServerProcess.start({
    dir,
    label: 'many-users',
    checkout: root,
    env: { LOG_REQUESTS: 'false' },
  });
  try {
    const cpuBefore = server.cpuTimeMs();
    const prober = probe(server.port);
    const elapsedMs = await publish(server.port);
    const latencies = await prober.stop();
    const cpuMs = server.cpuTimeMs() - cpuBefore;
    const session = (await (await fetch(`http://127.0.0.1:${server.port}/sessions/big`)).json()) as {
      user_count: number;
    };
    const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
    console.log(
      JSON.stringify({
        total,
        eventsPerSecond: Math.round((total * 1000) / elapsedMs),
        healthProbes: latencies.length,
        healthP50Ms: at(0.5),
        healthP99Ms: at(0.99),
        healthMaxMs: Math.round(latencies[latencies.length - 1]!),
        serverCpuS: Math.round(cpuMs / 100) / 10,
        userCount: session.user_count,
      }),
    );
  } finally {
    await server.stop();
  }
});
