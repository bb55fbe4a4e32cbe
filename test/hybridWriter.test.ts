import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type GroupOutcome, LogWriteError } from '../src/persistence/eventLog.js';
import { LogAppender } from '../src/persistence/logAppender.js';
import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { HYBRID_INLINE_BELOW, HYBRID_INLINE_BELOW_CHARS } from '../src/persistence/sqliteEventLogOptions.js';
import type { EventInput } from '../src/protocol/eventInput.js';
import { runLogContract } from './logContract.case.js';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { allEvents, getJson } from './support/pipelineRest.js';
import { writerLogs } from './support/writerLogs.js';
import { type WireRecord, WsClient } from './support/wsClient.js';

runLogContract(
  'SqliteEventLog (hybrid writer)',
  (path, deps) => new SqliteEventLog({ path, ...deps, writer: 'hybrid' }),
);

const logs = writerLogs('hybrid', 'hybrid-writer-');
const open = logs.open;

afterEach(() => {
  vi.restoreAllMocks();
  logs.cleanup();
});

function input(session: string, id: string | null = null): EventInput {
  return { id, event_type: 'quiz_started', source: 'svc', session_id: session, user_id: null, payloadJson: '{"n":1}' };
}

function appended(outcomes: GroupOutcome[]): number[] {
  return outcomes.flatMap((o) => (o.ok ? o.appended.map((r) => r.offset) : []));
}

const SMALL = HYBRID_INLINE_BELOW - 1;
const LARGE = HYBRID_INLINE_BELOW;

describe('SqliteEventLog with the hybrid writer', () => {
  it('writes commits below the threshold inline and larger ones on the thread, offsets dense across both', async () => {
    const inline = vi.spyOn(LogAppender.prototype, 'commit');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), async (large) => {
        inline.mockClear();
        const { log } = open();
        const sizes = large.map((l) => (l ? LARGE : SMALL));
        const commits = sizes.map((n) => log.commit([Array.from({ length: n }, (_, i) => input(`s${i % 3}`))]));
        const offsets = appended((await Promise.all(commits)).flat());
        const total = sizes.reduce((a, b) => a + b, 0);
        expect(offsets).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        expect(inline).toHaveBeenCalledTimes(large.filter((l) => !l).length);
        expect(log.headOffset()).toBe(total);
        expect(log.readFrom(1, {}, 10_000).map((r) => r.offset)).toEqual(offsets);
        expect(log.stats(Date.now()).by_type).toEqual([
          { event_type: 'quiz_started', count: total, last_seen: expect.any(Number) },
        ]);
        log.close();
      }),
      { numRuns: 8 },
    );
  });

  it('sends a commit of few events but a large payload to the thread', async () => {
    const inline = vi.spyOn(LogAppender.prototype, 'commit');
    const { log } = open();
    const big = { ...input('a'), payloadJson: JSON.stringify({ blob: 'x'.repeat(HYBRID_INLINE_BELOW_CHARS / 2) }) };
    expect(appended(await log.commit([[big], [big]]))).toEqual([1, 2]);
    expect(inline).not.toHaveBeenCalled();
    expect(appended(await log.commit([[input('b')]]))).toEqual([3]);
    expect(inline).toHaveBeenCalledTimes(1);
    expect(log.readFrom(1, {}, 10).map((r) => r.payloadJson.length)).toEqual([
      big.payloadJson.length,
      big.payloadJson.length,
      input('b').payloadJson.length,
    ]);
  });

  it('resolves a producer id across inline and thread commits to the first record, and rejects a changed resend', async () => {
    const { log } = open();
    const filler = (n: number) => Array.from({ length: n }, () => input('f'));
    // p-1 lands inline, is resent inside a thread commit; p-2 lands on the thread, is resent inline.
    const first = log.commit([[input('a', 'p-1')]]);
    const second = log.commit([[...filler(LARGE), input('a', 'p-1'), input('b', 'p-2')]]);
    const third = log.commit([[input('b', 'p-2')], [{ ...input('c', 'p-1'), payloadJson: '{"n":2}' }]]);
    const [one, two, three] = await Promise.all([first, second, third]);
    const p1 = one[0]!.ok ? one[0]!.records[0]! : null;
    expect(p1?.offset).toBe(1);
    expect(two[0]!.ok && two[0]!.records[LARGE]).toEqual(p1);
    const p2 = two[0]!.ok ? two[0]!.records[LARGE + 1]! : null;
    expect(p2?.offset).toBe(LARGE + 2);
    expect(three[0]!.ok && three[0]!.records[0]).toEqual(p2);
    expect(three[1]!.ok).toBe(false);
    expect(log.headOffset()).toBe(LARGE + 2);
    expect(log.getById('p-1')?.offset).toBe(1);
  });

  it('rolls back an inline commit that cannot write: nothing acked or visible, and offsets stay dense after it', async () => {
    // Hint: a short busy timeout, so the wait behind the blocker below ends in 50 ms instead of the default 5 s.
    const { log, path } = open(undefined, { busyTimeoutMs: 50 });
    expect(appended(await log.commit([[input('a')]]))).toEqual([1]);
    // Another connection holds the write lock past the busy timeout, so the inline commit fails for real.
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    await expect(log.commit([[input('b'), input('c')]])).rejects.toBeInstanceOf(LogWriteError);
    blocker.exec('ROLLBACK');
    blocker.close();
    expect(log.headOffset()).toBe(1);
    expect(log.readFrom(1, {}, 10).map((r) => r.offset)).toEqual([1]);
    expect(log.stats(Date.now()).total_events).toBe(1);
    expect(appended(await log.commit([Array.from({ length: LARGE }, () => input('d'))]))).toHaveLength(LARGE);
    expect(appended(await log.commit([[input('e')]]))).toEqual([LARGE + 2]);
    expect(log.readFrom(1, {}, 1_000).map((r) => r.offset)).toEqual(Array.from({ length: LARGE + 2 }, (_, i) => i + 1));
    expect(log.health().writable).toBe(true);
  }, 20_000);

  it('keeps the session high-water where it was for the run once an inline status save failed', async () => {
    const { log, path } = open(undefined, { busyTimeoutMs: 50 });
    expect(appended(await log.commit([[input('a'), input('b')]]))).toEqual([1, 2]);
    log.saveSessionStatuses([{ session_id: 'a', status: 'active', offset: 1 }], 1);
    // Another connection holds the write lock past the busy timeout, so the save fails for real.
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    expect(() => log.saveSessionStatuses([{ session_id: 'b', status: 'ended', offset: 2 }], 2)).toThrow();
    blocker.exec('ROLLBACK');
    blocker.close();
    // The next save lands: its high-water would vouch for the failed save, so it stays at 1 (the next start folds
    // from there), and it writes the row of session b the failed save held (before bed6dc9, b's row stayed unwritten).
    log.saveSessionStatuses([{ session_id: 'a', status: 'ended', offset: 2 }], 2);
    log.close();
    const reopened = open(path).log;
    expect(reopened.sessionsFoldedUpTo()).toBe(1);
    expect(reopened.listSessions(undefined, 10)).toEqual([
      { session_id: 'a', status: 'ended', offset: 2 },
      { session_id: 'b', status: 'ended', offset: 2 },
    ]);
  }, 20_000);

  it('after the writer thread dies: small commits are rejected too (the log is unwritable), and acked ones survive', async () => {
    const { log, path } = open();
    const acked = appended(await log.commit([[input('a'), input('b')]]));
    log.crashWriterForTest();
    await expect.poll(() => log.health().writable).toBe(false);
    await expect(log.commit([[input('c')]])).rejects.toBeInstanceOf(LogWriteError);
    expect(() => log.appendGroups([[input('c')]])).toThrow(LogWriteError);
    log.close();
    const { log: reopened } = open(path);
    expect(reopened.headOffset()).toBe(acked.length);
    expect(appended(await reopened.commit([[input('d')]]))).toEqual([acked.length + 1]);
  });

  it('settles a thread commit before an inline one, deleteBefore and close', async () => {
    const { log, path } = open();
    const large = log.commit([Array.from({ length: LARGE }, () => input('a'))]);
    // Synchronous paths wait for the thread's commit first, so the inline one plans after it.
    expect(appended(log.appendGroups([[input('b')]]))).toEqual([LARGE + 1]);
    expect(appended(await large)).toHaveLength(LARGE);
    const more = log.commit([Array.from({ length: LARGE }, () => input('c'))]);
    expect(log.deleteBefore(undefined)).toBe(2 * LARGE + 1);
    await more;
    log.close();
    const { log: reopened } = open(path);
    expect(reopened.headOffset()).toBe(2 * LARGE + 1);
    expect(reopened.firstOffset()).toBe(2 * LARGE + 2);
  });
});

describe('the hybrid writer across a kill -9 (real process)', () => {
  let dir: string | undefined;
  let server: ChildServer | undefined;
  afterEach(async () => {
    await killServer(server);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('keeps every acked inline and thread commit, dense, after the process is killed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hybrid-crash-'));
    const db = join(dir, 'events.db');
    server = await spawnServer(db, { LOG_WRITER: 'hybrid' });
    const publisher = await WsClient.open(`${server.wsBase}/ws/publish`);
    const batch = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({ event_type: 'timer_tick', source: 'crash', payload: { tag, i } }));
    const ids: string[] = [];
    // Small, large, small: inline, thread, inline; each acked before the next is sent.
    for (const [n, tag] of [
      [3, 'a'],
      [LARGE + 10, 'b'],
      [2, 'c'],
    ] as const) {
      publisher.send(batch(n, tag));
      const ack = await publisher.next();
      expect(ack.status).toBe('ok');
      ids.push(...(ack.event_ids as string[]));
    }
    server.proc.kill('SIGKILL');
    await server.exited;
    await publisher.closed;
    server = await spawnServer(db, { LOG_WRITER: 'hybrid' });
    const log = await allEvents(server.base);
    expect(log.map((r) => r.offset)).toEqual(ids.map((_, i) => i + 1));
    expect(log.map((r) => r.id)).toEqual(ids);
    const last = await getJson<WireRecord>(`${server.base}/events/${ids.at(-1)}`);
    expect(last.body.offset).toBe(ids.length);
  });
});
