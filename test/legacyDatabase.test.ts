import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_SQL } from '../src/persistence/schema.js';
import { runMain } from './support/childServer.js';
import { cli } from './support/cliRun.js';
import { directorySnapshot, type LegacyRow, writeLegacyDatabase } from './support/legacyDatabase.js';

const require = createRequire(import.meta.url);

const ROWS: LegacyRow[] = [1, 2, 3].map((n) => ({
  id: `evt_00000000000${n}`,
  event_type: 'answer_submitted',
  source: 'quiz_engine',
  session_id: 's1',
  user_id: 'u1',
  payload: `{"question": ${n}}`,
  timestamp: `2026-01-05T10:00:0${n}.123456Z`,
}));

/**
 * A DATABASE_PATH that is not a log of this server: the FastAPI service's file (its default path is ours too), or any
 * other SQLite database. Before, the open switched it to WAL, added seven tables and a lock file, then failed on
 * `no such column: offset` at every start.
 */
describe('a DATABASE_PATH that is not a log of this server', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-legacy-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (path: string, env: Record<string, string> = {}) =>
    runMain({ HOST: '127.0.0.1', PORT: '0', DATABASE_PATH: path, LOG_LEVEL: 'warn', ...env });

  it("the FastAPI service's file is refused at once (exit 2) with how to carry it over, every start, byte for byte untouched", async () => {
    const path = join(dir, 'events.db');
    writeLegacyDatabase(path, ROWS);
    const before = directorySnapshot(dir);
    for (let attempt = 0; attempt < 2; attempt++) {
      const run = await start(path);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `configuration error: DATABASE_PATH: ${path}: it holds the FastAPI service's events (3 events), not a log of ` +
          'this server; the file was left untouched. Carry them over into a new log with ' +
          `\`npx event-pipeline migrate-legacy --from ${path} --to ${join(dir, 'pipeline.db')}\`, then start with ` +
          `DATABASE_PATH=${join(dir, 'pipeline.db')}\n`,
      );
      // No lock file, no -wal or -shm, the same bytes: the file is as the FastAPI service left it.
      expect(directorySnapshot(dir)).toEqual(before);
    }
  });

  it('in cluster mode too, before NATS is asked for anything', async () => {
    const path = join(dir, 'events.db');
    writeLegacyDatabase(path, ROWS);
    const before = directorySnapshot(dir);
    // Hint: nothing listens there; reaching for it would end in exit 6 (NATS unreachable) instead.
    const run = await start(path, { LOG_BACKEND: 'jetstream', NATS_URL: 'nats://127.0.0.1:27099' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("it holds the FastAPI service's events (3 events)");
    expect(directorySnapshot(dir)).toEqual(before);
  });

  it('a FastAPI file an earlier version already changed (WAL, our tables, a lock file) is refused untouched too', async () => {
    const path = join(dir, 'events.db');
    writeLegacyDatabase(path, ROWS);
    // What the open did before this check, up to its failure.
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA_SQL);
    db.exec('ALTER TABLE events ADD COLUMN crc INTEGER');
    db.prepare("INSERT INTO meta (key, value) VALUES ('epoch', 'old')").run();
    db.close();
    writeFileSync(`${path}.lock`, '');
    const before = directorySnapshot(dir);
    expect(Object.keys(before)).toEqual(['events.db', 'events.db.lock']);
    const run = await start(path);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("it holds the FastAPI service's events (3 events)");
    // Hint: a file in WAL mode is read through a link of its own, so not even an empty -wal or -shm is left.
    expect(directorySnapshot(dir)).toEqual(before);
  });

  it('a FastAPI file with a hot journal (its writer killed mid-transaction) is refused untouched, not rolled back', async () => {
    const path = join(dir, 'events.db');
    writeLegacyDatabase(path, ROWS);
    // A writer that dies mid-transaction after spilling pages into the file: the journal beside it is hot.
    const killed = spawnSync(process.execPath, [
      '-e',
      `const D = require(${JSON.stringify(require.resolve('better-sqlite3'))}); const db = new D(${JSON.stringify(path)});
       db.pragma('cache_size = 1'); db.exec('BEGIN');
       const insert = db.prepare("INSERT INTO events VALUES (?, 'timer_tick', 's', NULL, NULL, '{}', '2026-01-05T10:00:00Z')");
       for (let i = 0; i < 3000; i++) insert.run('late-' + i);
       process.exit(0);`,
    ]);
    expect(killed.status).toBe(0);
    const before = directorySnapshot(dir);
    expect(Object.keys(before)).toEqual(['events.db', 'events.db-journal']);
    const run = await start(path);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${path}: it cannot be read without changing it: ${path}-journal holds a write that was cut short`,
    );
    expect(run.stderr).toContain(`sqlite3 ${path} 'PRAGMA quick_check'`);
    expect(directorySnapshot(dir)).toEqual(before);
    // migrate-legacy says the same of it (before: `cannot be read (attempt to write a readonly database)`).
    const migrate = await cli(['migrate-legacy', '--from', path, '--to', join(dir, 'new', 'pipeline.db')]);
    expect(migrate.code).toBe(2);
    expect(migrate.stderr).toContain(
      `--from ${path}: cannot be read without changing it: ${path}-journal holds a write that was cut short`,
    );
    expect(migrate.stderr).toContain(`sqlite3 ${path} 'PRAGMA quick_check'`);
    expect(directorySnapshot(dir)).toEqual(before);
  });

  it('a FastAPI file another program holds a write lock on (the old service still running) is refused untouched', async () => {
    const path = join(dir, 'events.db');
    writeLegacyDatabase(path, ROWS);
    // Hint: the snapshot first: closing any descriptor of the file drops this process's POSIX locks on it (SQLite's).
    const before = directorySnapshot(dir);
    const writer = new Database(path);
    try {
      writer.exec('BEGIN EXCLUSIVE');
      const run = await start(path);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${path}: it cannot be read without changing it: another program holds it (`);
      expect(run.stderr).toContain('is the FastAPI service still running?');
      expect(directorySnapshot(dir)).toEqual(before);
    } finally {
      writer.close();
    }
  });

  it('any other SQLite database is refused the same way, naming its tables', async () => {
    const path = join(dir, 'app.db');
    const db = new Database(path);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')");
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY)');
    db.close();
    const before = directorySnapshot(dir);
    const run = await start(path);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `configuration error: DATABASE_PATH: ${path}: it is an SQLite database of something else (tables: orders, ` +
        "users), neither a log of this server nor the FastAPI service's events; the file was left untouched. Point " +
        'DATABASE_PATH at a log or a new file\n',
    );
    expect(directorySnapshot(dir)).toEqual(before);
  });
});
