import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, runMain, spawnServer } from './support/childServer.js';
import { event, getJson, publish } from './support/httpCall.js';

/** Size and MD5 of the log's three files (`absent` when one is missing). */
const files = (path: string) =>
  ['', '-wal', '-shm'].map((suffix) => {
    const file = `${path}${suffix}`;
    if (!existsSync(file)) return `${file} absent`;
    return `${file} ${statSync(file).size} ${createHash('md5').update(readFileSync(file)).digest('hex')}`;
  });

/**
 * A backup put in place with the old log's `-wal` left beside it (the README's restore steps say to delete it). SQLite
 * reads that WAL's commits over the backup. Before, a `VACUUM INTO` backup was then served as the old log (4,000
 * backed up, 8,000 served, same epoch) or found corrupt; and the refused start, closing, checkpointed that WAL into the
 * backup and deleted the `-wal` and `-shm` its message told the operator to move aside (operator probes).
 */
describe('a backup restored beside a stale WAL', () => {
  let dir = '';
  const servers: ChildServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Publish `count` events in batches of `size` (session `tag`), each with a payload of `pad` bytes. */
  const fill = async (server: ChildServer, tag: string, count: number, size: number, pad = 0) => {
    for (let from = 0; from < count; from += size) {
      const batch = Array.from({ length: size }, (_, i) =>
        event({ session_id: tag, payload: { i: from + i, pad: 'p'.repeat(pad) } }),
      );
      expect((await publish(server.base, batch)).status).toBe(201);
    }
  };
  /** Move the stale WAL aside, start on the backup alone and count what it serves. */
  const servedAfterMovingAside = async (path: string): Promise<number> => {
    renameSync(`${path}-wal`, join(dir, 'old.db-wal'));
    renameSync(`${path}-shm`, join(dir, 'old.db-shm'));
    const restored = await spawnServer(path);
    servers.push(restored);
    return (await getJson<{ total_events: number }>(restored.base, '/stats')).body.total_events;
  };

  // The probe's sizes (the refused start emptied the WAL into the backup), and ones it started on, serving the old log.
  for (const [before, beforeBatch, after, afterBatch] of [
    [50_000, 1_000, 5_000, 50],
    [4_000, 500, 4_000, 500],
  ] as const)
    it(`refuses a VACUUM INTO backup of ${before} events beside the WAL of ${after} more, touching none of the three files`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'stale-wal-'));
      const path = join(dir, 'events.db');
      const server = await spawnServer(path);
      servers.push(server);
      await fill(server, 'a', before, beforeBatch);
      const backup = new Database(path, { readonly: true });
      backup.prepare('VACUUM INTO ?').run(join(dir, 'backup.db'));
      backup.close();
      await fill(server, 'b', after, afterBatch);
      // A crash leaves the commits since the last checkpoint in the -wal; the backup is then copied in, the WAL left.
      server.proc.kill('SIGKILL');
      await server.exited;
      copyFileSync(join(dir, 'backup.db'), path);
      const untouched = files(path);
      expect(untouched.filter((line) => line.endsWith(' absent'))).toEqual([]);

      const refused = await runMain({ DATABASE_PATH: path, PORT: '0', HOST: '127.0.0.1' });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        new RegExp(
          `${path}: it is in rollback mode \\(as a VACUUM INTO backup is\\), yet ${path}-wal beside it holds \\d+ ` +
            "commits: that WAL is another file's .* the file, \\S+ and \\S+ were left untouched. " +
            `Move ${path}-wal and ${path}-shm aside and start again`,
        ),
      );
      expect(files(path)).toEqual(untouched);
      expect(await servedAfterMovingAside(path)).toBe(before);
    }, 60_000);

  it('finds a backup in WAL mode read with a later WAL corrupt, and the refusal leaves the file and WAL as they were', async () => {
    dir = mkdtempSync(join(tmpdir(), 'stale-wal-'));
    const path = join(dir, 'events.db');
    const first = await spawnServer(path);
    servers.push(first);
    await fill(first, 'a', 2_000, 500);
    // A stopped server's file is whole (its stop copied the WAL in) and in WAL mode: a copy of it is a backup.
    first.proc.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    copyFileSync(path, join(dir, 'backup.db'));
    const second = await spawnServer(path);
    servers.push(second);
    // 1.3 MB makes the index worker copy the WAL into the log, so it starts over; then small commits, whose frames
    // outweigh what the log grew since the backup (else SQLite's checkpoint at close takes it for damage and stops).
    await fill(second, 'b', 1_300, 100, 1_000);
    await fill(second, 'c', 3_000, 10);
    second.proc.kill('SIGKILL');
    await second.exited;
    expect(readFileSync(`${path}-wal`).readUInt32BE(12)).toBeGreaterThan(0);
    copyFileSync(join(dir, 'backup.db'), path);
    const before = files(path);

    const refused = await runMain({ DATABASE_PATH: path, PORT: '0', HOST: '127.0.0.1' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${path}: the database file is corrupt (PRAGMA integrity_check: `);
    expect(refused.stderr).toContain(
      `${path}-wal lies beside it: if ${path} was put in place from a backup, that WAL is the old log's, read over ` +
        `the backup, so move ${path}-wal and ${path}-shm aside and start again; else restore a backup`,
    );
    // The file and its WAL byte for byte; the -shm is SQLite's index of the WAL, rebuilt from it by the open.
    const after = files(path);
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(after[2]?.split(' ').slice(0, 2)).toEqual(before[2]?.split(' ').slice(0, 2));
    expect(await servedAfterMovingAside(path)).toBe(2_000);
  });
});
