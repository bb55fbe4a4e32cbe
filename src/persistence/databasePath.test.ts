import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDatabasePath } from './databasePath.js';

describe('checkDatabasePath', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-dbpath-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts an absent file, also under directories still to be created, and leaves nothing behind', () => {
    expect(checkDatabasePath(join(dir, 'events.db'))).toBeNull();
    expect(checkDatabasePath(join(dir, 'a', 'b', 'events.db'))).toBeNull();
    expect(checkDatabasePath(':memory:')).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('accepts an empty file and an SQLite database', () => {
    writeFileSync(join(dir, 'empty.db'), '');
    expect(checkDatabasePath(join(dir, 'empty.db'))).toBeNull();
    const db = new Database(join(dir, 'real.db'));
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(checkDatabasePath(join(dir, 'real.db'))).toBeNull();
  });

  it('refuses a directory', () => {
    mkdirSync(join(dir, 'events.db'));
    expect(checkDatabasePath(join(dir, 'events.db'))).toBe('is a directory, not a file');
  });

  it('refuses a file that is not SQLite, also one shorter than the header', () => {
    writeFileSync(join(dir, 'notes.txt'), 'hello, this is not a database at all');
    expect(checkDatabasePath(join(dir, 'notes.txt'))).toMatch(/^is not an SQLite database/);
    writeFileSync(join(dir, 'short'), 'SQLite');
    expect(checkDatabasePath(join(dir, 'short'))).toMatch(/^is not an SQLite database/);
  });

  it('refuses a path whose parent is a regular file, naming that file', () => {
    writeFileSync(join(dir, 'plain'), 'x');
    expect(checkDatabasePath(join(dir, 'plain', 'sub', 'events.db'))).toBe(
      `cannot be created: ${join(dir, 'plain')} is not a directory`,
    );
  });

  it('refuses a place the file system will not let even root create files in', () => {
    // Hint: tests run as root, so permission bits cannot make a directory unwritable; /proc refuses new files.
    expect(checkDatabasePath('/proc/events.db')).toMatch(/^cannot be created in \/proc \(/);
    expect(checkDatabasePath('/proc/version')).not.toBeNull();
  });

  it('refuses an empty path', () => {
    expect(checkDatabasePath(' ')).toBe('is empty');
  });
});
