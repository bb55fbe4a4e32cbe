import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { type CheckoutServer, startCheckout } from '../lib/checkoutServer.js';
import { CLIENT_OPTIONS } from '../lib/wsClient.js';

/**
 * Diagnosis: ingest when events go to more sessions than MAX_ACTIVE_SESSIONS, and what a kill -9 then costs. Starts
 * `node dist/src/main.js` of a built checkout on a temp database, publishes arrays of 100 events over 4 connections
 * (window 8) for 8 s, the n-th event to session `s<n % sessions>`, kills the server with SIGKILL, reads the session
 * projection's saved high-water against the head, and times a restart until it listens (its startup catch-up refolds
 * every session with records after the high-water).
 *
 *   node dist/bench/tools/sessionChurn.js [sessions=20000] [checkout=.]
 */
const sessions = Number(process.argv[2] ?? 20_000);
const root = resolve(process.argv[3] ?? '.');
const dir = mkdtempSync(join(tmpdir(), 'session-churn-'));
const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'events.db'), LOG_LEVEL: 'info' };

/** A server started, and how long it took to listen. */
async function start(): Promise<CheckoutServer & { readonly readyMs: number }> {
  const started = performance.now();
  const server = await startCheckout(root, env);
  return { ...server, readyMs: performance.now() - started };
}

function publish(port: number, until: number): Promise<void> {
  let n = 0;
  const frames = Array.from({ length: 200 }, () =>
    JSON.stringify(
      Array.from({ length: 100 }, () => ({
        event_type: 'answer_submitted',
        source: 'churn',
        session_id: `s${n % sessions}`,
        user_id: `u${n++ % 5_000}`,
        payload: { n },
      })),
    ),
  );
  let next = 0;
  const connection = () =>
    new Promise<void>((done) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/publish`, CLIENT_OPTIONS);
      let outstanding = 0;
      const pump = () => {
        while (outstanding < 8 && Date.now() < until) {
          ws.send(frames[next++ % frames.length]!);
          outstanding++;
        }
        if (outstanding === 0) {
          ws.terminate();
          done();
        }
      };
      ws.on('open', pump);
      ws.on('message', () => {
        outstanding--;
        pump();
      });
    });
  return Promise.all(Array.from({ length: 4 }, connection)).then(() => undefined);
}

try {
  const first = await start();
  await publish(first.port, Date.now() + 8_000);
  first.child.removeAllListeners('exit');
  const exited = new Promise((done) => first.child.once('exit', done));
  first.child.kill('SIGKILL');
  await exited;
  const db = new Database(join(dir, 'events.db'), { readonly: true });
  const head = db.prepare('SELECT MAX(offset) FROM events').pluck().get() as number;
  const upTo = db.prepare("SELECT value FROM meta WHERE key = 'session_status_upto'").pluck().get() ?? 'never saved';
  db.close();
  const again = await start();
  again.child.removeAllListeners('exit');
  const refolded = /"sessions":(\d+)[^\n]*caught up/.exec(again.output())?.[1] ?? '0';
  console.log(
    `${sessions} sessions: ${head} events committed in 8 s; session high-water at the kill ${upTo}; ` +
      `restart listening after ${again.readyMs.toFixed(0)} ms, ${refolded} sessions refolded`,
  );
  again.child.kill('SIGKILL');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
