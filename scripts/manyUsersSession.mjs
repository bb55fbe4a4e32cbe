// What scripts/manyUsersView.mjs and scripts/dashboardManyUsers.mjs share: a server child on a temp database, and
// session "manyusers" of `users` answer_submitted events, each with a distinct 190-character user_id.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Start `main` (a built dist/src/main.js) on a random port and a temp database; resolves once /health answers. */
export async function startServer(main, prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const env = { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATABASE_PATH: join(dir, 'events.db') };
  const child = spawn(process.execPath, [main], { env: { ...env, LOG_LEVEL: 'warn' }, stdio: 'inherit' });
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, child, stop };
}

/** Publish session "manyusers": `users` events in batches of 1,000, one distinct 190-character user_id each. */
export async function publishManyUsers(base, users) {
  for (let b = 0; b < users; b += 1000) {
    const events = Array.from({ length: Math.min(1000, users - b) }, (_, i) => ({
      event_type: 'answer_submitted',
      source: 'bench',
      session_id: 'manyusers',
      user_id: `user-${String(b + i).padStart(8, '0')}-`.padEnd(190, 'x'),
      payload: { i },
    }));
    const headers = { 'content-type': 'application/json' };
    const res = await fetch(`${base}/api/v1/events`, { method: 'POST', headers, body: JSON.stringify(events) });
    if (res.status !== 201) throw new Error(`publish answered ${res.status}`);
  }
}
