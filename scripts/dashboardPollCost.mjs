// Server CPU per dashboard poll, against three GET /health in the same run (run `npm run build` first):
//   node scripts/dashboardPollCost.mjs [sessions=1000]
// Starts dist/src/main.js on a temp database, publishes 20,000 events over `sessions` sessions, then times 400 rounds
// of each request set, reading the server's CPU time from /proc (Linux only).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const sessions = Number(process.argv[2] ?? 1000);
const ROUNDS = 400;
const dir = mkdtempSync(join(tmpdir(), 'dashboard-poll-'));
const port = 20_000 + Math.floor(Math.random() * 10_000);
const env = { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATABASE_PATH: join(dir, 'events.db') };
const server = spawn(process.execPath, [MAIN], { env: { ...env, LOG_LEVEL: 'warn' }, stdio: 'inherit' });
const base = `http://127.0.0.1:${port}`;

/** The server's user + system CPU time in ms (clock ticks of 10 ms). */
function serverCpuMs() {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU ms per round of `paths` fetched in parallel, as the page does. */
async function perRound(paths) {
  const before = serverCpuMs();
  for (let i = 0; i < ROUNDS; i++) await Promise.all(paths.map((p) => fetch(base + p).then((r) => r.arrayBuffer())));
  return (serverCpuMs() - before) / ROUNDS;
}

try {
  for (;;) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (let b = 0; b < 20; b++) {
    const events = Array.from({ length: 1000 }, (_, i) => ({
      event_type: i % 7 === 0 ? 'quiz_started' : 'answer_submitted',
      source: 'bench',
      session_id: `s-${(b * 1000 + i) % sessions}`,
      user_id: `u-${i % 50}`,
      payload: { i },
    }));
    const headers = { 'content-type': 'application/json' };
    const res = await fetch(`${base}/api/v1/events`, { method: 'POST', headers, body: JSON.stringify(events) });
    if (res.status !== 201) throw new Error(`publish answered ${res.status}`);
  }
  await perRound(['/health']);
  const health = await perRound(['/health', '/health', '/health']);
  const light = await perRound(['/api/v1/stats', '/api/v1/sessions?limit=15', '/api/v1/subscribers?limit=50']);
  const statuses = await perRound(['/api/v1/sessions?limit=1000']);
  // Hint: app.js asks for the 1,000-session listing on every fourth poll.
  const poll = light + statuses / 4;
  const result = { sessions, events: 20_000, rounds: ROUNDS, cpuMsPerPoll: poll, cpuMsPerLightPoll: light };
  console.log(JSON.stringify({ ...result, cpuMsPerStatusListing: statuses, cpuMsPer3Health: health }));
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
