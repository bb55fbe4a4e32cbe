import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { eventBody, getJson, postEvents, waitFor } from './support/pipelineRest.js';
import { subscribe, type WsClient } from './support/wsClient.js';

/** Publish `count` events over REST, one request each; returns the last offset. */
async function publish(base: string, count: number, tag: string): Promise<number> {
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const reply = await postEvents(base, eventBody({ session_id: `restore-${tag}`, payload: { i } }));
    expect(reply.status).toBe(201);
    offset = (reply.body as { offset: number }).offset;
  }
  return offset;
}

async function epochOf(base: string): Promise<string> {
  return (await getJson<{ epoch: string }>(`${base}/health`)).body.epoch;
}

/** `VACUUM INTO target` on `path` in another process, so this one goes on publishing meanwhile; its exit code. */
function vacuumIntoElsewhere(path: string, target: string): Promise<number | null> {
  const script =
    "const D=require('better-sqlite3');const db=new D(process.argv[1],{readonly:true});" +
    "db.prepare('VACUUM INTO ?').run(process.argv[2]);db.close()";
  const child = spawn(process.execPath, ['-e', script, path, target], { cwd: process.cwd(), stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe("the README's backup and restore procedure, followed literally", () => {
  let dir = '';
  const servers: ChildServer[] = [];
  const clients: WsClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    for (const server of servers.splice(0)) await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives a log restored from a backup a new epoch, however few events it lost', async () => {
    dir = mkdtempSync(join(tmpdir(), 'backup-restore-'));
    const path = join(dir, 'events.db');
    const server = await spawnServer(path);
    servers.push(server);
    expect(await publish(server.base, 5, 'a')).toBe(5);
    const epoch = await epochOf(server.base);

    // A consistent copy while the server runs, on a second connection (the README's VACUUM INTO), then more commits.
    mkdirSync(join(dir, 'backup'));
    const source = new Database(path, { readonly: true });
    source.prepare('VACUUM INTO ?').run(join(dir, 'backup', 'events.db'));
    source.close();
    expect(await publish(server.base, 5, 'b')).toBe(10);
    // A subscriber that saved offset 10 under this epoch.
    const saved = { offset: 10, epoch };

    // Stop the server, put the backup in place as events.db, delete the old -wal and -shm, and start.
    server.proc.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    copyFileSync(join(dir, 'backup', 'events.db'), path);
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    const restored = await spawnServer(path);
    servers.push(restored);

    // Offsets 6.. are handed out again for other events, so the log must not pass for the one the offset was saved in.
    expect(await publish(restored.base, 1, 'c')).toBe(6);
    const resumed = await subscribe(restored.wsBase, { from_offset: saved.offset + 1 });
    clients.push(resumed.client);
    expect(resumed.ack.epoch).not.toBe(saved.epoch);
    expect(await epochOf(restored.base)).toBe(resumed.ack.epoch);
    // Hint: the log is written in batches (at least every 250 ms), so the line may follow the first answers.
    const warned = /beyond this log's head 5 .*the log went backwards, so it gets a new epoch/;
    expect(await waitFor(() => (warned.test(restored.output()) ? restored.output() : null), 'the warning')).toMatch(
      warned,
    );
  });
  // Hint: SQLite's online backup (the shell's `.backup`, better-sqlite3's `db.backup()`) starts over whenever another
  // connection commits, so under steady publishing it never finished (a probe: 607 s, 1.1 TB read, on 712 MB);
  // VACUUM INTO copies one read transaction's snapshot.
  it('takes a whole, consistent copy with VACUUM INTO while events are being committed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'backup-busy-'));
    const path = join(dir, 'events.db');
    const server = await spawnServer(path);
    servers.push(server);
    await publish(server.base, 200, 'before');
    let publishing = true;
    let during = 0;
    const publisher = (async () => {
      while (publishing) {
        await publish(server.base, 1, 'during');
        during++;
      }
    })();
    const copy = join(dir, 'copy.db');
    // The copy starts once commits are under way; they go on while it runs.
    await waitFor(() => during >= 5, 'commits under way');
    const startedAt = during;
    const code = await vacuumIntoElsewhere(path, copy);
    publishing = false;
    await publisher;
    expect(code).toBe(0);
    const backup = new Database(copy, { readonly: true });
    const offsets = backup.prepare('SELECT offset FROM events ORDER BY offset').pluck().all() as number[];
    backup.close();
    // A prefix of the log with no gap, holding at least what was committed before the copy began.
    expect(offsets.length).toBeGreaterThanOrEqual(200 + startedAt);
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
  });

  // Hint: POSIX locks belong to the process, and closing any descriptor of a file drops all of them; the server read
  // the log's header by an open and a close, so it held no lock on the file, and the shell (SQLite 3.40 here; a
  // better-sqlite3 connection did not), closing, took itself for the last connection: it checkpointed and deleted the
  // live WAL, and every commit was refused until a restart.
  it("keeps committing while the README's sqlite3 command copies the live log, and keeps its WAL", async () => {
    dir = mkdtempSync(join(tmpdir(), 'backup-shell-'));
    const path = join(dir, 'events.db');
    const server = await spawnServer(path);
    servers.push(server);
    expect(await publish(server.base, 5, 'before')).toBe(5);
    // The server holds SQLite's lock on the file (Linux lists POSIX locks with the pid and inode).
    const inode = `:${statSync(path).ino} `;
    const locks = readFileSync('/proc/locks', 'utf8').split('\n');
    expect(locks.filter((line) => line.includes(` ${server.proc.pid} `) && line.includes(inode))).not.toEqual([]);
    mkdirSync(join(dir, 'backup'));
    // `sqlite3` is Debian's package of that name (.ci/run installs it).
    const shell = spawnSync('sqlite3', ['events.db', "VACUUM INTO 'backup/events.db'"], { cwd: dir, encoding: 'utf8' });
    expect(shell.error).toBeUndefined();
    expect(shell.status).toBe(0);
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(await publish(server.base, 5, 'after')).toBe(10);
    expect((await getJson(`${server.base}/readiness`)).status).toBe(200);
    expect(server.output()).not.toMatch(/commits are refused/);
  });
});
