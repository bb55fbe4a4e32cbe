import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogWriteError } from '../src/persistence/eventLog.js';
import { SqliteEventLog, type SqliteEventLogOptions } from '../src/persistence/sqliteEventLog.js';
import { expectAgreesWith, expectAgreesWithScan, scanLog, someEvents } from './support/logOracle.js';
import { waitFor } from './support/pipelineRest.js';
import { fill, mountTmpfs, unmount } from './support/smallDisk.js';

const NOW = Date.UTC(2026, 0, 31, 12);
let generated = 0;

const mountable = mountTmpfs('1m');
unmount(mountable);

describe.runIf(mountable !== null)('a real full disk (small tmpfs)', () => {
  let indexDisk: string | null = null;
  let logDisk: string | null = null;
  let dir = '';
  beforeAll(() => {
    indexDisk = mountTmpfs('1m');
    logDisk = mountTmpfs('2m');
    dir = mkdtempSync(join(tmpdir(), 'full-disk-log-'));
  });
  afterAll(() => {
    unmount(indexDisk);
    unmount(logDisk);
    rmSync(dir, { recursive: true, force: true });
  });
  const options = (
    path: string,
    notices: string[],
    extra: Partial<SqliteEventLogOptions> = {},
  ): SqliteEventLogOptions => ({
    path,
    now: () => NOW,
    newId: () => `gen-${++generated}`,
    newEpoch: () => 'e',
    indexChunk: 100,
    onNotice: (message) => notices.push(message),
    ...extra,
  });

  it('keeps every event readable while the index disk is full, and builds the index once there is room', async () => {
    const path = join(dir, 'events.db');
    // Hint: the index file lives on its own tiny file system, so only the index worker hits the full disk.
    mkdirSync(join(indexDisk!, 'ix'));
    symlinkSync(join(indexDisk!, 'ix', 'events.db.index'), `${path}.index`);
    const notices: string[] = [];
    let log = new SqliteEventLog(options(path, notices));
    try {
      log.appendGroups([someEvents(250, 'a')]);
      log.indexTail();
      await waitFor(() => log.unindexedCount() === 0, 'first chunks indexed');
      const filler = fill(indexDisk!);
      for (let i = 0; i < 6; i++) {
        log.appendGroups([someEvents(120, 'b', i * 120)]);
        expectAgreesWithScan(log, path, NOW);
      }
      log.indexTail();
      await waitFor(() => notices.some((n) => n.includes('index build failed')), 'a failed build');
      expectAgreesWithScan(log, path, NOW);
      expect(log.unindexedCount()).toBeGreaterThan(0);

      // A restart while the disk is still full starts anyway and serves the same reads.
      log.close();
      log = new SqliteEventLog(options(path, notices));
      expectAgreesWithScan(log, path, NOW);
      log.appendGroups([someEvents(50, 'c')]);
      expectAgreesWithScan(log, path, NOW);

      rmSync(filler);
      log.indexTail();
      await waitFor(() => log.unindexedCount() === 0, 'every range indexed after the disk has room');
      expectAgreesWithScan(log, path, NOW);
      log.close();
      // One line for the failure streak (the restart may have discarded a half-checkpointed index: another line).
      expect(notices.filter((n) => n.includes('index build failed'))).toHaveLength(1);
      const reopened = new SqliteEventLog(options(path, notices));
      log = reopened;
      expectAgreesWithScan(reopened, path, NOW);
    } finally {
      log.close();
    }
  });

  it('reports not writable while the log disk is full and recovers when there is room; reads are served throughout', () => {
    const path = join(logDisk!, 'events.db');
    const notices: string[] = [];
    let clock = NOW;
    const log = new SqliteEventLog(
      options(path, notices, { indexer: 'inline', now: () => clock, monotonic: () => clock }),
    );
    try {
      log.appendGroups([someEvents(100, 'd')]);
      const filler = fill(logDisk!);
      let failed = 0;
      for (let i = 0; i < 40 && failed < 3; i++) {
        try {
          log.appendGroups([
            someEvents(200, 'e', i * 200).map((e) => ({ ...e, payloadJson: JSON.stringify({ pad: 'x'.repeat(500) }) })),
          ]);
        } catch (error) {
          expect(error).toBeInstanceOf(LogWriteError);
          failed++;
        }
      }
      expect(failed).toBe(3);
      const health = log.health();
      expect(health.writable).toBe(false);
      expect(health.reason).toMatch(/full/);
      expectAgreesWithScan(log, path, clock);
      rmSync(filler);
      clock += 1_000;
      expect(log.health()).toEqual({ writable: true, reason: null });
      log.appendGroups([someEvents(10, 'f')]);
      expectAgreesWithScan(log, path, clock);
    } finally {
      log.close();
    }
  });

  it('starts degraded on a full log disk: reads served, not writable, writable again once there is room', () => {
    const path = join(logDisk!, 'start', 'events.db');
    const notices: string[] = [];
    let clock = NOW;
    const first = new SqliteEventLog(options(path, notices, { now: () => clock }));
    first.appendGroups([someEvents(300, 'g')]);
    first.close();
    const before = scanLog(path);
    const filler = fill(logDisk!);
    let log: SqliteEventLog | null = null;
    try {
      log = new SqliteEventLog(options(path, notices, { now: () => clock, monotonic: () => clock }));
      // Hint: opened exclusively (no room for shared memory), so compare with the scan taken before.
      expectAgreesWith(log, before, clock);
      expect(log.health().writable).toBe(false);
      expect(notices.some((n) => n.includes('cannot be written'))).toBe(true);
      // Hint: the open discarded the index it could not use on this disk, which freed its pages; fill them again
      // (the filler is rewritten), so the disk is still full when the append tries it.
      fill(logDisk!);
      expect(() => log!.appendGroups([someEvents(1, 'h')])).toThrow(LogWriteError);
      rmSync(filler);
      clock += 1_000;
      expect(log.health().writable).toBe(true);
      const [more] = log.appendGroups([someEvents(5, 'h')]);
      expectAgreesWith(log, [...before, ...(more?.ok ? more.appended : [])], clock);
    } finally {
      log?.close();
      rmSync(filler, { force: true });
    }
  });
});
