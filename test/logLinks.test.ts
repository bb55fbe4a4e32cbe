import { existsSync, linkSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogLockedError, LogOpenError } from '../src/persistence/eventLog.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { type ChildServer, killServer, runMain, spawnServer } from './support/childServer.js';
import { event, getJson, publish } from './support/httpCall.js';

const deps = { now: () => 1_000, newId: () => `gen-${Math.random()}`, newEpoch: () => 'e' };

/** What opening a log at `path` throws (undefined: it opened, and was closed again). */
function openError(path: string): unknown {
  try {
    new SqliteEventLog({ path, ...deps }).close();
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * A log reached through another name. An operator probe: a second server on a symbolic link to a running server's
 * log started (its lock file was named after the link), served head 0 and answered every publish 503 `UNIQUE
 * constraint failed: events.offset` while /readiness said ready.
 */
describe('a log under another name', () => {
  let dir = '';
  const servers: ChildServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('through a symbolic link is the same log: a second open is refused as in use, and the files sit beside the target', () => {
    dir = mkdtempSync(join(tmpdir(), 'log-links-'));
    const real = join(dir, 'a.db');
    const link = join(dir, 'b.db');
    // A link made before its target exists: the open creates the target, as SQLite does.
    symlinkSync('a.db', link);
    const first = new SqliteEventLog({ path: link, ...deps });
    try {
      expect(existsSync(real)).toBe(true);
      expect(existsSync(`${real}.lock`)).toBe(true);
      expect(existsSync(`${link}.lock`)).toBe(false);
      const refused = openError(real);
      expect(refused).toBeInstanceOf(LogLockedError);
      expect((refused as LogLockedError).holderPid).toBe(process.pid);
    } finally {
      first.close();
    }
    const second = new SqliteEventLog({ path: real, ...deps });
    try {
      expect(openError(link)).toBeInstanceOf(LogLockedError);
    } finally {
      second.close();
    }
  });

  it('a second server on a symbolic link to a running server log exits 5 naming the holder, which keeps serving', async () => {
    dir = mkdtempSync(join(tmpdir(), 'log-links-'));
    const real = join(dir, 'a.db');
    const holder = await spawnServer(real);
    servers.push(holder);
    expect((await publish(holder.base, JSON.stringify(event()))).status).toBe(201);
    symlinkSync('a.db', join(dir, 'b.db'));
    const second = await runMain({ DATABASE_PATH: join(dir, 'b.db'), PORT: '0', HOST: '127.0.0.1' });
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(`${real} is in use by another server (pid ${holder.proc.pid})`);
    expect((await fetch(`${holder.base}/readiness`)).status).toBe(200);
    expect((await publish(holder.base, JSON.stringify(event()))).status).toBe(201);
    expect((await getJson<{ offset: number }[]>(holder.base, '/events?order=asc')).body).toHaveLength(2);
  });

  it('a log file with a second name (a hard link) is refused at start, naming the file; its running server goes on', async () => {
    dir = mkdtempSync(join(tmpdir(), 'log-links-'));
    const real = join(dir, 'a.db');
    const holder = await spawnServer(real);
    servers.push(holder);
    const other = join(dir, 'c.db');
    linkSync(real, other);
    const second = await runMain({ DATABASE_PATH: other, PORT: '0', HOST: '127.0.0.1' });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`${other}: the file has 2 names (hard links)`);
    // The refused start made no WAL or index of its own beside the other name.
    expect(existsSync(`${other}-wal`)).toBe(false);
    expect(existsSync(`${other}.index`)).toBe(false);
    // On its own name the log is still held (exit 5), and its server still takes publishes.
    expect((await runMain({ DATABASE_PATH: real, PORT: '0', HOST: '127.0.0.1' })).code).toBe(5);
    expect((await publish(holder.base, JSON.stringify(event()))).status).toBe(201);
    await killServer(servers.pop());
    const refused = openError(real);
    expect(refused).toBeInstanceOf(LogOpenError);
    expect((refused as Error).message).toContain('remove the other names');
    rmSync(other);
    expect(openError(real)).toBeUndefined();
  });
});
