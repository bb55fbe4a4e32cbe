import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { silentLogger } from '../src/actors/logger.js';
import { SessionRegistry } from '../src/actors/sessionRegistry.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import type { StoredEvent } from '../src/protocol/eventRecord.js';
import type { EventType } from '../src/protocol/eventTypes.js';
import { CapturingLogger } from './support/capturingLogger.js';
import { expectAgreesWithScan, foldStatuses, scanLog } from './support/logOracle.js';

const NOW = Date.UTC(2026, 0, 31, 12);
let generated = 0;

const LIFECYCLE: EventType[] = [
  'session_created',
  'quiz_started',
  'answer_submitted',
  'quiz_completed',
  'session_ended',
];

/** Session `s` advanced by `step` lifecycle steps (wrapping), so sessions end in different statuses. */
function lifecycle(session: number, step: number): EventInput {
  return {
    id: null,
    event_type: LIFECYCLE[step % LIFECYCLE.length]!,
    source: 'proj',
    session_id: `s${session}`,
    user_id: `u${session % 3}`,
    payloadJson: '{}',
  };
}

describe('projections catch up from the log at open', () => {
  let dir = '';
  const logs: SqliteEventLog[] = [];
  afterEach(() => {
    for (const log of logs.splice(0)) log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (path: string, notices: string[] = []) => {
    const log = new SqliteEventLog({
      path,
      now: () => NOW,
      newId: () => `gen-${++generated}`,
      newEpoch: () => 'e',
      indexer: 'inline',
      indexChunk: 16,
      onNotice: (m) => notices.push(m),
    });
    logs.push(log);
    return log;
  };
  // Session actors are children; a bare root stands in for the supervisor here, taking their failures as the
  // supervisor does (an unhandled child error would fail the root, and an unobserved failed root throws).
  const childFailures: string[] = [];
  const parent = createActor(
    createMachine({ on: { '*': { actions: ({ event }) => void childFailures.push(event.type) } } }),
  ).start();
  const registry = (log: SqliteEventLog, maxActive = 1_000) =>
    new SessionRegistry({
      log,
      monotonic: () => NOW,
      idleMs: 60_000,
      maxActive,
      logger: silentLogger,
      parent: () => parent,
    });
  const listed = (log: SqliteEventLog) =>
    new Map(log.listSessions(undefined, 10_000).map((row) => [row.session_id, row.status]));
  const listedOffsets = (log: SqliteEventLog) =>
    new Map(log.listSessions(undefined, 10_000).map((row) => [row.session_id, row.offset]));
  const lastOffsets = (records: readonly StoredEvent[]) =>
    new Map(records.flatMap((r) => (r.session_id === null ? [] : [[r.session_id, r.offset] as const])));

  it('session_status equals a fold of the log after a crash that lost the last folds', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const path = join(dir, 'events.db');
    const log = open(path);
    const sessions = registry(log);
    for (let round = 0; round < 4; round++) {
      const batch = Array.from({ length: 12 }, (_, s) => lifecycle(s, round + (s % 3)));
      const [outcome] = log.appendGroups([batch]);
      if (outcome?.ok) sessions.applyBatch(outcome.appended);
      // The first rounds are folded and saved as the sweep would; the last ones are lost in the "crash".
      if (round < 2) log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY));
    }
    expect(listed(log)).not.toEqual(foldStatuses(scanLog(path)));
    // A crash: no stopAll, no final save. (close only releases the file; nothing else is written.)
    log.close();
    logs.splice(0);

    const reopened = open(path);
    const caughtUp = registry(reopened);
    expect(caughtUp.catchUp()).toBe(12);
    expect(listed(reopened)).toEqual(foldStatuses(scanLog(path)));
    expect(reopened.sessionsFoldedUpTo()).toBe(reopened.headOffset());
    // A second open has nothing to fold.
    reopened.close();
    logs.splice(0);
    const third = open(path);
    expect(registry(third).catchUp()).toBe(0);
    expect(listed(third)).toEqual(foldStatuses(scanLog(path)));
  });

  it('a read between a commit and its routing does not fold that commit early, so it is folded once when routed', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const path = join(dir, 'events.db');
    const log = open(path);
    const sessions = registry(log, 1);
    const append = (events: EventInput[]) => {
      const [outcome] = log.appendGroups([events]);
      if (!outcome?.ok) throw new Error('append failed');
      return outcome.appended;
    };
    sessions.applyBatch(append([lifecycle(0, 0)]));
    log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY));
    // Another session's record evicts s0 (MAX_ACTIVE_SESSIONS 1), so the next read of s0 rebuilds it from the log.
    sessions.applyBatch(append([lifecycle(1, 0)]));
    // A commit in the log that the router has not handed over yet (a listing settles the writer thread first).
    const unrouted = append([lifecycle(0, 1), lifecycle(0, 2), lifecycle(0, 3)]);
    expect(sessions.get('s0')).toMatchObject({ event_count: 1, status: 'created' });
    sessions.applyBatch(unrouted);
    log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY));
    expect(sessions.get('s0')).toMatchObject({ event_count: 4, status: 'completed' });
    expect(listed(log)).toEqual(foldStatuses(scanLog(path)));
    expect(childFailures).toEqual([]);
  });

  it('a session actor that fails on what it is handed is rebuilt from the log at once, so its row is not stale', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const path = join(dir, 'events.db');
    const log = open(path);
    const sessions = registry(log);
    const [first] = log.appendGroups([[lifecycle(0, 0), lifecycle(0, 1)]]);
    if (!first?.ok) throw new Error('append failed');
    sessions.applyBatch(first.appended);
    log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY));
    const [second] = log.appendGroups([[lifecycle(0, 3)]]);
    if (!second?.ok) throw new Error('append failed');
    // A fault upstream hands a folded commit over again with the new one: the summary overlaps what the actor folded.
    sessions.applyBatch([...first.appended, ...second.appended]);
    log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY));
    expect(listed(log)).toEqual(new Map([['s0', 'completed']]));
    expect(listedOffsets(log)).toEqual(new Map([['s0', 3]]));
    expect(sessions.get('s0')).toMatchObject({ event_count: 3, status: 'completed' });
    expect(childFailures.splice(0)).toEqual(['xstate.error.actor.session:s0']);
  });

  it('records the high-water with the sweep, so a later crash only refolds sessions touched since', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const path = join(dir, 'events.db');
    const log = open(path);
    const sessions = registry(log);
    const [first] = log.appendGroups([Array.from({ length: 10 }, (_, s) => lifecycle(s, 1))]);
    if (first?.ok) sessions.applyBatch(first.appended);
    log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY));
    expect(log.sessionsFoldedUpTo()).toBe(10);
    const [second] = log.appendGroups([[lifecycle(3, 3), lifecycle(4, 4)]]);
    if (second?.ok) sessions.applyBatch(second.appended);
    log.close();
    logs.splice(0);
    const reopened = open(path);
    expect(registry(reopened).catchUp()).toBe(2);
    expect(listed(reopened)).toEqual(foldStatuses(scanLog(path)));
  });

  it('logs a save that keeps failing the same way once, with its stack, and how many times when it stops', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const log = open(join(dir, 'events.db'));
    const logger = new CapturingLogger();
    const sessions = new SessionRegistry({
      log,
      monotonic: () => NOW,
      idleMs: 60_000,
      maxActive: 1_000,
      logger,
      parent: () => parent,
    });
    const [outcome] = log.appendGroups([Array.from({ length: 4 }, (_, s) => lifecycle(s, 1))]);
    if (outcome?.ok) sessions.applyBatch(outcome.appended);
    const save = log.saveSessionStatuses.bind(log);
    let failing = 5;
    vi.spyOn(log, 'saveSessionStatuses').mockImplementation((...args) => {
      if (failing-- > 0) throw new Error('database or disk is full');
      save(...args);
    });
    // Before: a warn line with the whole stack at every save (twice a second on a full disk).
    for (let i = 0; i < 6; i++)
      sessions.save(
        i === 0
          ? sessions.foldPending(Number.POSITIVE_INFINITY)
          : [{ session_id: `x${i}`, status: 'active', offset: 1 }],
      );
    expect(logger.lines.map((line) => [line.level, line.msg, 'err' in line.obj, line.obj.times])).toEqual([
      ['error', 'saving session statuses failed; retried at the next save', true, undefined],
      ['warn', 'saving session statuses failed; retried at the next save again the same way', false, 4],
    ]);
    // What the failed saves held was written by the one that worked.
    expect(listed(log).size).toBe(9);
  });

  it('moves the high-water with the sweep under steady load too, to just below the oldest record still waiting', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const path = join(dir, 'events.db');
    const log = open(path);
    const sessions = registry(log);
    const append = (events: EventInput[]) => {
      const [outcome] = log.appendGroups([events]);
      if (outcome?.ok) sessions.applyBatch(outcome.appended);
    };
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    append(range(0, 10).map((s) => lifecycle(s, 1)));
    log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY));
    expect(log.sessionsFoldedUpTo()).toBe(10);
    // Offsets 11-20 for s0-s9; reads fold s0-s4. Then 21-25 for s0-s4; reads fold s5-s9. Some session always waits.
    append(range(0, 10).map((s) => lifecycle(s, 2)));
    for (const s of range(0, 5)) sessions.get(`s${s}`);
    append(range(0, 5).map((s) => lifecycle(s, 3)));
    for (const s of range(5, 10)) sessions.get(`s${s}`);
    expect(sessions.hasPending()).toBe(true);
    // The sweep: nothing is idle, but everything below offset 21 (s0's first waiting record) is folded and saved.
    log.saveSessionStatuses(sessions.passivateIdle());
    expect(log.sessionsFoldedUpTo()).toBe(20);
    // A crash now refolds only the five sessions with records after 20, to the same statuses as a fold of the log.
    log.close();
    logs.splice(0);
    const reopened = open(path);
    expect(registry(reopened).catchUp()).toBe(5);
    expect(listed(reopened)).toEqual(foldStatuses(scanLog(path)));
  });

  it.each([
    ['room for every session', 1_000],
    ['more sessions than actors (passivated ones fold without an actor)', 2],
  ])(
    'agrees with a fold of the log, crash or not, at any point of appends, reads, folds and sweeps: %s',
    (_, maxActive) => {
      type Step =
        | { readonly append: readonly number[] }
        | { readonly read: number }
        | { readonly fold: true }
        | { readonly sweep: true };
      const step: fc.Arbitrary<Step> = fc.oneof(
        fc.record({ append: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 6 }) }),
        fc.record({ read: fc.integer({ min: 0, max: 5 }) }),
        fc.constant({ fold: true as const }),
        fc.constant({ sweep: true as const }),
      );
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 16 }), fc.boolean(), (steps, crash) => {
          dir = mkdtempSync(join(tmpdir(), 'proj-'));
          const path = join(dir, 'events.db');
          const log = open(path);
          const sessions = registry(log, maxActive);
          const stepOf = new Map<number, number>();
          for (const s of steps) {
            if ('append' in s) {
              const events = s.append.map((n) => {
                const at = (stepOf.get(n) ?? 0) + 1;
                stepOf.set(n, at);
                return lifecycle(n, at);
              });
              const [outcome] = log.appendGroups([events]);
              if (outcome?.ok) sessions.applyBatch(outcome.appended);
            } else if ('read' in s) sessions.get(`s${s.read}`);
            else if ('fold' in s) log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY));
            else log.saveSessionStatuses(sessions.passivateIdle());
          }
          if (!crash) {
            // No crash: once what waits is folded and saved, the projection is a fold of the log.
            log.saveSessionStatuses([...sessions.foldPending(Number.POSITIVE_INFINITY), ...sessions.takeWaitingRows()]);
            expect(listed(log)).toEqual(foldStatuses(scanLog(path)));
            expect(listedOffsets(log)).toEqual(lastOffsets(scanLog(path)));
          }
          // The crash: whatever was not saved is lost.
          log.close();
          logs.splice(0);
          const reopened = open(path);
          registry(reopened).catchUp();
          expect(listed(reopened)).toEqual(foldStatuses(scanLog(path)));
          // Each row holds its session's newest record: the high-water never passed a row still waiting.
          expect(listedOffsets(reopened)).toEqual(lastOffsets(scanLog(path)));
          reopened.close();
          logs.splice(0);
          rmSync(dir, { recursive: true, force: true });
        }),
        { numRuns: 60 },
      );
    },
  );

  it('folds a log with no projection in its one scan, reading no session again, whatever retention left', () => {
    const types: EventType[] = [...LIFECYCLE, 'timer_tick', 'quiz_timeout'];
    const record = fc.record({ session: fc.integer({ min: 0, max: 4 }), type: fc.constantFrom(...types) });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), fc.nat(40), (records, kept) => {
        dir = mkdtempSync(join(tmpdir(), 'proj-'));
        const path = join(dir, 'events.db');
        let clock = NOW;
        const log = new SqliteEventLog({
          path,
          now: () => (clock += 1_000),
          newId: () => `gen-${++generated}`,
          newEpoch: () => 'e',
          indexer: 'inline',
          indexChunk: 4,
        });
        logs.push(log);
        // Appended with no session actor, as a log copied in or written by another tool: nothing folded or saved.
        for (const { session, type } of records)
          log.appendGroups([[{ ...lifecycle(session, 0), event_type: type, session_id: `s${session}` }]]);
        log.deleteBefore(NOW + 1_000 * Math.min(kept, records.length) + 1);
        const sessionReads: unknown[] = [];
        const readFrom = log.readFrom.bind(log);
        log.readFrom = (from, filter, ...rest) => {
          if (filter.session_id !== undefined) sessionReads.push(filter.session_id);
          return readFrom(from, filter, ...rest);
        };
        const expected = foldStatuses(scanLog(path));
        expect(registry(log).catchUp()).toBe(expected.size);
        expect(listed(log)).toEqual(expected);
        expect(listedOffsets(log)).toEqual(lastOffsets(scanLog(path)));
        expect(sessionReads).toEqual([]);
        for (const open of logs.splice(0)) open.close();
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 60 },
    );
  });

  it('after retention, catches up a touched session from what is left of the log, not from its saved status', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const path = join(dir, 'events.db');
    let clock = NOW;
    const options = { path, now: () => clock, newId: () => `gen-${++generated}`, newEpoch: () => 'e' };
    const log = new SqliteEventLog({ ...options, indexer: 'inline' });
    logs.push(log);
    const sessions = registry(log);
    const append = (type: EventType) => {
      clock += 1_000;
      const [outcome] = log.appendGroups([[{ ...lifecycle(0, 0), event_type: type }]]);
      if (outcome?.ok) sessions.applyBatch(outcome.appended);
    };
    append('quiz_started');
    append('answer_submitted');
    log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY));
    expect(listed(log).get('s0')).toBe('in_progress');
    // Retention deletes the quiz_started; then one more record, not folded before the crash.
    log.deleteBefore(NOW + 2_000);
    append('answer_submitted');
    log.close();
    logs.splice(0);
    const reopened = open(path);
    expect(registry(reopened).catchUp()).toBe(1);
    // A fold of what is left has no lifecycle record: the session is back at the machine's first status.
    expect(listed(reopened)).toEqual(foldStatuses(scanLog(path)));
    expect(listed(reopened).get('s0')).toBe('active');
  });

  it('after a crash between a delete and the refold it queued, the next open folds the queued sessions', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const path = join(dir, 'events.db');
    let clock = NOW;
    const log = new SqliteEventLog({
      path,
      now: () => clock++,
      newId: () => `gen-${++generated}`,
      newEpoch: () => 'e',
    });
    logs.push(log);
    const sessions = registry(log);
    for (let i = 0; i < 12; i++) {
      const [outcome] = log.appendGroups([[lifecycle(i % 3, Math.floor(i / 3))]]);
      if (outcome?.ok) sessions.applyBatch(outcome.appended);
    }
    log.saveSessionStatuses(sessions.foldPending(Number.POSITIVE_INFINITY), log.headOffset());
    // Every session is folded up to the head, so nothing after the high-water tells the catch-up to look at them.
    log.deleteBefore(NOW + 4);
    log.close();
    logs.splice(0);
    const reopened = open(path);
    expect(reopened.sessionsToRefold().sort()).toEqual(['s0', 's1', 's2']);
    expect(registry(reopened).catchUp()).toBe(3);
    expect(reopened.sessionsToRefold()).toEqual([]);
    expect(listed(reopened)).toEqual(foldStatuses(scanLog(path)));
  });

  it('recomputes type_stats when its high-water is missing or lags, with one notice', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const path = join(dir, 'events.db');
    const log = open(path);
    log.appendGroups([Array.from({ length: 40 }, (_, i) => lifecycle(i % 6, i))]);
    log.close();
    logs.splice(0);
    // An older log: counters wrong and no recorded high-water.
    const side = new Database(path);
    side.exec("UPDATE type_stats SET count = count + 5; DELETE FROM meta WHERE key = 'type_stats_upto'");
    side.close();
    const notices: string[] = [];
    const reopened = open(path, notices);
    expect(notices).toEqual([expect.stringContaining('type_stats recomputed')]);
    expectAgreesWithScan(reopened, path, NOW);
    reopened.appendGroups([[lifecycle(1, 2)]]);
    expectAgreesWithScan(reopened, path, NOW);
    reopened.close();
    logs.splice(0);
    const quiet: string[] = [];
    expectAgreesWithScan(open(path, quiet), path, NOW);
    expect(quiet).toEqual([]);
  });

  it('counts type_stats again when events past its high-water were appended by another version (a downgrade)', () => {
    dir = mkdtempSync(join(tmpdir(), 'proj-'));
    const path = join(dir, 'events.db');
    const log = open(path);
    log.appendGroups([Array.from({ length: 40 }, (_, i) => lifecycle(i % 6, i))]);
    const head = log.stats(NOW).head_offset;
    log.close();
    logs.splice(0);
    // A version from before the high-water appends two events and counts them, leaving the high-water where it was.
    // Before: the next open added them again from the high-water, for good (probe: timer_tick 2 for one event).
    const side = new Database(path);
    const insert = side.prepare(
      'INSERT INTO events(offset, id, event_type, source, session_id, user_id, payload, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const offset of [head + 1, head + 2])
      insert.run(offset, `old-${offset}`, 'timer_tick', 'old', null, null, '{}', NOW);
    side.exec(
      `INSERT INTO type_stats(event_type, count, last_seen) VALUES ('timer_tick', 2, ${NOW}) ` +
        'ON CONFLICT(event_type) DO UPDATE SET count = count + 2',
    );
    side.prepare("UPDATE meta SET value = ? WHERE key = 'next_offset'").run(String(head + 3));
    side.close();
    const notices: string[] = [];
    const reopened = open(path, notices);
    expect(notices).toEqual([
      `type_stats recomputed from the log (events past its high-water ${head} were appended by another version of the server)`,
    ]);
    expect(reopened.stats(NOW).by_type.find((stat) => stat.event_type === 'timer_tick')?.count).toBe(2);
    expectAgreesWithScan(reopened, path, NOW);
    reopened.close();
    logs.splice(0);
    // An older version that did not count them at all: counted too.
    const older = new Database(path);
    older
      .prepare(
        'INSERT INTO events(offset, id, event_type, source, session_id, user_id, payload, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(head + 3, 'older', 'timer_tick', 'old', null, null, '{}', NOW);
    older.prepare("UPDATE meta SET value = ? WHERE key = 'next_offset'").run(String(head + 4));
    older.close();
    const again = open(path, []);
    expect(again.stats(NOW).by_type.find((stat) => stat.event_type === 'timer_tick')?.count).toBe(3);
    expectAgreesWithScan(again, path, NOW);
  });
});
