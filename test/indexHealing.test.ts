import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventLog, type SqliteEventLogOptions } from '../src/persistence/sqliteEventLog.js';
import { expectAgreesWithScan, someEvents } from './support/logOracle.js';
import { waitFor } from './support/pipelineRest.js';

const NOW = Date.UTC(2026, 0, 31, 12);
// Hint: generated ids stay unique across reopens, as nanoids are.
let generated = 0;

describe('the derived index heals itself and never serves another log', () => {
  let dir = '';
  let log: SqliteEventLog | null = null;
  afterEach(() => {
    log?.close();
    log = null;
    rmSync(dir, { recursive: true, force: true });
  });

  const setup = () => {
    dir = mkdtempSync(join(tmpdir(), 'index-heal-'));
    return join(dir, 'events.db');
  };
  const open = (path: string, extra: Partial<SqliteEventLogOptions> = {}, epoch = 'epoch-a') => {
    const notices: string[] = [];
    log = new SqliteEventLog({
      path,
      now: () => NOW,
      newId: () => `gen-${++generated}`,
      newEpoch: () => epoch,
      indexer: 'inline',
      indexChunk: 10,
      onNotice: (message) => notices.push(message),
      ...extra,
    });
    return { log, notices };
  };
  const append = (target: SqliteEventLog, events: ReturnType<typeof someEvents>, batch = 7) => {
    for (let i = 0; i < events.length; i += batch) target.appendGroups([events.slice(i, i + batch)]);
  };
  const closeLog = () => {
    log?.close();
    log = null;
  };

  it('discards an index left from a deleted log (rm events.db, index kept), with one notice, and reads match a scan', () => {
    const path = setup();
    const first = open(path);
    append(first.log, someEvents(60, 'old'));
    first.log.indexTail();
    expect(first.log.unindexedCount()).toBe(0);
    closeLog();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });

    const second = open(path, {}, 'epoch-b');
    expect(second.notices.filter((n) => n.includes('discarded'))).toHaveLength(1);
    expect(second.notices[0]).toContain('another log');
    append(second.log, someEvents(45, 'new'));
    expectAgreesWithScan(second.log, path, NOW);
    expect(second.log.query({ filter: { session_id: 'old-s1' }, order: 'asc', limit: 100 })).toEqual([]);
    expect(second.log.query({ filter: { session_id: 'new-s1' }, order: 'asc', limit: 100 }).length).toBeGreaterThan(0);
    closeLog();
    const third = open(path, {}, 'epoch-b');
    expect(third.notices).toEqual([]);
    expectAgreesWithScan(third.log, path, NOW);
  });

  it('says before a long rebuild of the tail at open that it is indexing, and which offsets; not for a short one', () => {
    const path = setup();
    const first = open(path, { indexChunk: 20_000 });
    append(first.log, someEvents(100_000, 'many'), 5_000);
    closeLog();
    for (const suffix of ['.index', '.index-wal', '.index-shm']) rmSync(`${path}${suffix}`, { force: true });
    const second = open(path, { indexChunk: 20_000 });
    expect(second.notices.filter((n) => n.startsWith('indexing'))).toEqual([
      'indexing offsets 1-100000, which the index does not cover, before serving (the port opens when it is done)',
    ]);
    expect(second.log.unindexedCount()).toBe(0);
    append(second.log, someEvents(10, 'more'));
    closeLog();
    // The 10 offsets after the index's chunks are rebuilt without a word.
    const third = open(path, { indexChunk: 20_000 });
    expect(third.log.unindexedCount()).toBe(10);
    expect(third.notices).toEqual([]);
  });

  it('discards an index that reaches beyond the head (an older events.db restored from backup)', () => {
    const path = setup();
    const first = open(path);
    append(first.log, someEvents(30, 'a'));
    closeLog();
    copyFileSync(path, join(dir, 'backup.db'));
    const again = open(path);
    append(again.log, someEvents(40, 'b', 30));
    again.log.indexTail();
    closeLog();
    copyFileSync(join(dir, 'backup.db'), path);

    const restored = open(path, {}, 'epoch-restored');
    expect(restored.notices).toHaveLength(1);
    expect(restored.notices[0]).toMatch(/discarded.*beyond this log's head 30/);
    // Offsets 31.. will be handed out again for other events: the log is a new log to its subscribers.
    expect(restored.notices[0]).toContain('new epoch epoch-restored');
    expect(restored.log.epoch).toBe('epoch-restored');
    expectAgreesWithScan(restored.log, path, NOW);
    append(restored.log, someEvents(25, 'c', 70));
    expectAgreesWithScan(restored.log, path, NOW);
    closeLog();
    const reopened = open(path, {}, 'epoch-unused');
    expect(reopened.log.epoch).toBe('epoch-restored');
    expect(reopened.notices).toEqual([]);
  });

  it('gives a restored backup a new epoch when the lost offsets were not indexed yet (less than a chunk)', () => {
    const path = setup();
    const first = open(path);
    append(first.log, someEvents(30, 'a'));
    closeLog();
    copyFileSync(path, join(dir, 'backup.db'));
    const again = open(path);
    // 31..35: fewer than a chunk (10), so no chunk covers them; only the head recorded at close shows they existed.
    append(again.log, someEvents(5, 'b', 30));
    closeLog();
    copyFileSync(join(dir, 'backup.db'), path);

    const restored = open(path, {}, 'epoch-restored');
    expect(restored.notices).toHaveLength(1);
    expect(restored.notices[0]).toMatch(/seen offsets up to 35, beyond this log's head 30.*new epoch epoch-restored/);
    expect(restored.log.epoch).toBe('epoch-restored');
    expectAgreesWithScan(restored.log, path, NOW);
    closeLog();
    // The mark starts again under the new epoch: a clean reopen is no rewind.
    expect(open(path, {}, 'epoch-unused').notices).toEqual([]);
    expect(log?.epoch).toBe('epoch-restored');
  });

  it('says the epoch stays when a log started empty beside its old index keeps its epoch (a cluster replica)', () => {
    const path = setup();
    const first = open(path);
    append(first.log, someEvents(30, 'a'));
    first.log.indexTail();
    closeLog();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });

    // Hint: a replica's epoch is its stream's, so the "new" epoch is the same one: the notice must not claim a change.
    const empty = open(path, {}, 'epoch-a');
    expect(empty.log.epoch).toBe('epoch-a');
    expect(empty.notices).toHaveLength(1);
    expect(empty.notices[0]).toMatch(
      /discarded.*beyond this log's head 0 \(an empty log, as a replica being rebuilt is\)/,
    );
    expect(empty.notices[0]).not.toContain('older copy');
    expect(empty.notices[0]).not.toContain('new epoch');
    expect(empty.notices[0]).toContain('keeps its epoch epoch-a');
  });

  it('discards a truncated index file and a garbage index file', () => {
    const path = setup();
    const first = open(path, { indexChunk: 500 });
    append(first.log, someEvents(4_000, 'big'), 400);
    first.log.indexTail();
    closeLog();
    const indexPath = `${path}.index`;
    truncateSync(indexPath, Math.floor(statSync(indexPath).size / 2));
    const truncated = open(path, { indexChunk: 500 });
    expect(truncated.notices).toHaveLength(1);
    expect(truncated.notices[0]).toMatch(/discarded.*truncated/);
    expectAgreesWithScan(truncated.log, path, NOW);
    truncated.log.indexTail();
    closeLog();

    writeFileSync(indexPath, Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 251)));
    const garbage = open(path, { indexChunk: 500 });
    expect(garbage.notices).toHaveLength(1);
    expect(garbage.notices[0]).toMatch(/discarded.*not a SQLite database/);
    expectAgreesWithScan(garbage.log, path, NOW);
    closeLog();
    // A header that says SQLite over garbage pages: unreadable tables are caught at open, not on a client's read.
    const header = readFileSync(indexPath).subarray(0, 100);
    writeFileSync(indexPath, Buffer.concat([header, Buffer.alloc(statSync(indexPath).size - 100, 0x5a)]));
    const mangled = open(path, { indexChunk: 500 });
    expect(mangled.notices).toHaveLength(1);
    expect(mangled.notices[0]).toContain('discarded');
    expectAgreesWithScan(mangled.log, path, NOW);
  });

  it('keeps every event readable while chunk builds fail, retries them, and a restart rebuilds a gap', () => {
    const path = setup();
    let failures = 0;
    let failNext = 0;
    const failIndexBuild = () => {
      if (failNext === 0) return false;
      failNext--;
      failures++;
      return true;
    };
    const failing = open(path, { failIndexBuild });
    append(failing.log, someEvents(25, 'x'));
    failNext = 2;
    for (let i = 0; i < 6; i++) {
      append(failing.log, someEvents(9, 'x', 25 + i * 9));
      expectAgreesWithScan(failing.log, path, NOW);
    }
    expect(failures).toBe(2);
    expect(failing.notices.filter((n) => n.includes('index build failed'))).toHaveLength(1);
    // Chunks after the failed ones are built but not published until the gap below them is built.
    expect(failing.log.unindexedCount()).toBeGreaterThanOrEqual(20);
    // Closing now leaves a gap in the index; the restart must rebuild it.
    closeLog();
    const reopened = open(path, { failIndexBuild });
    expect(reopened.log.unindexedCount()).toBeLessThan(10);
    expectAgreesWithScan(reopened.log, path, NOW);

    // And without a restart: a retry (here forced by indexTail) builds the failed range.
    failNext = 1;
    append(reopened.log, someEvents(30, 'y', 100));
    expect(failures).toBe(3);
    expect(reopened.log.unindexedCount()).toBeGreaterThanOrEqual(30);
    expectAgreesWithScan(reopened.log, path, NOW);
    reopened.log.indexTail();
    expect(reopened.log.unindexedCount()).toBe(0);
    expect(reopened.notices.some((n) => n.includes('succeed again'))).toBe(true);
    expectAgreesWithScan(reopened.log, path, NOW);
  });

  it('treats a failing inline build at open as a rebuild for later, not a failed start', () => {
    const path = setup();
    const first = open(path);
    append(first.log, someEvents(55, 'z'));
    closeLog();
    rmSync(`${path}.index`, { force: true });
    const degraded = open(path, { failIndexBuild: () => true });
    expect(degraded.notices.some((n) => n.includes('index build failed'))).toBe(true);
    expectAgreesWithScan(degraded.log, path, NOW);
    append(degraded.log, someEvents(12, 'z', 55));
    expectAgreesWithScan(degraded.log, path, NOW);
    closeLog();
    const healed = open(path);
    expectAgreesWithScan(healed.log, path, NOW);
    expect(healed.log.unindexedCount()).toBeLessThan(10);
  });

  it('falls back to scanning when the index fails while serving, and discards it at the next open', () => {
    const path = setup();
    const serving = open(path);
    append(serving.log, someEvents(60, 'r'));
    serving.log.indexTail();
    // Another connection breaks the index under the running log (a stand-in for a corrupted page).
    const side = new Database(`${path}.index`);
    side.exec('DROP TABLE ix_session; DROP TABLE ix_id');
    side.close();
    expectAgreesWithScan(serving.log, path, NOW);
    expect(serving.notices.filter((n) => n.includes('index unreadable'))).toHaveLength(1);
    append(serving.log, someEvents(20, 'r', 60));
    expectAgreesWithScan(serving.log, path, NOW);
    closeLog();
    const next = open(path);
    expect(next.notices).toEqual([expect.stringMatching(/discarded.*unreadable while serving/)]);
    expectAgreesWithScan(next.log, path, NOW);
    closeLog();
    expect(open(path).notices).toEqual([]);
  });

  it('starts with an in-memory index when the index path cannot be used at all (a directory)', () => {
    const path = setup();
    const first = open(path);
    append(first.log, someEvents(40, 'd'));
    closeLog();
    rmSync(`${path}.index`, { force: true });
    mkdirSync(`${path}.index`);
    const started = open(path);
    expect(started.notices).toEqual([expect.stringMatching(/cannot be used .*rebuilds its index in memory/)]);
    append(started.log, someEvents(25, 'd', 40));
    started.log.indexTail();
    expectAgreesWithScan(started.log, path, NOW);
  });

  it('works the same with the worker indexer after an index from another log', async () => {
    const path = setup();
    const first = open(path, { indexer: 'worker' });
    append(first.log, someEvents(60, 'old'));
    first.log.indexTail();
    await waitFor(() => first.log.unindexedCount() === 0, 'the first log fully indexed');
    closeLog();
    rmSync(path);
    const second = open(path, { indexer: 'worker' }, 'epoch-b');
    expect(second.notices).toHaveLength(1);
    append(second.log, someEvents(60, 'new'));
    second.log.indexTail();
    await waitFor(() => second.log.unindexedCount() === 0, 'the second log fully indexed');
    expectAgreesWithScan(second.log, path, NOW);
  });
  it('hides nothing when the index files are removed while the log runs, before its worker started', async () => {
    const path = setup();
    const { log: running, notices } = open(path, { indexer: 'worker' });
    append(running, someEvents(5, 'a'));
    // Hint: fewer than indexChunk events: nothing was built, so the worker (which opens the index by path) is not up.
    for (const suffix of ['.index', '.index-wal', '.index-shm']) rmSync(`${path}${suffix}`, { force: true });
    append(running, someEvents(60, 'b', 5));
    running.indexTail();
    const built = () => running.unindexedCount() === 0;
    const failed = () => notices.find((n) => n.startsWith('index build failed'));
    await waitFor(() => built() || failed() !== undefined, 'the builds to succeed or fail');
    expect(failed()).toMatch(/events\.db\.index was removed or replaced while the log runs; a restart rebuilds it/);
    expectAgreesWithScan(running, path, NOW);
  });

  it('counts only offsets the log still holds as unindexed once retention deleted some before their chunk was built', () => {
    let now = NOW;
    const { log: target } = open(setup(), { now: () => now, indexChunk: 1_000 });
    append(target, someEvents(30, 'old'));
    now += 60_000;
    append(target, someEvents(20, 'new', 30));
    expect(target.unindexedCount()).toBe(50);
    expect(target.deleteBefore(now)).toBe(30);
    expect(target.unindexedCount()).toBe(20);
    expect(target.deleteBefore(undefined)).toBe(20);
    expect(target.unindexedCount()).toBe(0);
  });
});
