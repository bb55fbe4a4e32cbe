import { afterEach, describe, expect, it } from 'vitest';
import { RetentionStepError } from '../persistence/retention.js';
import { ManualScheduler } from './manualScheduler.js';
import { openTestLog } from './testLog.js';
import { startTestPipeline, testInput } from './testPipeline.js';

/** Let promise callbacks run (retain sends its request after one). */
const microtasks = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** Run every step (and refold slice) still deferred, letting promise callbacks run in between. */
async function drain(scheduler: ManualScheduler): Promise<void> {
  await microtasks();
  while (scheduler.runImmediates() > 0) await microtasks();
}

describe('DELETE /events in bounded steps (manual scheduler)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  /** A pipeline whose deletes step 10 offsets at a time, over 95 events of sessions s0..s4. */
  async function ninetyFive(cluster = false) {
    const scheduler = new ManualScheduler();
    const log = openTestLog(scheduler, cleanups, 'pipeline-unit-');
    // Hint: a log with prepareRetention is cluster mode's, whose stream is purged before a delete is queued.
    const prepared = cluster ? Object.assign(log, { prepareRetention: async () => undefined }) : log;
    const started = startTestPipeline(scheduler, cleanups, { retentionStepOffsets: 10 }, '', prepared);
    for (let n = 0; n < 95; n++) await started.publish([testInput(`s${n % 5}`, 'answer_submitted')]);
    return { scheduler, ...started };
  }

  it('serves other requests between its steps, moving the first offset up one step at a time', async () => {
    const { scheduler, pipeline, publish } = await ninetyFive();
    let answer: number | undefined;
    void pipeline.retain(undefined).then((deleted) => (answer = deleted));
    await microtasks();
    const firsts: number[] = [pipeline.firstOffset()];
    while (scheduler.pendingImmediates > 0) {
      // Between two steps the supervisor answers a session read and takes a publish; the delete has not answered.
      await microtasks();
      expect(answer).toBeUndefined();
      expect(await pipeline.sessionView('s1')).not.toBeNull();
      scheduler.runImmediates(1);
      firsts.push(pipeline.firstOffset());
    }
    await drain(scheduler);
    expect(firsts).toEqual([11, 21, 31, 41, 51, 61, 71, 81, 91, 96]);
    expect(answer).toBe(95);
    // The boundary was found once: what was published meanwhile is kept.
    await publish([testInput('s9', 'answer_submitted')]);
    expect(pipeline.logStats(0)).toMatchObject({ total_events: 1, first_offset: 96, head_offset: 96 });
  });

  it('answers a step the store refused with what earlier steps deleted, and a retry deletes the rest', async () => {
    const { scheduler, pipeline, log } = await ninetyFive();
    const step = log.deleteStep!.bind(log);
    let steps = 0;
    log.deleteStep = (boundary, limit) => {
      if (++steps === 3) throw new RetentionStepError('the disk is full', { cause: new Error('SQLITE_FULL') });
      return step(boundary, limit);
    };
    const failed = pipeline.retain(undefined).catch((error: unknown) => error);
    await drain(scheduler);
    const error = (await failed) as Error;
    expect(error.name).toBe('LogWriteError');
    expect(error.message).toBe(
      'storage unavailable; deleted 20 events (every offset below 21), not the 75 offsets from 21 to 95: ' +
        'retry to delete the rest (the disk is full)',
    );
    expect(pipeline.firstOffset()).toBe(21);
    const retried = pipeline.retain(undefined);
    await drain(scheduler);
    expect(await retried).toBe(75);
    expect(pipeline.logStats(0)).toMatchObject({ total_events: 0, first_offset: 96 });
  });

  it('runs two deletes asked at once one after the other, each answered with its own count', async () => {
    const scheduler = new ManualScheduler();
    const { pipeline, publish } = startTestPipeline(scheduler, cleanups, { retentionStepOffsets: 10 });
    for (let n = 0; n < 45; n++) await publish([testInput(`s${n % 5}`, 'answer_submitted')]);
    scheduler.advance(1_000);
    for (let n = 0; n < 50; n++) await publish([testInput(`t${n % 5}`, 'answer_submitted')]);
    const older = pipeline.retain(scheduler.now());
    const all = pipeline.retain(undefined);
    await microtasks();
    let firstSeen = pipeline.firstOffset();
    while (scheduler.pendingImmediates > 0) {
      scheduler.runImmediates(1);
      // The first offset only moves up, and never past the first delete's cut before it has answered.
      expect(pipeline.firstOffset()).toBeGreaterThanOrEqual(firstSeen);
      firstSeen = pipeline.firstOffset();
    }
    expect(await Promise.all([older, all])).toEqual([45, 50]);
    expect(pipeline.logStats(0)).toMatchObject({ total_events: 0, first_offset: 96, head_offset: 95 });
    expect(await pipeline.sessionList(undefined, 10)).toEqual([]);
  });
  it('answers a delete under way at shutdown with what its steps deleted, and refuses one asked after', async () => {
    const { scheduler, pipeline } = await ninetyFive();
    const stopped = pipeline.retain(undefined).catch((error: unknown) => error);
    await microtasks();
    scheduler.runImmediates(1);
    expect(pipeline.firstOffset()).toBe(21);
    await pipeline.shutdown();
    const error = (await stopped) as Error;
    expect(error.name).toBe('LogWriteError');
    expect(error.message).toBe(
      'server shutting down; deleted 20 events (every offset below 21), not the 75 offsets from 21 to 95: ' +
        'retry to delete the rest',
    );
    // The step left waiting finds the delete gone: nothing more is deleted.
    scheduler.runImmediates();
    expect(pipeline.firstOffset()).toBe(21);
    await expect(pipeline.retain(undefined)).rejects.toThrow('server shutting down; nothing was deleted, retry');
  });
  it('in cluster mode, answers a delete cut short by shutdown with the purge the stream took: it goes on', async () => {
    const { scheduler, pipeline } = await ninetyFive(true);
    const stopped = pipeline.retain(undefined).catch((error: unknown) => error);
    const waiting = pipeline.retain(undefined).catch((error: unknown) => error);
    await microtasks();
    scheduler.runImmediates(1);
    expect(pipeline.firstOffset()).toBe(21);
    await pipeline.shutdown();
    // Before: "deleted 20 events …, not the 75 offsets from 21 to 95: retry to delete the rest", and "nothing was
    // deleted, retry" for the one waiting, while every other node deleted below the cut.
    expect(((await stopped) as Error).message).toBe(
      'server shutting down: the stream was purged below offset 96, so every node deletes below it; this ' +
        "node's replica deleted 20 events so far (every offset below 21) and deletes the rest at its next start (its " +
        '/stats first_offset reaches 96 then); a retry of this DELETE is safe',
    );
    expect(((await waiting) as Error).message).toBe(
      'server shutting down: the stream was purged as this DELETE asked, so every node deletes below its cut, this ' +
        "node's replica at its next start; a retry of this DELETE is safe",
    );
  });
});
