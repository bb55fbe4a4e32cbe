import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { nodeArgsOf, startCheckout } from '../lib/checkoutServer.js';
import { CLIENT_OPTIONS } from '../lib/wsClient.js';

/**
 * Diagnosis: what a session read costs right after a restart, when no session actor is in memory. Starts
 * `node dist/src/main.js` of a built checkout on a temp database, publishes `sessions` sessions of `perSession`
 * events each (arrays of 100 over one connection, the sessions interleaved), stops the server (SIGTERM, or SIGKILL
 * with `kill`), then for each read restarts it and times that read alone: GET /sessions/s0 (one whole session) and
 * GET /sessions?limit=1000 and GET /events?session_id=s0&limit=100 (a keyed read), then once more in the same server
 * (warm); a first read of a session the log lacks shows what any first read costs. While a read runs nothing else is
 * served, so its time is also the stall it causes.
 *
 *   node dist/bench/tools/coldSessions.js [sessions=100] [perSession=2000] [term|kill] [checkout=.]
 *
 * SERVER_NODE_ARGS (say `--cpu-prof --cpu-prof-dir=/tmp/prof`) is passed to every server's node.
 */
const sessions = Number(process.argv[2] ?? 100);
const perSession = Number(process.argv[3] ?? 2_000);
const signal = process.argv[4] === 'kill' ? 'SIGKILL' : 'SIGTERM';
const root = resolve(process.argv[5] ?? '.');
const dir = mkdtempSync(join(tmpdir(), 'cold-sessions-'));
const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'events.db'), LOG_LEVEL: 'warn' };

const start = () => startCheckout(root, env, nodeArgsOf(process.env.SERVER_NODE_ARGS));

async function stop(child: ChildProcess, how: NodeJS.Signals): Promise<void> {
  const exited = new Promise((done) => child.once('exit', done));
  child.kill(how);
  await exited;
}

async function publish(port: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/publish`, CLIENT_OPTIONS);
  await new Promise((done) => ws.once('open', done));
  const total = sessions * perSession;
  let sent = 0;
  let acked = 0;
  await new Promise<void>((done, fail) => {
    ws.once('close', (code, reason) => fail(new Error(`publish socket closed: ${code} ${reason.toString()}`)));
    const pump = () => {
      while (sent < total && sent - acked < 800) {
        const batch = Array.from({ length: Math.min(100, total - sent) }, (_, i) => {
          const n = sent + i;
          return {
            event_type: n % perSession === 0 ? 'quiz_started' : 'answer_submitted',
            source: 'cold',
            session_id: `s${n % sessions}`,
            user_id: `u${n % 37}`,
            payload: { quiz_id: 'q1', n },
          };
        });
        sent += batch.length;
        ws.send(JSON.stringify(batch));
      }
    };
    ws.on('message', (data: Buffer) => {
      const reply = JSON.parse(data.toString()) as { status: string; count?: number; message?: string };
      if (reply.status !== 'ok') throw new Error(`publish refused: ${reply.message}`);
      acked += reply.count ?? 1;
      if (acked >= total) done();
      else pump();
    });
    pump();
  });
  ws.close();
}

async function timed(path: string): Promise<string> {
  const server = await start();
  const get = async () => {
    const began = performance.now();
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    const body = await response.text();
    return { ms: performance.now() - began, status: response.status, bytes: body.length };
  };
  const cold = await get();
  const warm = await get();
  await stop(server.child, 'SIGTERM');
  return `${path} ${cold.status} in ${cold.ms.toFixed(1)} ms cold, ${warm.ms.toFixed(1)} ms warm (${cold.bytes} bytes)`;
}

try {
  const first = await start();
  await publish(first.port);
  await stop(first.child, signal);
  console.log(`${sessions} sessions x ${perSession} events, stopped with ${signal}`);
  // The first restart after a kill folds what the projection missed; time the reads after it.
  if (signal === 'SIGKILL') await stop((await start()).child, 'SIGKILL');
  const paths = [
    '/sessions/nope',
    '/sessions/s0',
    '/sessions/s0',
    '/sessions?limit=1000',
    '/events?session_id=s0&limit=100',
  ];
  for (const path of paths) console.log(await timed(path));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
