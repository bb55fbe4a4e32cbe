// How long a cluster DELETE /events holds each node's event loop (run `npm run build` first; needs nats-server):
//   node scripts/clusterDeleteStall.mjs [events=300000] [checkout=.]
// Starts 3 nats-servers (this checkout's bench harness) and 3 pipeline nodes of <checkout>/dist/src/main.js, publishes
// `events` events through node 1 (REST batches of 1,000) and waits for every replica to hold them. Then it asks GET
// /health on every node back to back while node 1 deletes everything, until every node's first offset is past the
// last event. Prints one JSON line: the DELETE's time and answer, and per node the slowest /health and its p99 (ms).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NatsCluster } from '../dist/bench/lib/natsCluster.js';

const events = Number(process.argv[2] ?? 300_000);
const MAIN = join(resolve(process.argv[3] ?? '.'), 'dist/src/main.js');
const dir = mkdtempSync(join(tmpdir(), 'cluster-delete-stall-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nats = await NatsCluster.start(3);
const basePort = 21_000 + Math.floor(Math.random() * 8_000);
const nodes = [0, 1, 2].map((i) => {
  const port = basePort + i;
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_PATH: join(dir, `n${i}.db`),
    LOG_BACKEND: 'jetstream',
    NATS_URL: nats.url,
    NATS_STREAM: 'EVENTS',
    NATS_REPLICAS: '3',
    LOG_LEVEL: 'warn',
  };
  return { base: `http://127.0.0.1:${port}`, proc: spawn(process.execPath, [MAIN], { env, stdio: 'inherit' }) };
});
const stats = (node) => fetch(`${node.base}/stats`).then((r) => r.json());

try {
  for (const node of nodes)
    for (let i = 0; ; i++) {
      if (i === 300) throw new Error(`${node.base} did not start`);
      if ((await fetch(`${node.base}/readiness`).then((r) => r.status, () => 0)) === 200) break;
      await sleep(100);
    }
  let sent = 0;
  const sender = async () => {
    while (sent < events) {
      const count = Math.min(1_000, events - sent);
      sent += count;
      const body = Array.from({ length: count }, (_, k) => ({
        event_type: 'answer_submitted',
        source: 'stall',
        session_id: `s${(sent + k) % 500}`,
        payload: { k },
      }));
      const res = await fetch(`${nodes[0].base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all([sender(), sender(), sender(), sender()]);
  const head = (await stats(nodes[0])).head_offset;
  for (const node of nodes) while ((await stats(node)).head_offset < head) await sleep(200);
  let polling = true;
  const poll = async (node) => {
    const times = [];
    while (polling) {
      const started = performance.now();
      await fetch(`${node.base}/health`).then((r) => r.arrayBuffer());
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const at = (p) => Number(times[Math.floor(p * (times.length - 1))].toFixed(1));
    return { asked: times.length, max: at(1), p99: at(0.99) };
  };
  const pollers = nodes.map(poll);
  await sleep(500);
  const started = performance.now();
  const res = await fetch(`${nodes[0].base}/events`, { method: 'DELETE' });
  const answer = await res.text();
  const deleteMs = Number((performance.now() - started).toFixed(0));
  for (const node of nodes) while ((await stats(node)).first_offset <= head) await sleep(100);
  await sleep(500);
  polling = false;
  const health = await Promise.all(pollers);
  const after = await Promise.all(nodes.map(stats));
  console.log(
    JSON.stringify({
      events: head,
      delete: { status: res.status, answer: answer.trim(), ms: deleteMs },
      health,
      first_offsets: after.map((s) => s.first_offset),
      total_events: after.map((s) => s.total_events),
    }),
  );
} finally {
  for (const node of nodes) node.proc.kill('SIGKILL');
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
}
