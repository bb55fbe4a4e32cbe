// GET /sessions?limit=15 latency with 60 pollers asking listings at once (run `npm run build` first):
//   node scripts/concurrentListings.mjs [sessions=1000] [seconds=20] [checkout=.]
// Starts <checkout>/dist/src/main.js on a temp database with `sessions` sessions, publishes batches of 50 events in a
// loop, and runs 60 pollers that each ask ?limit=15 (and ?limit=1000 beside it every fourth round) every 100 ms, as
// dashboards do. Prints one JSON line: the ?limit=15 latencies (ms).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const sessions = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 20);
const MAIN = join(resolve(process.argv[4] ?? '.'), 'dist/src/main.js');
const POLLERS = 60;
const dir = mkdtempSync(join(tmpdir(), 'concurrent-listings-'));
const port = 20_000 + Math.floor(Math.random() * 10_000);
const env = { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATABASE_PATH: join(dir, 'events.db') };
const server = spawn(process.execPath, [MAIN], { env: { ...env, LOG_LEVEL: 'warn' }, stdio: 'inherit' });
const base = `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** POST a batch of `count` events of `type`, session ids from `from` on (modulo `sessions`). */
async function publish(type, from, count) {
  const body = Array.from({ length: count }, (_, k) => ({
    event_type: type,
    source: 'bench',
    session_id: `s${(from + k) % sessions}`,
  }));
  const res = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`publish answered ${res.status}`);
}

try {
  for (let i = 0; ; i++) {
    if (i === 100) throw new Error('the server did not start');
    if (await fetch(`${base}/health`).then(() => true, () => false)) break;
    await sleep(100);
  }
  for (let i = 0; i < sessions; i += 1000) await publish('session_created', i, Math.min(1000, sessions - i));
  const small = [];
  let stop = false;
  const publisher = (async () => {
    for (let k = 0; !stop; k += 50) await publish('answer_submitted', k, 50);
  })();
  const poller = async () => {
    for (let round = 0; !stop; round++) {
      const started = performance.now();
      const big = round % 4 === 0 ? fetch(`${base}/sessions?limit=1000`).then((r) => r.arrayBuffer()) : null;
      await (await fetch(`${base}/sessions?limit=15`)).arrayBuffer();
      small.push(performance.now() - started);
      await big;
      await sleep(100);
    }
  };
  const pollers = Array.from({ length: POLLERS }, poller);
  await sleep(seconds * 1000);
  stop = true;
  await Promise.all([...pollers, publisher]);
  small.sort((a, b) => a - b);
  const at = (p) => Number(small[Math.floor(p * (small.length - 1))].toFixed(1));
  console.log(JSON.stringify({ sessions, pollers: POLLERS, listings: small.length, p50: at(0.5), p90: at(0.9), p99: at(0.99) }));
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
