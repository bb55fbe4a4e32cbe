import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WAL_SAFETY_PAGES } from '../src/persistence/chunkIndexer.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { someEvents } from './support/logOracle.js';

const CHUNK = 500;
const ROUNDS = 40;
const PAD = 'x'.repeat(400);
let ids = 0;
const ids$ = { newId: () => `gen-${++ids}`, newEpoch: () => 'epoch' };

/** A chunk of events with ~400-byte payloads, so a few rounds outgrow SQLite's default WAL threshold (4 MiB). */
const round = (n: number) =>
  someEvents(CHUNK, `r${n}`, n * CHUNK).map((event) => ({ ...event, payloadJson: `{"pad":"${PAD}"}` }));

/** Resolves once every appended offset is in a built chunk (the worker checkpoints before it reports a build). */
async function indexed(log: SqliteEventLog): Promise<void> {
  for (let waited = 0; log.unindexedCount() > 0; waited += 5) {
    if (waited > 20_000) throw new Error(`index worker did not catch up: ${log.unindexedCount()} unindexed`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('WAL checkpoints with the worker indexer', () => {
  let dir = '';
  let log: SqliteEventLog | null = null;
  afterEach(() => {
    log?.close();
    log = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('run on the index worker after each chunk, so the WAL stays small though commits never checkpoint it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wal-checkpoint-'));
    const path = join(dir, 'events.db');
    log = new SqliteEventLog({ ...ids$, path, indexer: 'worker', indexChunk: CHUNK, writer: 'inline' });
    let walHighWater = 0;
    for (let r = 0; r < ROUNDS; r++) {
      log.appendGroups([round(r)]);
      await indexed(log);
      walHighWater = Math.max(walHighWater, statSync(`${path}-wal`).size);
    }
    // Only checkpoints copy rows into the database file; the commits' own threshold (64 MiB) was never reached, so
    // the worker made them, and the WAL was reused from its start after each instead of holding every round.
    const logBytes = statSync(path).size;
    expect(WAL_SAFETY_PAGES * 4096).toBeGreaterThan(logBytes * 4);
    expect(logBytes).toBeGreaterThan(6_000_000);
    expect(walHighWater).toBeLessThan(logBytes / 4);
  });

  it('leave the inline indexer on the SQLite default threshold (no worker to checkpoint)', () => {
    dir = mkdtempSync(join(tmpdir(), 'wal-checkpoint-'));
    const path = join(dir, 'events.db');
    log = new SqliteEventLog({ ...ids$, path, indexer: 'inline', indexChunk: CHUNK, writer: 'inline' });
    for (let r = 0; r < ROUNDS; r++) log.appendGroups([round(r)]);
    const logBytes = statSync(path).size;
    expect(logBytes).toBeGreaterThan(6_000_000);
    expect(statSync(`${path}-wal`).size).toBeLessThan(logBytes);
  });
});
