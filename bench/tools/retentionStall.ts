import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { nodeArgsOf, startCheckout } from '../lib/checkoutServer.js';
import { CLIENT_OPTIONS } from '../lib/wsClient.js';

/**
 * Diagnosis: how long the server stalls after a retention delete that cuts long sessions. Starts `node
 * dist/src/main.js` of a built checkout on a temp database; publishes `events` by arrays of 500 over /ws/publish,
 * 45% of them in 20 long sessions and the rest in sessions of 10; then a trickle of 200 events/s (half to the long
 * sessions) while `/health` is asked every 20 ms, and `DELETE /events` of the oldest 40%. With `list`, a dashboard's
 * `GET /sessions?limit=1000` every 2 s too. Prints the DELETE's time and the slowest and p99 `/health` over the 6 s
 * after it was sent (and the slowest listing). RETENTION_STALL_LINGER_MS keeps the server that long after;
 * BENCH_SERVER_NODE_ARGS (`--cpu-prof`, a preload) go to the server's node.
 *
 *   node dist/bench/tools/retentionStall.js [events=600000] [checkout=.] [list]
 */
const total = Number(process.argv[2] ?? 600_000);
const root = resolve(process.argv[3] ?? '.');
const listing = process.argv[4] === 'list';
const dir = mkdtempSync(join(tmpdir(), 'retention-stall-'));
const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'events.db'), LOG_LEVEL: 'warn' };

/** When the server was spawned (its own clock starts about then: see the loopGaps preload's window). */
let spawned = 0;

function start() {
  spawned = performance.now();
  return startCheckout(root, env, nodeArgsOf(process.env.BENCH_SERVER_NODE_ARGS));
}

let n = 0;
/** The n-th event: 45% (9 of 20) to long sessions l0-l19, the rest to sessions of 10. */
function event(): object {
  const i = n++;
  const session_id = i % 20 < 9 ? `l${i % 20}` : `s${Math.floor(i / 200)}_${i % 20}`;
  const types = ['quiz_started', 'answer_submitted', 'answer_submitted', 'timer_tick'];
  return { event_type: types[i % 4], source: 'stall', session_id, user_id: `u${i % 500}`, payload: { i } };
}

/** Publish `count` events by arrays of 500 on one connection, 4 arrays in flight. */
async function publishAll(port: number, count: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/publish`, CLIENT_OPTIONS);
  await new Promise((done) => ws.once('open', done));
  let sent = 0;
  let acked = 0;
  await new Promise<void>((done) => {
    const pump = () => {
      while (sent < count && sent - acked < 2_000) {
        const size = Math.min(500, count - sent);
        ws.send(JSON.stringify(Array.from({ length: size }, event)));
        sent += size;
      }
      if (acked >= count) done();
    };
    ws.on('message', (data: Buffer) => {
      const ack = JSON.parse(data.toString()) as { status?: string; count?: number };
      if (ack.status !== 'ok') throw new Error(`publish refused: ${data.toString().slice(0, 300)}`);
      acked += ack.count ?? 0;
      pump();
    });
    pump();
  });
  ws.close();
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? 0;

const { child, port } = await start();
try {
  const base = `http://127.0.0.1:${port}`;
  await publishAll(port, Math.round(total * 0.4));
  await new Promise((done) => setTimeout(done, 50));
  const cut = new Date().toISOString();
  await new Promise((done) => setTimeout(done, 50));
  await publishAll(port, total - Math.round(total * 0.4));
  const trickle = new WebSocket(`ws://127.0.0.1:${port}/ws/publish`, CLIENT_OPTIONS);
  await new Promise((done) => trickle.once('open', done));
  const trickling = setInterval(() => trickle.send(JSON.stringify([event(), event()])), 10);
  const health: { at: number; ms: number }[] = [];
  let probing = true;
  const probe = async () => {
    while (probing) {
      const at = performance.now();
      await fetch(`${base}/health`).then((r) => r.arrayBuffer());
      health.push({ at, ms: performance.now() - at });
      await new Promise((done) => setTimeout(done, 20));
    }
  };
  const lists: number[] = [];
  const list = async () => {
    while (listing && probing) {
      const at = performance.now();
      await fetch(`${base}/sessions?limit=1000`).then((r) => r.arrayBuffer());
      lists.push(performance.now() - at);
      await new Promise((done) => setTimeout(done, 2_000));
    }
  };
  const probes = Promise.all([probe(), list()]);
  await new Promise((done) => setTimeout(done, 2_000));
  const sent = performance.now();
  const reply = await fetch(`${base}/events?before=${encodeURIComponent(cut)}`, { method: 'DELETE' });
  const deleteMs = performance.now() - sent;
  const body = await reply.text();
  await new Promise((done) => setTimeout(done, 6_000 - Math.min(deleteMs, 6_000)));
  probing = false;
  clearInterval(trickling);
  await probes;
  trickle.close();
  const after = health.filter((h) => h.at >= sent && h.at < sent + 6_000).map((h) => h.ms);
  const before = health.filter((h) => h.at < sent).map((h) => h.ms);
  console.log(
    `${total} events, DELETE ${reply.status} ${body.slice(0, 80)} in ${deleteMs.toFixed(0)} ms; /health in the 6 s ` +
      `after: slowest ${Math.max(...after).toFixed(0)} ms, p99 ${percentile(after, 0.99).toFixed(0)} ms ` +
      `(${after.length} probes; before the delete: slowest ${Math.max(...before).toFixed(0)} ms)` +
      (listing ? `; listings ${lists.map((ms) => ms.toFixed(0)).join(', ')} ms` : '') +
      `; the DELETE was sent ${(sent - spawned).toFixed(0)} ms after the spawn`,
  );
  // Hint: a preload that reports at a set time (bench/tools/loopGaps.ts) needs the server alive until then.
  await new Promise((done) => setTimeout(done, Number(process.env.RETENTION_STALL_LINGER_MS ?? 0)));
} finally {
  // Hint: SIGTERM first, so a server under --cpu-prof writes its profile.
  child.removeAllListeners('exit');
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000))]);
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
