// Server CPU per single-event POST /events with request lines on and off (LOG_REQUESTS), interleaved runs against
// `node dist/src/main.js` with stdout to /dev/null. Run `npm run build` first; prints one JSON line per run.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const RUNS = Number(process.env.RUNS ?? 4);
const REQUESTS = Number(process.env.REQUESTS ?? 20_000);
const MAIN = new URL('../dist/src/main.js', import.meta.url).pathname;

/** User + system CPU of a process in ms (Linux /proc, 10 ms ticks). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function run(logRequests, port) {
  const dir = mkdtempSync(join(tmpdir(), 'reqcost-'));
  const env = { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATABASE_PATH: join(dir, 'e.db') };
  const child = spawn(process.execPath, [MAIN], {
    env: { ...env, LOG_REQUESTS: logRequests, LOG_LEVEL: 'info' },
    stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/health`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const body = JSON.stringify({ event_type: 'answer_submitted', source: 'bench', session_id: 's1', payload: { a: 1 } });
  const load = (amount) =>
    autocannon({
      url: `http://127.0.0.1:${port}/events`,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      connections: 16,
      amount,
    });
  await load(2_000);
  const before = cpuMs(child.pid);
  const result = await load(REQUESTS);
  const used = cpuMs(child.pid) - before;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.on('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
  const cpuUsPerRequest = Number(((used * 1000) / result.requests.total).toFixed(1));
  return { logRequests, requests: result.requests.total, non2xx: result.non2xx, cpuUsPerRequest };
}

for (let i = 0; i < RUNS; i++) {
  console.log(JSON.stringify(await run('false', 18_701)));
  console.log(JSON.stringify(await run('true', 18_702)));
}
