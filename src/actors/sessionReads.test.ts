import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventLog } from '../persistence/eventLog.js';
import { ManualScheduler } from './manualScheduler.js';
import { SupervisorUnavailableError } from './pipeline.js';
import { openTestLog } from './testLog.js';
import { startTestPipeline, testInput } from './testPipeline.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Records `log.readFrom` returned since the last call. */
function recordsRead(log: EventLog): () => number {
  const reads = vi.spyOn(log, 'readFrom');
  return () => {
    const read = reads.mock.results.reduce((sum, r) => sum + (r.value as unknown[]).length, 0);
    reads.mockClear();
    return read;
  };
}

const microtasks = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/**
 * A log on disk with `long` (`length` records) and `short` (one), left by a crash so `long` has no snapshot (one is taken
 * every 10,000 records, or at passivation), and a pipeline restarted on it whose monotonic clock moves 1 ms a reading.
 */
async function crashedLog(length = 6_000) {
  const dir = mkdtempSync(join(tmpdir(), 'session-reads-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const first = new ManualScheduler();
  const log = openTestLog(first, cleanups, '', dir);
  const { publish } = startTestPipeline(first, cleanups, {}, '', log);
  await publish([testInput('long', 'quiz_started'), ...Array.from({ length: length - 1 }, () => testInput('long'))]);
  await publish([testInput('short', 'session_created')]);
  log.close();
  const scheduler = new ManualScheduler();
  let ticks = 0;
  scheduler.monotonic = () => (ticks += 1);
  const reopened = openTestLog(scheduler, cleanups, '', dir);
  return { scheduler, ...startTestPipeline(scheduler, cleanups, {}, '', reopened) };
}

describe('GET /sessions/{id} in bounded slices (manual scheduler)', () => {
  it('folds a long session with no snapshot a few pages per slice, answering other reads and publishes between them', async () => {
    const { scheduler, pipeline, log } = await crashedLog(9_000);
    const records = recordsRead(log);
    const order: string[] = [];
    const viewed = pipeline.sessionView('long').finally(() => order.push('long'));
    const perSlice = [records()];
    let [submitted, published] = [0, 0];
    // Bounded: begun again at each slice, the fold never ended while records were routed between slices.
    for (let slice = 0; slice < 50 && scheduler.pendingImmediates > 0; slice++) {
      // Records routed to other sessions between every two slices: the fold goes on, it is not begun again.
      pipeline.submit([testInput(`late${submitted++}`, 'session_created')], () => published++);
      await microtasks();
      expect(order).not.toContain('long');
      // A read whose first slice ends it is answered at once, not behind the long one.
      expect(await pipeline.sessionView('short')).toMatchObject({ status: 'created', event_count: 1 });
      records();
      scheduler.runImmediates(1);
      perSlice.push(records());
    }
    await microtasks();
    expect(scheduler.pendingImmediates).toBe(0);
    // A 5 ms slice on a clock that moves 1 ms a reading: the 256-record probe and a few pages of 500, never all.
    expect(perSlice.length).toBeGreaterThan(2);
    expect(Math.max(...perSlice)).toBeLessThanOrEqual(3_256);
    // Each of long's records read once (no page read again from the start).
    expect(perSlice.reduce((a, b) => a + b, 0)).toBe(9_000);
    expect(order).toEqual(['long']);
    expect([submitted, published]).toEqual([perSlice.length - 1, perSlice.length - 1]);
    expect(await viewed).toMatchObject({ session_id: 'long', status: 'in_progress', event_count: 9_000 });
    expect(await pipeline.sessionView('late0')).toMatchObject({ status: 'created', event_count: 1 });
  });

  it('answers two reads of one long session with one fold, and a read of an unknown session at once', async () => {
    // Hint: 5,000 records, two slices' worth: each read's touch of its entry takes one of a slice's readings too.
    const { scheduler, pipeline, log } = await crashedLog(5_000);
    const records = recordsRead(log);
    const order: string[] = [];
    const first = pipeline.sessionView('long').finally(() => order.push('first'));
    const second = pipeline.sessionView('long').finally(() => order.push('second'));
    const unknown = pipeline.sessionView('unknown').finally(() => order.push('unknown'));
    await microtasks();
    // The second read went on with the first one's fold (kept on the session's entry) and ended it; the unknown
    // session costs one empty read: both answered at once. The first one is answered at its next slice.
    expect(order).toEqual(['second', 'unknown']);
    expect(await unknown).toBeNull();
    scheduler.runImmediates();
    expect(await first).toEqual(await second);
    expect(await first).toMatchObject({ status: 'in_progress', event_count: 5_000 });
    expect(records()).toBe(5_000);
  });

  it('fails a read under way when the pipeline shuts down (503, retry), and refuses reads after', async () => {
    const { scheduler, pipeline } = await crashedLog();
    const viewed = pipeline.sessionView('long').catch((error: unknown) => error);
    expect(scheduler.pendingImmediates).toBeGreaterThan(0);
    await pipeline.shutdown();
    expect(await viewed).toBeInstanceOf(SupervisorUnavailableError);
    scheduler.runImmediates();
    await expect(pipeline.sessionView('short')).rejects.toThrow('server shutting down; retry shortly');
  });
});
