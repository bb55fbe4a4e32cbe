import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catchUpSessions } from '../src/actors/sessionCatchUp.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import type { EventType } from '../src/protocol/eventTypes.js';
import { CapturingLogger } from './support/capturingLogger.js';
import { fill, mountTmpfs, unmount } from './support/smallDisk.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const mountable = mountTmpfs('1m');
unmount(mountable);

const CATCH_UP_FAILED = 'session_status catch-up failed; it is retried at the next start';

const event = (event_type: EventType, session: string) => ({
  id: null,
  event_type,
  source: 'probe',
  session_id: session,
  user_id: null,
  payloadJson: '{}',
});

const openLog = (path: string) =>
  new SqliteEventLog({ path, newEpoch: () => 'e', newId: () => randomUUID(), indexer: 'inline' });

/**
 * A log as a kill -9 leaves it: q1..q5 started and q6 created, their rows saved with the high-water; then q3, q1, q5
 * and q2 completed and q6 started, none of it in the rows.
 */
function crashedLog(path: string): void {
  const log = openLog(path);
  try {
    const started = ['q1', 'q2', 'q3', 'q4', 'q5'].map((s) => event('quiz_started', s));
    const [first] = log.appendGroups([[...started, event('session_created', 'q6')]]);
    if (!first?.ok) throw new Error('append failed');
    const rows = first.appended.map((r) => ({
      session_id: r.session_id!,
      status: r.event_type === 'quiz_started' ? 'in_progress' : 'created',
      offset: r.offset,
    }));
    log.saveSessionStatuses(rows, log.headOffset());
    const later = ['q3', 'q1', 'q5', 'q2'].map((s) => event('quiz_completed', s));
    const [second] = log.appendGroups([[...later, event('quiz_started', 'q6')]]);
    if (!second?.ok) throw new Error('append failed');
  } finally {
    log.close(); // Hint: saves no session row (the crash lost those folds).
  }
}

describe.runIf(mountable !== null)('GET /sessions after a start on a full disk whose status catch-up failed', () => {
  const disk = mountTmpfs('4m');
  let server: TestServer | undefined;
  let filler: string | null = null;
  afterAll(async () => {
    await server?.close();
    if (filler !== null) rmSync(filler, { force: true });
    unmount(disk);
  });

  const listing = async (query: string) => {
    const response = await fetch(`${server!.base}/sessions${query}`);
    const body = await response.text();
    expect(response.status, body).toBe(200);
    return (JSON.parse(body) as { session_id: string; status: string }[]).map((s) => `${s.session_id}:${s.status}`);
  };

  it('orders and filters by the statuses it shows (a fold of the log), not by the rows the disk kept stale', async () => {
    const path = join(disk!, 'events.db');
    crashedLog(path);
    filler = fill(disk!);
    const logger = new CapturingLogger();
    server = await startTestServer({}, { logger }, disk!);
    // Hint: the case this test is about; without it the listing would be right for another reason.
    expect(logger.lines.map((line) => line.msg)).toContain(CATCH_UP_FAILED);

    // Newest event first: q6 (11), q2 (10), q5 (9), q1 (8), q3 (7), q4 (4).
    const all = ['q6:in_progress', 'q2:completed', 'q5:completed', 'q1:completed', 'q3:completed', 'q4:in_progress'];
    expect(await listing('')).toEqual(all);
    expect(await listing('?status=completed')).toEqual(all.filter((s) => s.endsWith(':completed')));
    expect(await listing('?status=in_progress')).toEqual(['q6:in_progress', 'q4:in_progress']);
    expect(await listing('?status=created')).toEqual([]);
    expect(await listing('?status=completed&limit=2')).toEqual(['q2:completed', 'q5:completed']);
    expect(await listing('?limit=3')).toEqual(all.slice(0, 3));
    rmSync(filler);
    filler = null;
    expect(await listing('?status=completed')).toEqual(all.filter((s) => s.endsWith(':completed')));
    await server.close();
  });

  it('keeps every row of a catch-up whose first save failed: past its first batch of 1,000, and after a refold', () => {
    const path = join(disk!, 'many', 'events.db');
    const sessions = Array.from({ length: 1_500 }, (_, i) => `m${i}`);
    const first = openLog(path);
    try {
      first.appendGroups([sessions.map((s) => event('quiz_started', s))]);
      first.saveSessionStatuses(
        first
          .readFrom(1, {}, 10_000)
          .map((r) => ({ session_id: r.session_id!, status: 'in_progress', offset: r.offset })),
        first.headOffset(),
      );
      first.appendGroups([sessions.map((s) => event('quiz_completed', s))]);
      first.sessionsToRefold(['m0']); // as a retention delete left it: folded again first, its save failing too
    } finally {
      first.close();
    }
    filler = fill(disk!);
    const log = openLog(path);
    try {
      expect(() => catchUpSessions(log)).toThrow(/disk is full/);
      expect(log.listSessions('completed', 10_000)).toHaveLength(1_500);
      expect(log.listSessions('in_progress', 10_000)).toEqual([]);
      expect(log.listSessions(undefined, 1)).toEqual([{ session_id: 'm1499', status: 'completed', offset: 3_000 }]);
    } finally {
      log.close();
    }
  });
});
