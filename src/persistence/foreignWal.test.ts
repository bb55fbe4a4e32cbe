import { copyFileSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { foreignWalRefusal } from './foreignWal.js';

describe('foreignWalRefusal', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A new file in WAL mode with `commits` commits still only in its WAL, copied as a `kill -9` leaves it. */
  const crashed = (commits: number): { live: Database.Database; path: string } => {
    dir = mkdtempSync(join(tmpdir(), 'foreign-wal-'));
    const live = new Database(join(dir, 'live.db'));
    live.pragma('journal_mode = WAL');
    live.pragma('wal_autocheckpoint = 0');
    live.exec('CREATE TABLE t (x TEXT)');
    for (let i = 0; i < commits; i++) live.prepare('INSERT INTO t VALUES (?)').run(`row ${i}`);
    const path = join(dir, 'events.db');
    for (const suffix of ['', '-wal']) copyFileSync(join(dir, `live.db${suffix}`), `${path}${suffix}`);
    return { live, path };
  };

  it("finds nothing wrong with a log's own WAL, even one holding all it ever committed", () => {
    const { live, path } = crashed(5);
    live.close();
    expect(foreignWalRefusal(path)).toBeNull();
  });

  it('names the commits of a WAL beside a VACUUM INTO copy (rollback mode), and what to move aside', () => {
    const { live, path } = crashed(5);
    live.prepare('VACUUM INTO ?').run(join(dir, 'backup.db'));
    live.close();
    copyFileSync(join(dir, 'backup.db'), path);
    expect(foreignWalRefusal(path)).toBe(
      `it is in rollback mode (as a VACUUM INTO backup is), yet ${path}-wal beside it holds 6 commits: that WAL is ` +
        "another file's (a log is in WAL mode from its first open), most likely the old log's, left there when a " +
        `backup was put in place, and SQLite would read its commits over the file; the file, ${path}-wal and ` +
        `${path}-shm were left untouched. Move ${path}-wal and ${path}-shm aside and start again`,
    );
  });

  it('lets a VACUUM INTO copy open beside a WAL that holds no commit, or none at all', () => {
    const { live, path } = crashed(1);
    live.prepare('VACUUM INTO ?').run(join(dir, 'backup.db'));
    live.close();
    copyFileSync(join(dir, 'backup.db'), path);
    truncateSync(`${path}-wal`, 32);
    expect(foreignWalRefusal(path)).toBeNull();
    rmSync(`${path}-wal`);
    expect(foreignWalRefusal(path)).toBeNull();
    expect(foreignWalRefusal(join(dir, 'absent.db'))).toBeNull();
  });
});
