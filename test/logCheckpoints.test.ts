import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CheckpointResult,
  LOG_CHECKPOINT_BYTES,
  LOG_FALLBACK_AUTOCHECKPOINT_PAGES,
  ROW_BYTES,
} from '../src/persistence/chunkIndexer.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { SqliteEventLogOptions } from '../src/persistence/sqliteEventLogOptions.js';
import { SqliteReplicaLog } from '../src/persistence/sqliteReplicaLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { waitFor } from './support/pipelineRest.js';

/** Reads the I/O thread connection's checkpoint setting (the log keeps its connection to itself). */
class ProbedLog extends SqliteEventLog {
  ioThreadAutocheckpoint(): unknown {
    return this.db.pragma('wal_autocheckpoint', { simple: true });
  }
}

const dirs: string[] = [];
const logs: SqliteEventLog[] = [];

afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(options: Partial<SqliteEventLogOptions>, path?: string): { log: ProbedLog; path: string } {
  const at = path ?? join(mkdtempSync(join(tmpdir(), 'checkpoints-')), 'events.db');
  if (path === undefined) dirs.push(join(at, '..'));
  let ids = 0;
  const log = new ProbedLog({ path: at, newId: () => `gen-${++ids}`, newEpoch: () => 'e', ...options });
  logs.push(log);
  return { log, path: at };
}

/** `count` events of about 2 KB each. */
function group(count: number): EventInput[] {
  const payloadJson = JSON.stringify({ text: 'x'.repeat(2_000) });
  return Array.from({ length: count }, (_, i) => ({
    id: null,
    event_type: 'answer_submitted',
    source: 'quiz',
    session_id: `s${i % 5}`,
    user_id: null,
    payloadJson,
  }));
}

describe('WAL checkpoints of the log', () => {
  it('are made by the index worker, so the threads that commit keep SQLite’s own only as a fallback', async () => {
    const reports: (CheckpointResult | null)[] = [];
    const { log, path } = open({ writer: 'thread', onCheckpointed: (result) => reports.push(result) });
    expect(log.ioThreadAutocheckpoint()).toBe(LOG_FALLBACK_AUTOCHECKPOINT_PAGES);
    const events = Math.ceil((3 * LOG_CHECKPOINT_BYTES) / 2_000);
    for (let done = 0; done < events; done += 500) await log.commit([group(500)]);
    await waitFor(() => reports.length > 0, "the index worker's checkpoint report").catch(() => undefined);
    expect(reports.length).toBeGreaterThan(0);
    const first = reports[0];
    // Every WAL frame there was is in the database file (nothing held it back: no reader had an older snapshot).
    expect(first).not.toBeNull();
    expect(first?.log).toBeGreaterThan(0);
    expect(first?.checkpointed).toBe(first?.log);
    const head = log.headOffset();
    log.close();
    const reopened = open({ writer: 'thread' }, path).log;
    expect(reopened.headOffset()).toBe(head);
    expect(reopened.readFrom(1, {}, 100_000)).toHaveLength(head);
  });

  it('keep the WAL bounded when every commit is small and written on the I/O thread', async () => {
    const reports: (CheckpointResult | null)[] = [];
    const { log, path } = open({ writer: 'hybrid', onCheckpointed: (result) => reports.push(result) });
    // 40 MB in commits of 20 events (the hybrid writes those inline, on the I/O thread's connection).
    const commitBytes = group(20).reduce((sum, input) => sum + input.payloadJson.length + ROW_BYTES, 0);
    let sinceRequest = 0;
    for (let i = 0; i < 1_000; i++) {
      await log.commit([group(20)]);
      sinceRequest += commitBytes;
      if (sinceRequest < LOG_CHECKPOINT_BYTES) continue;
      // That commit asked the worker for a checkpoint. Hint: waiting for its report keeps the test off the worker's
      // share of a loaded machine's CPU (racing it let the WAL pass the bound in a full run); none comes when the
      // worker makes no checkpoints, and the test fails.
      sinceRequest = 0;
      const seen = reports.length;
      await waitFor(() => reports.length > seen, "the index worker's checkpoint");
    }
    expect(log.headOffset()).toBe(20_000);
    const walBytes = statSync(`${path}-wal`).size;
    // The WAL restarts from its start once fully checkpointed, so its file stays near the fallback bound (a frame is a
    // 4,096-byte page and a 24-byte header) instead of holding all 42 MB: it passes the bound only by what commits
    // write while a reader (the index worker's chunk build) keeps it from restarting.
    expect(walBytes).toBeGreaterThan(0);
    expect(walBytes).toBeLessThan(2 * LOG_FALLBACK_AUTOCHECKPOINT_PAGES * 4_120);
  });

  it('are made by the index worker for a cluster replica too, as it applies the stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkpoints-replica-'));
    dirs.push(dir);
    const reports: (CheckpointResult | null)[] = [];
    const replica = new SqliteReplicaLog({
      path: join(dir, 'replica.db'),
      newId: () => 'unused',
      newEpoch: () => 'e',
      onCheckpointed: (result) => reports.push(result),
    });
    logs.push(replica);
    const events = Math.ceil((3 * LOG_CHECKPOINT_BYTES) / 2_000);
    for (let offset = 1; offset <= events; offset += 500) {
      const entries = group(500).map((input, i) => ({
        kind: 'event' as const,
        offset: offset + i,
        ts: 1,
        producer: false,
        input: { ...input, id: `n1-${offset + i}` },
      }));
      replica.applyAt(entries);
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => reports.length > 0, "the index worker's checkpoint report").catch(() => undefined);
    expect(reports.length).toBeGreaterThan(0);
    expect(reports[0]?.log).toBeGreaterThan(0);
  });

  it('stay with the committing connection when the index is built inline', () => {
    const { log } = open({ indexer: 'inline' });
    expect(log.ioThreadAutocheckpoint()).toBe(1_000);
  });
});
