import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { silentLogger } from './logger.js';
import { ManualScheduler } from './manualScheduler.js';
import { foldSessionFromLog, type PartialFold, refoldSessions } from './sessionCatchUp.js';
import { SessionRegistry } from './sessionRegistry.js';
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
    for (let i = 0; i < 3; i++) expect(pipeline.sessionView('unknown')).toBeNull();
    expect(pipeline.sessionsPassivated()).toBe(0);
    await publish([testInput('s', 'session_created')]);
    expect(pipeline.sessionView('s')).toMatchObject({ event_count: 1 });
    scheduler.advance(5_000);
    pipeline.sweep();
    expect(pipeline.sessionsPassivated()).toBe(1);
  });
});

describe('SessionRegistry.foldPending', () => {
  it('reads its clock before every fold but the first, so a slice past its deadline folds one session', () => {
    const log = openTestLog(new ManualScheduler(), cleanups);
    const parent = createActor(createMachine({})).start();
    cleanups.push(() => parent.stop());
    const registry = new SessionRegistry({
      log,
      now: () => 0,
      monotonic: () => 1,
      idleMs: 60_000,
      maxActive: 100,
      logger: silentLogger,
      parent: () => parent,
    });
    const [outcome] = log.appendGroups([['a', 'b', 'c', 'd', 'e'].map((s) => testInput(s, 'session_created'))]);
    registry.applyBatch(outcome!.ok ? outcome!.appended : []);
    const slices = [0, 1, 2, 3, 4].map(() => registry.foldPending(0).map((row) => row.session_id));
    expect(slices).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
  });
});
