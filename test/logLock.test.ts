import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogLockedError, LogOpenError } from '../src/persistence/eventLog.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { type ChildServer, killServer, MAIN_JS, spawnServer } from './support/childServer.js';
import { waitFor } from './support/pipelineRest.js';

const deps = { now: () => 1_000, newId: () => `gen-${Math.random()}`, newEpoch: () => 'e' };

describe('one server per log', () => {
  let dir = '';
  const servers: ChildServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });
  /** A log path in a fresh temp directory, removed after the test. */
  const freshLogPath = () => {
    dir = mkdtempSync(join(tmpdir(), 'log-lock-'));
    return join(dir, 'events.db');
  };
  /** A log at `path` whose notices are kept. */
  const openNoting = (path: string) => {
    const notices: string[] = [];
    return { log: new SqliteEventLog({ path, ...deps, onNotice: (message) => notices.push(message) }), notices };
  };

  it('refuses a second log on the same path in the same process, naming the holder, until the first is closed', () => {
    const path = freshLogPath();
    const first = new SqliteEventLog({ path, ...deps });
    let refused: unknown;
    try {
      new SqliteEventLog({ path, ...deps }).close();
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(LogLockedError);
    expect((refused as LogLockedError).holderPid).toBe(process.pid);
    expect((refused as LogLockedError).message).toContain(path);
    // The refused attempt must not have disturbed the holder.
    first.appendGroups([
      [{ id: null, event_type: 'quiz_started', source: 's', session_id: 's1', user_id: null, payloadJson: '{}' }],
    ]);
    expect(first.headOffset()).toBe(1);
    first.close();
    const second = new SqliteEventLog({ path, ...deps });
    expect(second.headOffset()).toBe(1);
    second.close();
  });

  it('makes a second server process on the same DATABASE_PATH exit 5 with one line naming the path and the holder pid', async () => {
    const path = freshLogPath();
    const holder = await spawnServer(path);
    servers.push(holder);
    const second = await runMain({ DATABASE_PATH: path, PORT: '0' });
    expect(second.code).toBe(5);
    expect(second.output).toContain(path);
    expect(second.output).toContain(String(holder.proc.pid));
    expect(second.output).not.toMatch(/\n\s+at /);
    expect((await fetch(`${holder.base}/health`)).ok).toBe(true);
  });

  it('does not let a lock left by a kill -9 block the restart', async () => {
    const path = freshLogPath();
    const first = await spawnServer(path);
    first.proc.kill('SIGKILL');
    await first.exited;
    const second = await spawnServer(path);
    servers.push(second);
    expect((await fetch(`${second.base}/health`)).ok).toBe(true);
  });

  it('takes the lock again when its file is deleted while the log is open, so a second server still exits 5', async () => {
    const path = freshLogPath();
    const { log, notices } = openNoting(path);
    try {
      rmSync(`${path}.lock`);
      log.keepLock();
      expect(notices).toEqual([`lock file ${path}.lock was removed or replaced; locked again`]);
      const second = await runMain({ DATABASE_PATH: path, PORT: '0' });
      expect(second.code).toBe(5);
      expect(second.output).toContain(`pid ${process.pid}`);
      // Kept while nothing changed: no second notice.
      log.keepLock();
      expect(notices).toHaveLength(1);
      expect(log.health()).toEqual({ writable: true, reason: null });
    } finally {
      log.close();
    }
  });

  it('reports a lock file another server took meanwhile as not writable, naming it, and the server takes it back once free', async () => {
    const path = freshLogPath();
    const { log, notices } = openNoting(path);
    try {
      rmSync(`${path}.lock`);
      const other = await spawnServer(path);
      servers.push(other);
      log.keepLock();
      const health = log.health();
      expect(health.writable).toBe(false);
      expect(health.reason).toContain(`lock file ${path}.lock was replaced and cannot be locked again`);
      expect(health.reason).toContain(`pid ${other.proc.pid}`);
      expect(notices).toHaveLength(1);
      await killServer(servers.pop());
      log.keepLock();
      expect(log.health()).toEqual({ writable: true, reason: null });
      expect(notices.at(-1)).toBe(`lock file ${path}.lock was removed or replaced; locked again`);
    } finally {
      log.close();
    }
  });

  it('a running server recreates its deleted lock file by itself (its sweep), keeping a second server out', async () => {
    const path = freshLogPath();
    const holder = await spawnServer(path);
    servers.push(holder);
    rmSync(`${path}.lock`);
    await waitFor(() => existsSync(`${path}.lock`), 'the lock file recreated');
    const second = await runMain({ DATABASE_PATH: path, PORT: '0' });
    expect(second.code).toBe(5);
    expect(second.output).toContain(String(holder.proc.pid));
    expect((await fetch(`${holder.base}/readiness`)).status).toBe(200);
  });

  it('throws LogOpenError with a plain reason for a directory or a file that is not SQLite', () => {
    dir = mkdtempSync(join(tmpdir(), 'log-open-'));
    const asDir = join(dir, 'adir');
    mkdirSync(asDir);
    const notSqlite = join(dir, 'text.db');
    writeFileSync(notSqlite, 'hello, this is not a database\n'.repeat(100));
    for (const [path, reason] of [
      [asDir, /directory|cannot open/],
      [notSqlite, /not a SQLite database/],
    ] as const) {
      let error: unknown;
      try {
        new SqliteEventLog({ path, ...deps }).close();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(LogOpenError);
      expect((error as Error).message).toMatch(reason);
    }
    // A failed open releases its lock: fixing the file lets the next open succeed.
    rmSync(notSqlite);
    new SqliteEventLog({ path: notSqlite, ...deps }).close();
  });

  it('recreates a damaged lock file at start, and names the lock file when it cannot be used at all', async () => {
    const path = freshLogPath();
    new SqliteEventLog({ path, ...deps }).close();
    // The README: the lock file, lost or damaged, is "harmless; recreated at start".
    writeFileSync(`${path}.lock`, 'not a lock at all\n'.repeat(300));
    const server = await spawnServer(path);
    servers.push(server);
    expect((await fetch(`${server.base}/health`)).ok).toBe(true);
    // Recreated, it still keeps a second server out.
    const second = await runMain({ PORT: '0', DATABASE_PATH: path });
    expect(second.code).toBe(5);
    expect(second.output).toContain(`pid ${server.proc.pid}`);
    await killServer(servers.pop());

    rmSync(`${path}.lock`);
    mkdirSync(`${path}.lock`);
    let error: unknown;
    try {
      new SqliteEventLog({ path, ...deps }).close();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LogOpenError);
    expect((error as Error).message).toContain(`its lock file ${path}.lock: cannot open the file`);
  });
});

function runMain(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [MAIN_JS], {
      env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
