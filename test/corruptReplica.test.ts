import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DELETE_REPLICA, LogCorruptError } from '../src/persistence/eventLog.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { SqliteReplicaLog } from '../src/persistence/sqliteReplicaLog.js';
import { offsetIds } from '../src/protocol/offsetIds.js';
import { eventsLeafOf, writeAt } from './support/corruptPage.js';
import { someEvents } from './support/logOracle.js';

const EVENTS = 1000;

/**
 * A cluster node's replica is rebuilt from the stream when the node starts without it, so its damage messages say to
 * delete it; before, they said to restore a backup (the embedded log's remedy), which no replica needs.
 */
describe('a damaged cluster replica', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A closed log file holding offsets 1..EVENTS, indexed, with the first byte of a page of `events` garbled. */
  const damagedFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'corrupt-replica-'));
    dirs.push(dir);
    const path = join(dir, 'replica.db');
    const options = { path, newId: offsetIds('evt_'), newEpoch: () => 'epoch-1', indexChunk: 100 };
    const log = new SqliteEventLog(options);
    log.appendGroups([someEvents(EVENTS, 'r')]);
    log.close();
    // Hint: reopened, the open indexes every offset (chunks of 100), so a later open reads no page in the middle.
    const indexed = new SqliteEventLog(options);
    indexed.indexTail();
    indexed.close();
    const leaf = eventsLeafOf(path, EVENTS / 2);
    writeAt(path, leaf, 0, new Uint8Array([0]));
    return { path, page: leaf.page };
  };
  const open = (path: string, integrityCheck: 'on' | 'off') =>
    new SqliteReplicaLog({
      path,
      newId: offsetIds('evt_'),
      newEpoch: () => 'epoch-1',
      integrityCheck,
      indexChunk: 100,
    });

  it('refuses to open with the check on, saying to delete the replica', () => {
    const { path, page } = damagedFile();
    expect(() => open(path, 'on')).toThrow(
      `the database file is corrupt (PRAGMA integrity_check: Tree 3 page ${page}: btreeInitPage() returns error code 11; database disk image is malformed); ${DELETE_REPLICA}, or start with INTEGRITY_CHECK=off to serve what can still be read`,
    );
  });

  it('names the same remedy when a read meets the damage, in the error, the health and the close reason', () => {
    const { path } = damagedFile();
    const replica = open(path, 'off');
    try {
      let error: unknown;
      try {
        replica.readFrom(1, {}, EVENTS);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(LogCorruptError);
      const corrupt = error as LogCorruptError;
      expect(corrupt.message).toBe(
        `the log ${path} is corrupt: a read from offset 1 met a damaged page; stop the server and ${DELETE_REPLICA}`,
      );
      expect(corrupt.closeReason).toBe(`log corrupt: reading from offset 1 failed; ${DELETE_REPLICA}`);
      expect(
        Buffer.byteLength(new LogCorruptError(path, Number.MAX_SAFE_INTEGER, { remedy: DELETE_REPLICA }).closeReason),
      ).toBeLessThanOrEqual(123);
      expect(JSON.stringify(replica.health())).toContain(DELETE_REPLICA);
    } finally {
      replica.close();
    }
  });

  it('names its remedy when the file is too damaged to open at all (truncated), whatever INTEGRITY_CHECK says', () => {
    const { path } = damagedFile();
    truncateSync(path, statSync(path).size / 2);
    for (const check of ['on', 'off'] as const)
      expect(() => open(path, check), check).toThrow(`${path}: the database file is corrupt; ${DELETE_REPLICA}`);
    expect(() => new SqliteEventLog({ path, newId: offsetIds('evt_'), newEpoch: () => 'e' })).toThrow(
      `${path}: the database file is corrupt; restore a backup`,
    );
  });

  it('keeps the embedded remedy for the embedded log', () => {
    const { path } = damagedFile();
    expect(
      () => new SqliteEventLog({ path, newId: offsetIds('evt_'), newEpoch: () => 'e', integrityCheck: 'on' }),
    ).toThrow('restore a backup, or start with INTEGRITY_CHECK=off');
  });
});
