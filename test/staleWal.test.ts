import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, runMain, spawnServer } from './support/childServer.js';
import { event, getJson, publish } from './support/httpCall.js';

/**
 * A backup put in place with the old log's `-wal` left beside it. SQLite reads that WAL's commits over the backup, so
 * the start found it corrupt; before, the message said `restore a backup, or start with INTEGRITY_CHECK=off`, which
 * the operator had just done (an operator probe).
 */
describe('a backup restored beside a stale WAL', () => {
  let dir = '';
  const servers: ChildServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is refused naming the WAL as the likely cause and what to do; moved aside, the backup serves', async () => {
    dir = mkdtempSync(join(tmpdir(), 'stale-wal-'));
    const path = join(dir, 'events.db');
    const server = await spawnServer(path);
    servers.push(server);
    const batch = (tag: string) =>
      Array.from({ length: 500 }, (_, i) =>
        event({ session_id: `${tag}${i % 5}`, payload: { i, pad: 'p'.repeat(300) } }),
      );
    for (let n = 0; n < 8; n++) expect((await publish(server.base, batch('a'))).status).toBe(201);
    const backup = new Database(path, { readonly: true });
    backup.prepare('VACUUM INTO ?').run(join(dir, 'backup.db'));
    backup.close();
    for (let n = 0; n < 8; n++) expect((await publish(server.base, batch('b'))).status).toBe(201);
    // A crash leaves the commits since the last checkpoint in the -wal; the backup is then copied in, the WAL left.
    server.proc.kill('SIGKILL');
    await server.exited;
    expect(existsSync(`${path}-wal`)).toBe(true);
    copyFileSync(join(dir, 'backup.db'), path);

    const refused = await runMain({ DATABASE_PATH: path, PORT: '0', HOST: '127.0.0.1' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${path}: the database file is corrupt`);
    expect(refused.stderr).toContain(
      `${path}-wal lies beside it: if ${path} was put in place from a backup, that WAL is the old log's, read over ` +
        `the backup, so move ${path}-wal and ${path}-shm aside and start again; else restore a backup`,
    );

    renameSync(`${path}-wal`, join(dir, 'old.db-wal'));
    renameSync(`${path}-shm`, join(dir, 'old.db-shm'));
    const restored = await spawnServer(path);
    servers.push(restored);
    const stats = await getJson<{ total_events: number }>(restored.base, '/stats');
    expect(stats.body.total_events).toBe(4_000);
  });
});
