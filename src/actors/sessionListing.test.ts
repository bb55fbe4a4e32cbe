import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventLog } from '../persistence/eventLog.js';
import type { EventType } from '../protocol/eventTypes.js';
import { SESSION_STATUSES } from '../protocol/sessionStatus.js';
import { ManualScheduler } from './manualScheduler.js';
import { type Pipeline, SupervisorUnavailableError } from './pipeline.js';
import { foldSessionFromLog } from './sessionCatchUp.js';
import type { SessionView } from './sessionView.js';
import { openTestLog } from './testLog.js';
import { startTestPipeline, testInput } from './testPipeline.js';

const SESSIONS = ['s0', 's1', 's2', 's3', 's4'];
const TYPES: EventType[] = ['session_created', 'quiz_started', 'answer_submitted', 'quiz_completed', 'session_ended'];

type Step =
  | { readonly kind: 'publish'; readonly records: readonly [number, EventType][] }
  | { readonly kind: 'read'; readonly session: number }
  | { readonly kind: 'sweep' }
  | { readonly kind: 'retain'; readonly back: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('publish' as const),
      records: fc.array(fc.tuple(fc.nat(SESSIONS.length - 1), fc.constantFrom(...TYPES)), {
        minLength: 1,
        maxLength: 4,
      }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), session: fc.nat(SESSIONS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retain' as const), back: fc.nat(8) }) },
);

/** What GET /sessions must list: every session with records left, by its last record, folded from what is left. */
function expectedListing(log: EventLog): { session_id: string; status: string }[] {
  const last = new Map<string, number>();
  for (const record of log.readFrom(1, {}, 100_000))
    if (record.session_id !== null) last.set(record.session_id, record.offset);
  return [...last]
    .sort((a, b) => b[1] - a[1])
    .map(([session_id]) => ({ session_id, status: foldSessionFromLog(log, session_id)!.status }));
}

/** A listing of at most 100 sessions, its later slices run (a ticking monotonic clock cuts it into several). */
function listing(scheduler: ManualScheduler, pipeline: Pipeline, status?: string): Promise<SessionView[]> {
  const answer = pipeline.sessionList(status, 100);
  scheduler.runImmediates();
  return answer;
}

describe('GET /sessions, through the pipeline port (manual scheduler)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  it('lists every session with records left, newest last record first, with the status folded from the log, whatever was read, swept or deleted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.integer({ min: 1, max: 8 }), async (steps, limit) => {
        const scheduler = new ManualScheduler();
        // A small MAX_ACTIVE_SESSIONS, so passivated sessions fold through their remembered status too.
        const { pipeline, log, publish } = startTestPipeline(scheduler, cleanups, { maxActiveSessions: 2 });
        for (const s of steps) {
          scheduler.advance(1_000);
          if (s.kind === 'publish') await publish(s.records.map(([i, type]) => testInput(SESSIONS[i]!, type)));
          else if (s.kind === 'read') await pipeline.sessionView(SESSIONS[s.session]!);
          else if (s.kind === 'sweep') pipeline.sweep();
          else await pipeline.retain(scheduler.now() - s.back * 1_000);
        }
        const expected = expectedListing(log);
        const listed = async (status?: string) =>
          (await pipeline.sessionList(status, limit)).map(({ session_id, status }) => ({ session_id, status }));
        expect(await listed()).toEqual(expected.slice(0, limit));
        for (const status of SESSION_STATUSES)
          expect(await listed(status)).toEqual(expected.filter((row) => row.status === status).slice(0, limit));
        for (const cleanup of cleanups.splice(0).reverse()) cleanup();
      }),
      { numRuns: 60 },
    );
  });

  it('answers a delete whose refold failed with its count, logs why, and folds again at the next sweep', async () => {
    const scheduler = new ManualScheduler();
    const errors: string[] = [];
    const logger = { info() {}, warn() {}, error: (_: object, message: string) => errors.push(message) };
    const { pipeline, log, publish } = startTestPipeline(scheduler, cleanups, { logger });
    await publish([testInput('s', 'quiz_started'), testInput('gone', 'session_created')]);
    scheduler.advance(1_000);
    await publish([testInput('s', 'answer_submitted')]);
    expect((await pipeline.sessionList(undefined, 10)).map((v) => [v.session_id, v.status])).toEqual([
      ['s', 'in_progress'],
      ['gone', 'created'],
    ]);
    const saveRefolded = log.saveRefolded.bind(log);
    log.saveRefolded = () => {
      throw new Error('injected: database or disk is full');
    };
    expect(await pipeline.retain(scheduler.now())).toBe(2);
    expect(errors).toEqual(['folding sessions again after retention failed; retried at the next sweep']);
    expect(log.sessionsToRefold()).toEqual(['s']);
    log.saveRefolded = saveRefolded;
    pipeline.sweep();
    expect(log.sessionsToRefold()).toEqual([]);
    expect((await pipeline.sessionList('active', 10)).map((v) => v.session_id)).toEqual(['s']);
    expect(await pipeline.sessionList('in_progress', 10)).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it('folds the sessions a delete cut into in slices between I/O, and a listing folds the rest first', async () => {
    // A monotonic clock that moves 0.2 ms each time it is read, so a 0.5 ms slice ends after 16 folds.
    const scheduler = new ManualScheduler();
    let ticks = 0;
    scheduler.monotonic = () => (ticks += 0.2);
    const { pipeline, log, publish } = startTestPipeline(scheduler, cleanups, { maxActiveSessions: 1_000 });
    const sessions = Array.from({ length: 40 }, (_, i) => `s${i}`);
    await publish(sessions.map((s) => testInput(s, 'quiz_started')));
    scheduler.advance(1_000);
    await publish(sessions.map((s) => testInput(s, 'answer_submitted')));
    expect(await listing(scheduler, pipeline, 'in_progress')).toHaveLength(40);
    await pipeline.retain(scheduler.now());
    const left = log.sessionsToRefold().length;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(40);
    scheduler.runImmediates();
    expect(log.sessionsToRefold()).toEqual([]);
    expect(await listing(scheduler, pipeline, 'active')).toHaveLength(40);
    // Cut again with the slices left waiting: the listing folds the rest first.
    scheduler.advance(1_000);
    await publish(sessions.map((s) => testInput(s, 'quiz_completed')));
    expect(await listing(scheduler, pipeline, 'completed')).toHaveLength(40);
    scheduler.advance(1_000);
    await publish(sessions.map((s) => testInput(s, 'answer_submitted')));
    expect(await listing(scheduler, pipeline, 'completed')).toHaveLength(40);
    await pipeline.retain(scheduler.now() - 500);
    expect(log.sessionsToRefold().length).toBeGreaterThan(0);
    // The listing folds the rest in its own slices, then reads its rows: it is not answered while any is left.
    const listing2 = pipeline.sessionList('active', 100);
    let answered = false;
    const listed = listing2.finally(() => (answered = true));
    while (log.sessionsToRefold().length > 0) {
      await microtasks();
      expect(answered).toBe(false);
      scheduler.runImmediates(1);
    }
    scheduler.runImmediates();
    expect(await listed).toHaveLength(40);
  });

  it('folds a long session a delete cut in bounded slices before reading its rows, serving reads between them', async () => {
    // A monotonic clock that moves 1 ms each time it is read: a 5 ms listing slice ends within a few pages.
    const scheduler = new ManualScheduler();
    let ticks = 0;
    scheduler.monotonic = () => (ticks += 1);
    const { pipeline, log, publish } = startTestPipeline(scheduler, cleanups);
    await publish([testInput('long', 'quiz_started'), testInput('other', 'quiz_started')]);
    scheduler.advance(1_000);
    await publish(Array.from({ length: 6_000 }, () => testInput('long', 'answer_submitted')));
    await publish([testInput('other', 'answer_submitted')]);
    // In progress until the delete takes their quiz_started.
    expect(await listing(scheduler, pipeline, 'in_progress')).toHaveLength(2);
    // The delete leaves its refold waiting after one page; a listing asked at once folds the rest first.
    await pipeline.retain(scheduler.now());
    const reads = vi.spyOn(log, 'readFrom');
    const records = () => reads.mock.results.reduce((sum, r) => sum + (r.value as unknown[]).length, 0);
    const order: string[] = [];
    const listed = pipeline.sessionList('active', 10).finally(() => order.push('listed'));
    const perSlice = [records()];
    while (scheduler.pendingImmediates > 0) {
      reads.mockClear();
      await microtasks();
      // Between two slices the supervisor answers a read of a session not cut.
      expect(await pipeline.sessionView('other')).toMatchObject({ status: 'active', event_count: 1 });
      reads.mockClear();
      scheduler.runImmediates(1);
      perSlice.push(records());
    }
    await microtasks();
    expect(order).toEqual(['listed']);
    // No slice read the rest of the session (5,500 records), a page of 500 per clock reading and 6 readings a slice:
    // six pages; the last five and `other`; then the view, hydrated from the refold's snapshot (its 256-record probe).
    expect(perSlice).toEqual([3_000, 2_501, 256]);
    expect((await listed).map((v) => [v.session_id, v.status, v.event_count])).toEqual([
      ['other', 'active', 1],
      ['long', 'active', 6_000],
    ]);
  });

  it('keeps every session a delete cut into across a crash before their refold, rows the delete dropped too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'listing-crash-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const scheduler = new ManualScheduler();
    let ticks = 0;
    scheduler.monotonic = () => (ticks += 0.2);
    const log = openTestLog(scheduler, cleanups, '', dir);
    const { pipeline, publish } = startTestPipeline(scheduler, cleanups, {}, '', log);
    const sessions = Array.from({ length: 40 }, (_, i) => `s${i}`);
    await publish(sessions.map((s) => testInput(s, 'session_created')));
    expect(await listing(scheduler, pipeline)).toHaveLength(40);
    scheduler.advance(1_000);
    // Not folded yet: each row still holds its session_created, which the delete removes, and the row with it.
    await publish(sessions.map((s) => testInput(s, 'answer_submitted')));
    await pipeline.retain(scheduler.now());
    // A read saves a row and the high-water (the head) before the slices finish; then the process dies.
    await pipeline.sessionView('s0');
    log.close();
    const restarted = startTestPipeline(scheduler, cleanups, {}, '', openTestLog(scheduler, cleanups, '', dir));
    const listed = await listing(scheduler, restarted.pipeline);
    expect(listed.map((v) => [v.status, v.event_count])).toEqual(sessions.map(() => ['active', 1]));
    expect(listed.map((v) => v.session_id).sort()).toEqual([...sessions].sort());
  });

  it('does not fold the records of a commit a delete removed before the commit was routed', async () => {
    const scheduler = new ManualScheduler();
    const { pipeline, publish } = startTestPipeline(scheduler, cleanups);
    await publish([testInput('a', 'quiz_started')]);
    const outcomes: unknown[] = [];
    pipeline.submit([testInput('b', 'quiz_started'), testInput('a', 'answer_submitted')], (o) => outcomes.push(o));
    // Committed now; routed to the sessions only after the microtasks below, so after the delete.
    scheduler.runImmediates();
    expect(await pipeline.retain(undefined)).toBe(3);
    for (let i = 0; i < 10 && outcomes.length === 0; i++) await Promise.resolve();
    expect(outcomes).toHaveLength(1);
    expect(await pipeline.sessionView('b')).toBeNull();
    expect(await pipeline.sessionList(undefined, 10)).toEqual([]);
    await publish([testInput('a', 'answer_submitted')]);
    expect((await pipeline.sessionList(undefined, 10)).map((v) => [v.session_id, v.status, v.event_count])).toEqual([
      ['a', 'active', 1],
    ]);
  });
});

/** Let promise callbacks run (an answer settles its promise in one). */
const microtasks = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('GET /sessions in bounded slices after a restart (manual scheduler)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  const SIXTY = Array.from({ length: 60 }, (_, i) => `s${i}`);

  /** A log of 60 sessions on disk, and what a pipeline started on it lists in one go (its clock never moves). */
  async function restartedLog() {
    const dir = mkdtempSync(join(tmpdir(), 'listing-sliced-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = new ManualScheduler();
    const log = openTestLog(first, cleanups, '', dir);
    const { publish } = startTestPipeline(first, cleanups, {}, '', log);
    for (const type of ['session_created', 'quiz_started', 'answer_submitted'] as const)
      await publish(SIXTY.map((s) => testInput(s, type)));
    log.close();
    const oneShot = new ManualScheduler();
    const oneShotLog = openTestLog(oneShot, cleanups, '', dir);
    const expected = await startTestPipeline(oneShot, cleanups, {}, '', oneShotLog).pipeline.sessionList(
      undefined,
      100,
    );
    expect(oneShot.pendingImmediates).toBe(0);
    oneShotLog.close();
    return { dir, expected };
  }

  /** A pipeline restarted on `dir` whose monotonic clock moves 1 ms each time it is read: 5 ms slices end early. */
  function restart(dir: string) {
    const scheduler = new ManualScheduler();
    let ticks = 0;
    scheduler.monotonic = () => (ticks += 1);
    const log = openTestLog(scheduler, cleanups, '', dir);
    return { scheduler, ...startTestPipeline(scheduler, cleanups, {}, '', log) };
  }

  it('answers a session read and a publish between its slices, then the listing one built in one go gives', async () => {
    const { dir, expected } = await restartedLog();
    expect(expected.map((v) => v.session_id)).toEqual([...SIXTY].reverse());
    const { scheduler, pipeline } = restart(dir);
    const order: string[] = [];
    const listed = pipeline.sessionList(undefined, 100).finally(() => order.push('listed'));
    pipeline.submit([testInput('late', 'session_created')], () => order.push('published'));
    let slices = 1;
    while (scheduler.pendingImmediates > 0) {
      await microtasks();
      expect(order).not.toContain('listed');
      // Between two slices the supervisor answers a read of a session not in memory yet.
      expect(await pipeline.sessionView(SIXTY[slices]!)).toMatchObject({ status: 'in_progress', event_count: 3 });
      scheduler.runImmediates(1);
      slices++;
    }
    await microtasks();
    expect(slices).toBeGreaterThan(5);
    expect(order).toEqual(['published', 'listed']);
    // The rows were read at the start: `late`, published meanwhile, is not in this listing.
    expect(await listed).toEqual(expected);
  });

  it('hydrates a long session with no snapshot a few pages per slice, answering reads between them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'listing-long-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = new ManualScheduler();
    const log = openTestLog(first, cleanups, '', dir);
    const { publish } = startTestPipeline(first, cleanups, {}, '', log);
    await publish([testInput('long', 'quiz_started'), ...Array.from({ length: 5_999 }, () => testInput('long'))]);
    await publish([testInput('short', 'session_created')]);
    // A crash: no shutdown, so no snapshot of `long` was taken (one is every 10,000 records, or at passivation).
    log.close();
    const { scheduler, pipeline, log: reopened } = restart(dir);
    const reads = vi.spyOn(reopened, 'readFrom');
    const records = () => {
      const read = reads.mock.results.reduce((sum, r) => sum + (r.value as unknown[]).length, 0);
      reads.mockClear();
      return read;
    };
    const listed = pipeline.sessionList(undefined, 10);
    const perSlice = [records()];
    while (scheduler.pendingImmediates > 0) {
      await microtasks();
      expect(await pipeline.sessionView('short')).toMatchObject({ status: 'created', event_count: 1 });
      records();
      scheduler.runImmediates(1);
      perSlice.push(records());
    }
    // A 5 ms slice on a clock that moves 1 ms a reading: the 256-record probe and a few pages of 500, never all.
    expect(Math.max(...perSlice)).toBeLessThanOrEqual(3_256);
    // Each record read once (no page read again from the start): long's 6,000 and short's one.
    expect(perSlice.reduce((a, b) => a + b, 0)).toBe(6_001);
    expect((await listed).map((v) => [v.session_id, v.status, v.event_count])).toEqual([
      ['short', 'created', 1],
      ['long', 'in_progress', 6_000],
    ]);
  });

  it("goes on with a long session's fold while records are routed between its slices", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'listing-traffic-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = new ManualScheduler();
    const log = openTestLog(first, cleanups, '', dir);
    const { publish } = startTestPipeline(first, cleanups, {}, '', log);
    await publish([testInput('long', 'quiz_started'), ...Array.from({ length: 8_999 }, () => testInput('long'))]);
    log.close(); // a crash: no snapshot of `long`
    const { scheduler, pipeline } = restart(dir);
    const listed = pipeline.sessionList(undefined, 10);
    let submitted = 0;
    // Bounded: begun again at each slice (its end moved by every commit routed), the fold never ended.
    for (let slice = 0; slice < 50 && scheduler.pendingImmediates > 0; slice++) {
      pipeline.submit([testInput(`other${submitted++}`, 'session_created')], () => undefined);
      await microtasks();
      scheduler.runImmediates(1);
    }
    expect(scheduler.pendingImmediates).toBe(0);
    const views = await listed;
    expect(views.find((v) => v.session_id === 'long')).toMatchObject({ status: 'in_progress', event_count: 9_000 });
  });

  it('runs two listings asked together one after the other, each with its own filter and bound', async () => {
    const { dir, expected } = await restartedLog();
    const { scheduler, pipeline } = restart(dir);
    const order: string[] = [];
    const all = pipeline.sessionList(undefined, 100).finally(() => order.push('all'));
    const some = pipeline.sessionList('in_progress', 7).finally(() => order.push('some'));
    const none = pipeline.sessionList('completed', 7).finally(() => order.push('none'));
    await microtasks();
    expect(order).toEqual([]);
    scheduler.runImmediates();
    expect(await all).toEqual(expected);
    expect(await some).toEqual(expected.slice(0, 7));
    expect(await none).toEqual([]);
    expect(order).toEqual(['all', 'some', 'none']);
  });

  it('shares one job among identical listings that wait together, each answered with its own bound', async () => {
    const { dir, expected } = await restartedLog();
    const { scheduler, pipeline, log } = restart(dir);
    const reads = vi.spyOn(log, 'listSessions');
    const order: string[] = [];
    // A listing of another status under way first, so the others wait for their turn together.
    const other = pipeline.sessionList('in_progress', 100).finally(() => order.push('other'));
    const same = Array.from({ length: 10 }, () => pipeline.sessionList(undefined, 100));
    const last = Promise.all(same).finally(() => order.push('same'));
    const small = pipeline.sessionList(undefined, 7).finally(() => order.push('small'));
    scheduler.runImmediates();
    expect(await other).toEqual(expected);
    for (const answer of same) expect(await answer).toEqual(expected);
    expect(await small).toEqual(expected.slice(0, 7));
    await last;
    // One read of rows for the twelve: the largest bound's, whose first seven views answer the small one first.
    expect(reads.mock.calls).toEqual([
      ['in_progress', 100],
      [undefined, 100],
    ]);
    expect(order).toEqual(['other', 'small', 'same']);
  });

  it('gives a listing asked after a job read its rows a job of its own, which sees what was published meanwhile', async () => {
    const { dir, expected } = await restartedLog();
    const { scheduler, pipeline } = restart(dir);
    const order: string[] = [];
    const first = pipeline.sessionList(undefined, 100).finally(() => order.push('first'));
    pipeline.submit([testInput('late', 'session_created')], () => order.push('published'));
    while (!order.includes('published')) {
      await microtasks();
      scheduler.runImmediates(1);
    }
    expect(order).toEqual(['published']);
    const second = pipeline.sessionList(undefined, 100);
    scheduler.runImmediates();
    expect(await first).toEqual(expected);
    expect((await second).map((v) => v.session_id)).toEqual(['late', ...expected.map((v) => v.session_id)]);
  });

  it('fails a listing under way when the pipeline shuts down, and refuses listings after', async () => {
    const { dir } = await restartedLog();
    const { scheduler, pipeline } = restart(dir);
    const listed = pipeline.sessionList(undefined, 100).catch((error: unknown) => error);
    expect(scheduler.pendingImmediates).toBeGreaterThan(0);
    await pipeline.shutdown();
    expect(await listed).toBeInstanceOf(SupervisorUnavailableError);
    // The slice left waiting finds the listing gone, and nothing else answers it.
    scheduler.runImmediates();
    await expect(pipeline.sessionList(undefined, 100)).rejects.toThrow('server shutting down; retry shortly');
  });
});
