import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { offsetIds } from '../../protocol/offsetIds.js';
import { openReplica } from './openReplica.js';
import { writePosition } from './replicaPosition.js';

/** Try, from another process, to take the one-server lock of the log at `path` as a starting server would. */
function lockFromAnotherProcess(path: string): string {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = MEMORY');
      db.pragma('user_version = 1');
      process.stdout.write('taken');
    } catch (error) {
      process.stdout.write(String(error.code));
    }`;
  const run = spawnSync(process.execPath, ['-e', script, `${path}.lock`], { encoding: 'utf8' });
  return run.stdout;
}

describe('openReplica', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the log lock while it discards a replica of another epoch and rebuilds it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-replica-'));
    dirs.push(dir);
    const path = join(dir, 'replica.db');
    const options = { path, newId: offsetIds('evt_') };
    openReplica(options, 'epoch-a').close();
    expect(lockFromAnotherProcess(path)).toBe('taken');

    // Hint: the notice comes after the old replica is closed and before its files are deleted: the gap there was.
    const during: string[] = [];
    const replica = openReplica({ ...options, onNotice: () => during.push(lockFromAnotherProcess(path)) }, 'epoch-b');
    try {
      expect(during).toEqual(['SQLITE_BUSY']);
      expect(replica.epoch).toBe('epoch-b');
      expect(lockFromAnotherProcess(path)).toBe('SQLITE_BUSY');
    } finally {
      replica.close();
    }
    expect(lockFromAnotherProcess(path)).toBe('taken');
  });

  it('says why it rebuilds: another epoch, or the earlier layout of the same one (not the same epoch named twice)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-replica-'));
    dirs.push(dir);
    const path = join(dir, 'replica.db');
    const options = { path, newId: offsetIds('evt_') };
    openReplica(options, 'epoch-a').close();
    const notices: string[] = [];
    openReplica({ ...options, onNotice: (line) => notices.push(line) }, 'epoch-b').close();
    writePosition(path, { epoch: 'epoch-b', layout: 'commit' });
    openReplica({ ...options, onNotice: (line) => notices.push(line) }, 'epoch-b').close();
    expect(notices).toEqual([
      `replica ${path} belonged to epoch epoch-a; rebuilding it from the stream (epoch epoch-b)`,
      `replica ${path} was written in the earlier one-message-per-commit layout; rebuilding it from the stream (epoch epoch-b)`,
    ]);
  });

  it('leaves a rebuilt replica writable: the old WAL watch does not take the new WAL for a replaced one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-replica-'));
    dirs.push(dir);
    const path = join(dir, 'replica.db');
    const options = { path, newId: offsetIds('evt_') };
    openReplica(options, 'epoch-0').close();
    // Hint: whether the new WAL got the old one's inode decided it (1 start in 5 passed); a file made while the old
    // WAL is gone takes its inode, so the new WAL never has it.
    for (const epoch of ['epoch-1', 'epoch-2', 'epoch-3']) {
      const onNotice = () => writeFileSync(join(dir, `${epoch}.other`), 'x');
      const replica = openReplica({ ...options, onNotice }, epoch);
      try {
        expect(replica.epoch).toBe(epoch);
        replica.keepLock();
        expect(replica.health()).toEqual({ writable: true, reason: null });
      } finally {
        replica.close();
      }
    }
  });
});
