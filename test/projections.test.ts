import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { silentLogger } from '../src/actors/logger.js';
import { SessionRegistry } from '../src/actors/sessionRegistry.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import type { EventType } from '../src/protocol/eventTypes.js';
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
  // Session actors are children; a bare root stands in for the supervisor here.
  const parent = createActor(createMachine({})).start();
  const registry = (log: SqliteEventLog) =>
    new SessionRegistry({
      log,
      now: () => NOW,
      idleMs: 60_000,
      maxActive: 1_000,
      logger: silentLogger,
      parent: () => parent,
    });
  const listed = (log: SqliteEventLog) =>
    new Map(log.listSessions(undefined, 10_000).map((row) => [row.session_id, row.status]));

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
});
