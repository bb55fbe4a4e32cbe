import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../persistence/sqliteEventLog.js';
import type { ManualScheduler } from './manualScheduler.js';

/**
 * A real log in a temp directory for actor unit tests: inline indexing, the scheduler's clock, `gen-N` ids. With
 * `dir`, the log there is opened again (a restart) and the directory is left for its maker to remove.
 */
export function openTestLog(
  scheduler: ManualScheduler,
  cleanups: (() => void)[],
  prefix = 'actors-unit-',
  dir?: string,
): SqliteEventLog {
  const at = dir ?? mkdtempSync(join(tmpdir(), prefix));
  let ids = 0;
  const log = new SqliteEventLog({
    path: join(at, 'events.db'),
    now: () => scheduler.now(),
    newId: () => `gen-${++ids}`,
    newEpoch: () => 'e',
    indexer: 'inline',
  });
  // Hint: cleanups run in reverse, so the log closes before its directory goes.
  if (dir === undefined) cleanups.push(() => rmSync(at, { recursive: true, force: true }));
  cleanups.push(() => log.close());
  return log;
}
