import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openReadOnly } from './readOnlyDatabase.js';

/** Every file in `dir` with a hash of its bytes. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort())
    files[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  return files;
}

const tables = (path: string) => {
  const file = openReadOnly(path);
  try {
    return file.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  } finally {
    file.close();
  }
};

describe('openReadOnly', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-readonly-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file in rollback mode and leaves the directory as it was', () => {
    const path = join(dir, 'app.db');
    const db = new Database(path);
    db.exec('CREATE TABLE users (id)');
    db.close();
    const before = snapshot(dir);
    expect(tables(path)).toEqual(['users']);
    expect(snapshot(dir)).toEqual(before);
  });

  it('reads a file in WAL mode without its -wal, and leaves no -wal or -shm beside it', () => {
    // Hint: opened directly, even read-only, SQLite makes an empty -wal and a 32 KiB -shm beside it and leaves them.
    const path = join(dir, 'app.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE users (id)');
    db.close();
    const before = snapshot(dir);
    expect(Object.keys(before)).toEqual(['app.db']);
    expect(tables(path)).toEqual(['users']);
    expect(snapshot(dir)).toEqual(before);
  });

  it('reads what the -wal of a file in use holds, beside its writer', () => {
    const path = join(dir, 'app.db');
    const writer = new Database(path);
    try {
      writer.pragma('journal_mode = WAL');
      writer.pragma('wal_autocheckpoint = 0');
      writer.exec('CREATE TABLE users (id)');
      writer.exec('CREATE TABLE orders (id)');
      const before = snapshot(dir);
      expect(tables(path)).toEqual(['orders', 'users']);
      expect(Object.keys(snapshot(dir))).toEqual(Object.keys(before));
      expect(snapshot(dir)['app.db']).toBe(before['app.db']);
    } finally {
      writer.close();
    }
  });
});
