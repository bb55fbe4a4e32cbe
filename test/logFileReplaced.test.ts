import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LogWriteError } from '../src/persistence/eventLog.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { event, getJson, publish } from './support/httpCall.js';

const deps = { now: () => 1_000, newId: () => `gen-${Math.random()}`, newEpoch: () => 'e' };
const input = (n: number): EventInput => ({
  id: `id-${n}`,
  event_type: 'quiz_started',
  source: 's',
  session_id: `s${n % 7}`,
  user_id: null,
  payloadJson: JSON.stringify({ n, pad: 'x'.repeat(200) }),
});

/** Append events `from`..`to` in commits of 100, then copy the WAL into the database file from a second connection. */
function appendAndCheckpoint(log: SqliteEventLog, path: string, from: number, to: number): void {
  for (let n = from; n <= to; n += 100)
    log.appendGroups([Array.from({ length: Math.min(100, to - n + 1) }, (_, i) => input(n + i))]);
  const db = new Database(path);
  db.pragma('wal_checkpoint(PASSIVE)');
  db.close();
}

/** `VACUUM INTO target` of the log at `path` from the sqlite3-like second connection the README shows. */
function vacuumInto(path: string, target: string): void {
  const db = new Database(path);
  db.prepare('VACUUM INTO ?').run(target);
  db.close();
}

/**
 * The log's database file replaced or rewritten under a running server (a backup restored while it runs). Before, an
 * operator probe (15,000 events, VACUUM INTO, 5,000 more, `cp` of the backup over the log, 1,000 more) had all 1,000
 * acked 201 with /readiness 200, and the restart exited 2 "database file is corrupt".
 */
describe('a log file replaced while the log is open', () => {
  let dir = '';
  const servers: ChildServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is seen at the next keep when it shrank, or its header left WAL mode, and commits are refused from then on', () => {
    dir = mkdtempSync(join(tmpdir(), 'log-replaced-'));
    const path = join(dir, 'events.db');
    const cases: [string, (log: SqliteEventLog) => void][] = [
      // An older copy of the database file, written over it in place: smaller than what the log held.
      [
        `${path} was rewritten (it shrank from`,
        (log) => {
          appendAndCheckpoint(log, path, 1, 1_000);
          copyFileSync(path, join(dir, 'older.db'));
          appendAndCheckpoint(log, path, 1_001, 3_000);
          log.keepLock();
          copyFileSync(join(dir, 'older.db'), path);
        },
      ],
      // A VACUUM INTO backup (rollback mode) larger than the file: only its header tells.
      [
        `${path} was rewritten (its header is no longer in WAL mode`,
        (log) => {
          appendAndCheckpoint(log, path, 1, 100);
          const big = new SqliteEventLog({ path: join(dir, 'big.db'), ...deps });
          appendAndCheckpoint(big, join(dir, 'big.db'), 1, 3_000);
          big.close();
          vacuumInto(join(dir, 'big.db'), join(dir, 'big-backup.db'));
          log.keepLock();
          copyFileSync(join(dir, 'big-backup.db'), path);
        },
      ],
    ];
    for (const [reason, replace] of cases) {
      rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), 'log-replaced-'));
      const notices: string[] = [];
      const log = new SqliteEventLog({ path, ...deps, onNotice: (message) => notices.push(message) });
      try {
        replace(log);
        expect(log.health()).toEqual({ writable: true, reason: null });
        log.keepLock();
        expect(log.health()).toEqual({ writable: false, reason: expect.stringContaining(reason) });
        expect(() => log.appendGroups([[input(9_999)]])).toThrow(LogWriteError);
        log.keepLock();
        expect(notices.filter((notice) => notice.includes(reason))).toHaveLength(1);
      } finally {
        log.close();
      }
    }
  });

  for (const how of ['cp', 'mv'] as const) {
    it(`a running server refuses publishes once a backup is put in its place with ${how}, and /readiness says why`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'log-replaced-'));
      const path = join(dir, 'events.db');
      const server = await spawnServer(path);
      servers.push(server);
      const batch = (from: number) =>
        Array.from({ length: 500 }, (_, i) => event({ payload: { n: from + i, pad: 'x'.repeat(200) } }));
      for (let n = 0; n < 3_000; n += 500) expect((await publish(server.base, batch(n))).status).toBe(201);
      vacuumInto(path, join(dir, 'backup.db'));
      for (let n = 3_000; n < 4_000; n += 500) expect((await publish(server.base, batch(n))).status).toBe(201);
      const backupSize = statSync(join(dir, 'backup.db')).size;
      if (how === 'cp') execFileSync('cp', [join(dir, 'backup.db'), path]);
      else renameSync(join(dir, 'backup.db'), path);
      const change = how === 'cp' ? 'was rewritten (' : 'was replaced (another file is at its path)';
      const reason = `${path} ${change}`;
      // Publishes go on while the sweep (every second) and the index worker (before a checkpoint) look: once one is
      // refused, none is acked after it (an early refusal may name what a commit met in the other file).
      const answers: number[] = [];
      let ready: { status: number; body: { reason?: string } } = { status: 200, body: {} };
      for (let n = 0; !String(ready.body.reason).includes(reason); n++) {
        answers.push((await publish(server.base, event({ id: `after-${how}-${n}` }))).status);
        ready = await getJson<{ reason?: string }>(server.base, '/readiness');
        if (n > 500) throw new Error(`never refused; last answers ${answers.slice(-5).join(',')}`);
      }
      const firstRefused = answers.findIndex((status) => status !== 201);
      if (firstRefused >= 0) expect(answers.slice(firstRefused).every((status) => status === 503)).toBe(true);
      expect(ready.status).toBe(503);
      expect(ready.body.reason).toContain(`${path} ${change}`);
      expect(ready.body.reason).toContain('while the server runs: commits are refused until a restart');
      for (let n = 0; n < 10; n++) {
        const refused = await publish<{ detail: string }>(server.base, event({ id: `refused-${how}-${n}` }));
        expect(refused.status).toBe(503);
        expect(refused.body.detail).toContain(`storage unavailable; not committed, retry (${reason}`);
      }
      // No checkpoint copied the log's pages into the copy (a VACUUM INTO copy's header says rollback mode, 1).
      if (how === 'cp') expect(readFileSync(path).subarray(18, 20)).toEqual(Buffer.from([1, 1]));
      // Said once, whatever the sweeps after.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const notices = server
        .output()
        .split('\n')
        .filter((line) => line.includes(`"msg":"${reason}`));
      expect(notices).toHaveLength(1);
      if (how === 'mv') {
        // The stop leaves the file moved in as it was: no connection of the server opened it, so none copied into it.
        server.proc.kill('SIGTERM');
        expect((await server.exited).code).toBe(0);
        expect([statSync(path).size, ...readFileSync(path).subarray(18, 20)]).toEqual([backupSize, 1, 1]);
      }
      expect(existsSync(path)).toBe(true);
    });
  }
});
