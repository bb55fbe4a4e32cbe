import { join } from 'node:path';
import { SqliteEventLog } from '../../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../../src/protocol/eventInput.js';
import { offsetIds } from '../../src/protocol/offsetIds.js';
import { EventFactory, meanPayloadBytes } from '../lib/eventFactory.js';
import type { Scenario, ScenarioOutcome } from '../lib/scenario.js';
import { bareAppend, type Rate, rate } from '../lib/sqliteCeilings.js';
import { TARGETS } from '../lib/targets.js';
import { withTempDir } from '../lib/tempDir.js';

const BATCH = 1_000;
/** Server-generated ids, as src/http/server.ts recognizes them. */
const SERVER_ID = /^evt_[A-Za-z0-9_-]{21}$/;

/** A log-append measurement. */
export interface AppendRun extends Rate {
  /** From the last append to the index covering every offset (the worker's backlog, or the inline build). */
  readonly indexWaitMs: number;
}

/**
 * Append `total` events to a fresh SqliteEventLog in batches of `batch`, then seal the tail and wait until every
 * offset is indexed, all inside the timing, so the deferred index cost is counted.
 */
export async function appendToLog(
  path: string,
  inputs: readonly EventInput[],
  total: number,
  indexer: 'worker' | 'inline' = 'worker',
  batch = BATCH,
): Promise<AppendRun> {
  const chunks: EventInput[][] = [];
  for (let i = 0; i + batch <= inputs.length; i += batch) chunks.push(inputs.slice(i, i + batch));
  const log = new SqliteEventLog({
    path,
    // Hint: ids as the embedded server makes them (each names its offset, so the id index holds none of them).
    // Until 2026-12-02 this made random ids, which the server stopped making; with the id index's directory (index
    // layout 5) those cost one B-tree page each and halved this scenario (bench/HISTORY.md).
    newId: offsetIds('evt_'),
    isGeneratedId: (id) => SERVER_ID.test(id),
    newEpoch: () => 'benchepoch000000',
    indexer,
    onNotice: (message) => {
      throw new Error(`index build failed: ${message}`);
    },
  });
  try {
    const started = performance.now();
    for (let done = 0, k = 0; done < total; done += batch, k++) log.appendGroups([chunks[k % chunks.length]!]);
    const appended = performance.now();
    log.indexTail();
    // Hint: worker-built chunks are reported through the event loop, so yield until none is outstanding (bounded).
    for (let i = 0; log.unindexedCount() > 0 && i < 600_000 && performance.now() - appended < 600_000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (log.unindexedCount() > 0) throw new Error(`${log.unindexedCount()} offsets still unindexed after 10 minutes`);
    const ended = performance.now();
    return { ...rate(total, ended - started), indexWaitMs: ended - appended };
  } finally {
    log.close();
  }
}

/** SqliteEventLog.appendGroups in batches of 1,000 vs a bare SQLite append of the same rows. */
export const logAppend: Scenario = {
  name: 'log-append',
  summary: 'SqliteEventLog.appendGroups, batches of 1,000 realistic rows, until every offset is indexed',
  run: (context) =>
    withTempDir('log-append', async (dir): Promise<ScenarioOutcome> => {
      const total = context.quick ? 100_000 : 1_000_000;
      const inputs = new EventFactory({ seed: 11, sessions: 1_000, users: 5_000 }).inputs(100_000);
      // Hint: every run writes a new file in the same directory; the ceiling runs first so none gets a warmer disk.
      const bare = bareAppend(dir, inputs, total, BATCH);
      context.log(`bare append: ${Math.round(bare.perSecond).toLocaleString('en-US')} rows/s`);
      const ours = await appendToLog(join(dir, 'log.db'), inputs, total, 'worker');
      const inline = await appendToLog(join(dir, 'log-inline.db'), inputs, total, 'inline');
      const ceiling = { name: 'bare append, 1000/txn', value: bare.perSecond, upperBound: true };
      return {
        metrics: [
          {
            name: 'appends/s',
            value: ours.perSecond,
            unit: 'ev/s',
            target: { op: '>=', value: TARGETS.logAppend.perSecond },
            ceiling,
            ratioTarget: { op: '>=', value: TARGETS.logAppend.ofBareAppend },
          },
          { name: 'index wait after last append', value: ours.indexWaitMs, unit: 'ms' },
          { name: 'appends/s, inline indexer', value: inline.perSecond, unit: 'ev/s', ceiling },
        ],
        details: {
          total,
          batch: BATCH,
          meanPayloadBytes: meanPayloadBytes(inputs),
          worker: ours,
          inline,
          bareAppend: bare,
        },
        notes: [
          `${total.toLocaleString('en-US')} rows, 1,000 sessions, 5,000 users, mean payload ${meanPayloadBytes(inputs).toFixed(0)} B; ids made inside the timing for the log, outside for the ceiling`,
          'the default indexer builds chunks on a worker thread (the second core); the inline row is the one-core cost',
        ],
      };
    }),
};
