import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { silentLogger } from './logger.js';
import { ManualScheduler } from './manualScheduler.js';
import { foldSessionFromLog, type PartialFold, refoldSessions } from './sessionCatchUp.js';
import { SessionRegistry } from './sessionRegistry.js';
import { SNAPSHOT_MIN_EVENTS } from './sessionSnapshot.js';
import { openTestLog } from './testLog.js';
import { startTestPipeline, testInput } from './testPipeline.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

describe('refoldSessions', () => {
  it('stops after the first session that ends past its deadline, and the next call goes on from there', () => {
    const log = openTestLog(new ManualScheduler(), cleanups);
    const sessions = Array.from({ length: 12 }, (_, i) => `s${i}`);
    log.appendGroups([sessions.flatMap((session) => [testInput(session, 'session_created'), testInput(session)])]);
    // A clock past the deadline at every reading: each call folds one session, the least it may.
    const late = () => 1;
    const folded = [refoldSessions(log, sessions, 0, 0, late), refoldSessions(log, sessions, 1, 0, late)];
    expect(folded).toEqual([1, 1]);
    expect(refoldSessions(log, sessions, 2)).toBe(10);
    expect(
      log
        .listSessions(undefined, 20)
        .map((row) => row.session_id)
        .sort(),
    ).toEqual([...sessions].sort());
    for (const session of sessions)
      expect(log.savedSession(session)?.status).toBe(foldSessionFromLog(log, session)?.status);
  });
});

describe('refoldSessions inside one long session', () => {
  it('reads one page per call past its deadline, carries the fold between calls, and saves what a whole fold gives', () => {
    const log = openTestLog(new ManualScheduler(), cleanups);
    const types = ['session_created', 'quiz_started', 'answer_submitted', 'quiz_completed'] as const;
    log.appendGroups([Array.from({ length: 1_200 }, (_, i) => testInput('long', types[Math.min(i, 3)]))]);
    log.appendGroups([[testInput('short', 'session_created')]]);
    const reads = vi.spyOn(log, 'readFrom');
    const carry: { partial: PartialFold | null } = { partial: null };
    const late = () => 1;
    const calls = [0, 1, 2].map(() => {
      reads.mockClear();
      const folded = refoldSessions(log, ['long', 'short'], 0, 0, late, carry);
      return [folded, reads.mock.calls.length, carry.partial?.from ?? null];
    });
    // 500 records a page: two calls end inside the session, the third finishes it (200 left) and stops.
    expect(calls).toEqual([
      [0, 1, 501],
      [0, 1, 1_001],
      [1, 1, null],
    ]);
    expect(log.savedSession('long')?.status).toBe(foldSessionFromLog(log, 'long')?.status);
    expect(refoldSessions(log, ['long', 'short'], 1, 0, late, carry)).toBe(1);
    expect(log.listSessions(undefined, 5).map((row) => [row.session_id, row.offset])).toEqual([
      ['short', 1_201],
      ['long', 1_200],
    ]);
  });
});

describe('session reads of a session the log has none of', () => {
  it('answer null and count no passivation, while an idle session that is passivated still counts', async () => {
    const scheduler = new ManualScheduler();
    const { pipeline, publish } = startTestPipeline(scheduler, cleanups, { sessionIdleMs: 1_000 });
    for (let i = 0; i < 3; i++) expect(await pipeline.sessionView('unknown')).toBeNull();
    expect(pipeline.sessionsPassivated()).toBe(0);
    await publish([testInput('s', 'session_created')]);
    expect(await pipeline.sessionView('s')).toMatchObject({ event_count: 1 });
    scheduler.advance(5_000);
    pipeline.sweep();
    expect(pipeline.sessionsPassivated()).toBe(1);
  });
});

/** A registry on a fresh log whose monotonic clock is always past a deadline of 0. */
function lateRegistry() {
  const log = openTestLog(new ManualScheduler(), cleanups);
  const parent = createActor(createMachine({})).start();
  cleanups.push(() => parent.stop());
  const registry = new SessionRegistry({
    log,
    monotonic: () => 1,
    idleMs: 60_000,
    maxActive: 100,
    logger: silentLogger,
    parent: () => parent,
  });
  return { log, registry };
}

describe('SessionRegistry.foldPending', () => {
  it('reads its clock before every fold but the first, so a slice past its deadline folds one session', () => {
    const { log, registry } = lateRegistry();
    const [outcome] = log.appendGroups([['a', 'b', 'c', 'd', 'e'].map((s) => testInput(s, 'session_created'))]);
    registry.applyBatch(outcome!.ok ? outcome!.appended : []);
    const slices = [0, 1, 2, 3, 4].map(() => registry.foldPending(0).map((row) => row.session_id));
    expect(slices).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
  });
});

describe('refoldSessions snapshots', () => {
  it("saves a fold of SNAPSHOT_MIN_EVENTS records or more as the session's snapshot, so a read after the delete starts from it", async () => {
    const scheduler = new ManualScheduler();
    const { pipeline, log, publish } = startTestPipeline(scheduler, cleanups);
    await publish([testInput('long', 'session_created'), testInput('short', 'session_created')]);
    scheduler.advance(1_000);
    const types = ['quiz_started', 'answer_submitted'] as const;
    await publish(Array.from({ length: 1_200 }, (_, i) => testInput('long', types[Math.min(i, 1)])));
    await publish([testInput('short', 'quiz_started')]);
    // Cut both sessions (their session_created goes); the refold runs before the answer.
    expect(await pipeline.retain(scheduler.now())).toBe(2);
    scheduler.runImmediates();
    expect(log.sessionsToRefold()).toEqual([]);
    const saved = log.savedSession('long');
    expect(saved?.status).toBe('in_progress');
    expect(JSON.parse(saved?.snapshot ?? 'null')).toMatchObject({
      status: 'in_progress',
      context: { event_count: 1_200, first_offset: 3, last_offset: 1_202 },
    });
    // Too few records to be worth one (and none survived the delete).
    expect(log.savedSession('short')).toEqual({ status: 'in_progress', snapshot: null });
    // A read of the cut session now starts from the snapshot: its probe of the history, then nothing after it.
    const read = vi.spyOn(log, 'readFrom');
    expect(await pipeline.sessionView('long')).toMatchObject({ status: 'in_progress', event_count: 1_200 });
    const records = read.mock.results.reduce((sum, r) => sum + (r.value as unknown[]).length, 0);
    expect(records).toBe(SNAPSHOT_MIN_EVENTS);
  });
});

describe('SessionRegistry.foldPending of a long session not in memory', () => {
  /** A late registry (lateRegistry) where `long` has 1,200 records in the log and one pending. */
  function longPending() {
    const { log, registry } = lateRegistry();
    const types = ['session_created', 'quiz_started', 'answer_submitted'] as const;
    log.appendGroups([Array.from({ length: 1_200 }, (_, i) => testInput('long', types[Math.min(i, 2)]))]);
    const [outcome] = log.appendGroups([[testInput('long', 'answer_submitted'), testInput('b', 'session_created')]]);
    registry.applyBatch(outcome!.ok ? outcome!.appended : []);
    const reads = vi.spyOn(log, 'readFrom');
    /** Records read since the last call. */
    const records = () => {
      const read = reads.mock.results.reduce((sum, r) => sum + (r.value as unknown[]).length, 0);
      reads.mockClear();
      return read;
    };
    const slice = () => [registry.foldPending(0).map((row) => row.session_id), records()];
    return { registry, slice, records };
  }

  it('reads its history a page per slice past the deadline, carrying the fold to the next slice', () => {
    const { registry, slice } = longPending();
    // The history probe (256 records) and one page of 500; then the other 444 and the fold; then `b`.
    expect([slice(), slice(), slice()]).toEqual([
      [[], 756],
      [['long'], 444],
      [['b'], 0],
    ]);
    expect(registry.get('long')).toMatchObject({ status: 'in_progress', event_count: 1_201 });
  });

  it('goes on from where a slice stopped when the session is read in between', () => {
    const { registry, slice, records } = longPending();
    expect(slice()).toEqual([[], 756]);
    expect(registry.get('long')).toMatchObject({ status: 'in_progress', event_count: 1_201 });
    expect(records()).toBe(444);
    expect(slice()).toEqual([['b'], 0]);
  });
});
