import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogWriteError } from '../src/persistence/eventLog.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { expectAgreesWithScan, scanLog, someEvents } from './support/logOracle.js';
import { fill, mountTmpfs, unmount } from './support/smallDisk.js';

const NOW = Date.UTC(2026, 0, 31, 12);

// Hint: as test/diskFull.test.ts, this needs a mountable tmpfs (root); the probe decides once.
const mountable = mountTmpfs('1m');
unmount(mountable);

describe.runIf(mountable !== null)('the writer thread on a full disk', () => {
  let disk: string | null = null;
  beforeAll(() => {
    disk = mountTmpfs('2m');
  });
  afterAll(() => unmount(disk));

  it('fails commits retryably with nothing committed, reports not writable, and recovers when there is room', async () => {
    const path = join(disk!, 'events.db');
    let clock = NOW;
    let ids = 0;
    const open = () =>
      new SqliteEventLog({
        path,
        writer: 'thread',
        indexer: 'inline',
        now: () => clock,
        monotonic: () => clock,
        newId: () => `gen-${++ids}`,
        newEpoch: () => 'e',
      });
    let log = open();
    try {
      await log.commit([someEvents(100, 'a')]);
      const filler = fill(disk!);
      let failed = 0;
      for (let i = 0; i < 40 && failed < 3; i++) {
        const big = someEvents(200, 'b', i * 200).map((e) => ({
          ...e,
          payloadJson: JSON.stringify({ pad: 'x'.repeat(500) }),
        }));
        await log.commit([big]).catch((error: unknown) => {
          expect(error).toBeInstanceOf(LogWriteError);
          failed++;
        });
      }
      expect(failed).toBe(3);
      expect(log.health()).toEqual({ writable: false, reason: expect.stringMatching(/full/) });
      // Every acked event, and only those: the head never moved for a failed commit.
      expectAgreesWithScan(log, path, clock);
      rmSync(filler);
      clock += 1_000;
      expect(log.health()).toEqual({ writable: true, reason: null });
      await log.commit([someEvents(10, 'c')]);
      expectAgreesWithScan(log, path, clock);
      const acked = scanLog(path).length;
      log.close();
      log = open();
      expect(log.headOffset()).toBe(acked);
      expectAgreesWithScan(log, path, clock);
    } finally {
      log.close();
    }
  });
});
