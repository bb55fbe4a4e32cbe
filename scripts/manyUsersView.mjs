// One session with many users: the size and latency of GET /sessions/{id}, and /health while two clients loop on it
// (run `npm run build` first):
//   node scripts/manyUsersView.mjs [users=50000] [query=]
// Starts dist/src/main.js on a temp database, publishes `users` answer_submitted events to session "manyusers", each
// with a distinct 190-character user_id, then reads the view (`query` appended, e.g. `?user_limit=0`).
import { fileURLToPath } from 'node:url';
import { publishManyUsers, startServer } from './manyUsersSession.mjs';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const users = Number(process.argv[2] ?? 50_000);
const query = process.argv[3] ?? '';
const { base, stop } = await startServer(MAIN, 'many-users-');
const VIEW = `/api/v1/sessions/manyusers${query}`;

/** The median and the largest of `ms`. */
function summary(ms) {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1), n: sorted.length };
}

/** Latency of `GET /health` every 20 ms for `ms`, rounded to 0.1 ms. */
async function healthFor(ms) {
  const times = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const start = performance.now();
    await (await fetch(`${base}/health`)).arrayBuffer();
    times.push(Math.round((performance.now() - start) * 10) / 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return summary(times);
}

try {
  await publishManyUsers(base, users);
  const reads = [];
  let bytes = 0;
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    bytes = (await (await fetch(base + VIEW)).arrayBuffer()).byteLength;
    reads.push(Math.round(performance.now() - start));
  }
  const idle = await healthFor(3000);
  let looping = true;
  const loop = async () => {
    while (looping) await (await fetch(base + VIEW)).arrayBuffer();
  };
  const loops = [loop(), loop()];
  const loaded = await healthFor(5000);
  looping = false;
  await Promise.all(loops);
  console.log(JSON.stringify({ users, query, viewBytes: bytes, viewMs: summary(reads), health: { idle, loaded } }));
} finally {
  await stop();
}
