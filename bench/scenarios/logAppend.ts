import { nanoid } from 'nanoid';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../../src/protocol/eventInput.js';
import { EventFactory, meanPayloadBytes } from '../lib/eventFactory.js';
import type { Scenario, ScenarioOutcome } from '../lib/scenario.js';
import { bareAppend, rate, type Rate } from '../lib/sqliteCeilings.js';
import { withTempDir } from '../lib/tempDir.js';

const BATCH = 1_000;

/** Append `total` events to a fresh SqliteEventLog in batches, including the deferred index build at the end. */
export function appendToLog(path: string, inputs: readonly EventInput[], total: number, batch = BATCH): Rate & { indexTailMs: number } {
  const chunks: EventInput[][] = [];
  for (let i = 0; i + batch <= inputs.length; i += batch) chunks.push(inputs.slice(i, i + batch));
  const log = new SqliteEventLog({ path, newId: () => `evt_${nanoid()}`, newEpoch: () => 'benchepoch000000' });
  try {
    const started = performance.now();
    for (let done = 0, k = 0; done < total; done += batch, k++) log.appendGroups([chunks[k % chunks.length]!]);
    const beforeIndex = performance.now();
    // Hint: the log indexes in deferred bulk chunks; the last chunk's index cost belongs to these appends.
    log.indexTail();
    const ended = performance.now();
    return { ...rate(total, ended - started), indexTailMs: ended - beforeIndex };
  } finally {
    log.close();
  }
}

/** SqliteEventLog.appendGroups in batches of 1,000 vs a bare SQLite append of the same rows. */
export const logAppend: Scenario = {
  name: 'log-append',
  summary: 'SqliteEventLog.appendGroups, batches of 1,000 realistic rows, incl. deferred index build',
  run: (context) =>
    withTempDir('log-append', async (dir): Promise<ScenarioOutcome> => {
      const total = context.quick ? 100_000 : 1_000_000;
      const inputs = new EventFactory({ seed: 11, sessions: 1_000, users: 5_000 }).inputs(100_000);
      // Hint: both runs write a new file in the same directory; the ceiling runs first so neither gets a warmer disk.
      const bare = bareAppend(dir, inputs, total, BATCH);
      context.log(`bare append: ${Math.round(bare.perSecond).toLocaleString('en-US')} rows/s`);
      const ours = appendToLog(join(dir, 'log.db'), inputs, total);
      return {
        metrics: [
          { name: 'appends/s', value: ours.perSecond, unit: 'ev/s', target: { op: '>=', value: 150_000 }, ceiling: { name: 'bare append, 1000/txn', value: bare.perSecond }, ratioTarget: { op: '>=', value: 0.4 } },
          { name: 'final indexTail', value: ours.indexTailMs, unit: 'ms' },
        ],
        details: { total, batch: BATCH, meanPayloadBytes: meanPayloadBytes(inputs), log: ours, bareAppend: bare },
        notes: [`${total.toLocaleString('en-US')} rows, 1,000 sessions, 5,000 users, mean payload ${meanPayloadBytes(inputs).toFixed(0)} B; ids made inside the timing for the log, outside for the ceiling`],
      };
    }),
};
