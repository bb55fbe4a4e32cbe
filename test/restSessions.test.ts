import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../src/actors/logger.js';
import { SNAPSHOT_MIN_EVENTS } from '../src/actors/sessionSnapshot.js';
import { type EventRecord, event, getJson, ManualClock, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);

interface SessionView {
  session_id: string;
  status: string;
  user_ids: string[];
  user_count: number;
  event_count: number;
  counts: Record<string, number>;
  first_offset: number | null;
  last_offset: number | null;
  started_at: string | null;
  completed_at: string | null;
  quiz_id: string | null;
}

const SESSION_KEYS = [
  'session_id',
  'status',
  'user_ids',
  'user_count',
  'event_count',
  'counts',
  'first_offset',
  'last_offset',
  'started_at',
  'completed_at',
  'quiz_id',
];

describe('GET /api/v1/sessions/{session_id}', () => {
  let t: TestServer;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(T0);
    t = await startTestServer({}, { now: clock.now });
  });
  afterEach(async () => {
    await t.stop();
  });

  const session = (id: string, prefix = '/api/v1') =>
    getJson<SessionView>(t.base, `${prefix}/sessions/${encodeURIComponent(id)}`);
  const statusOf = async (id: string) => (await session(id)).body.status;

  it('refolds from what retention left: deleted events no longer count', async () => {
    const s = 'session-retention';
    await publish(t.base, [
      event({ event_type: 'quiz_started', session_id: s }),
      event({ event_type: 'answer_submitted', session_id: s }),
    ]);
    clock.advance(60_000);
    const kept = await publish(t.base, event({ event_type: 'answer_submitted', session_id: s }));
    expect((await session(s)).body.event_count).toBe(3);
    const cutoff = new Date(T0 + 30_000).toISOString();
    const deleted = await fetch(`${t.base}/events?before=${cutoff}`, { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ deleted: 2 });
    const after = (await session(s)).body;
    expect(after.event_count).toBe(1);
    expect(after.first_offset).toBe((kept.body as EventRecord).offset);
    expect(after.counts).toEqual({ answer_submitted: 1 });
  });

  it('answers 404 with a detail for a session the log has never seen', async () => {
    await publish(t.base, event({ session_id: 'other' }));
    const res = await session('never-seen');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: expect.any(String) });
  });

  it('folds a whole quiz into one view', async () => {
    const s = 'session-123';
    const created = await publish(
      t.base,
      event({ event_type: 'session_created', session_id: s, user_id: 'student-456' }),
    );
    clock.advance(1_000);
    const started = await publish(
      t.base,
      event({ event_type: 'quiz_started', session_id: s, user_id: 'student-456', payload: { quiz_id: 'demo-quiz' } }),
    );
    clock.advance(1_000);
    await publish(t.base, [
      event({ event_type: 'answer_submitted', session_id: s, user_id: 'student-456' }),
      event({ event_type: 'answer_submitted', session_id: s, user_id: 'student-789' }),
      event({ event_type: 'timer_tick', session_id: 'another-session' }),
    ]);
    clock.advance(1_000);
    const completed = await publish(
      t.base,
      event({ event_type: 'quiz_completed', session_id: s, user_id: 'student-456' }),
    );

    const res = await session(s);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([...SESSION_KEYS].sort());
    expect(res.body).toEqual({
      session_id: s,
      status: 'completed',
      user_ids: ['student-456', 'student-789'],
      user_count: 2,
      event_count: 5,
      counts: { session_created: 1, quiz_started: 1, answer_submitted: 2, quiz_completed: 1 },
      first_offset: created.body.offset,
      last_offset: completed.body.offset,
      started_at: started.body.timestamp,
      completed_at: completed.body.timestamp,
      quiz_id: 'demo-quiz',
    });
  });

  it('moves through created, in_progress and completed as the lifecycle events arrive', async () => {
    await publish(t.base, event({ event_type: 'session_created', session_id: 's' }));
    expect(await statusOf('s')).toBe('created');
    expect((await session('s')).body).toMatchObject({ started_at: null, completed_at: null, quiz_id: null });
    await publish(t.base, event({ event_type: 'quiz_started', session_id: 's' }));
    expect(await statusOf('s')).toBe('in_progress');
    await publish(t.base, event({ event_type: 'answer_submitted', session_id: 's' }));
    expect(await statusOf('s')).toBe('in_progress');
    await publish(t.base, event({ event_type: 'quiz_completed', session_id: 's' }));
    expect(await statusOf('s')).toBe('completed');
    await publish(t.base, event({ event_type: 'session_ended', session_id: 's' }));
    expect(await statusOf('s')).toBe('ended');
  });

  it('ends a quiz that runs out of time as timed_out, with completed_at set', async () => {
    await publish(t.base, event({ event_type: 'quiz_started', session_id: 's' }));
    clock.advance(90_000);
    const timeout = await publish(t.base, event({ event_type: 'quiz_timeout', session_id: 's' }));
    const res = await session('s');
    expect(res.body).toMatchObject({ status: 'timed_out', completed_at: timeout.body.timestamp });
  });

  it('folds lifecycle events published in one array in order', async () => {
    await publish(t.base, [
      event({ event_type: 'session_created', session_id: 's' }),
      event({ event_type: 'quiz_started', session_id: 's', payload: { quiz_id: 42 } }),
      event({ event_type: 'quiz_completed', session_id: 's' }),
    ]);
    expect((await session('s')).body).toMatchObject({ status: 'completed', event_count: 3, quiz_id: '42' });
  });

  it('keeps the latest quiz_id from any payload', async () => {
    await publish(t.base, event({ event_type: 'quiz_started', session_id: 's', payload: { quiz_id: 'q1' } }));
    await publish(t.base, event({ event_type: 'answer_submitted', session_id: 's', payload: { answer: 'a' } }));
    expect((await session('s')).body.quiz_id).toBe('q1');
    await publish(t.base, event({ event_type: 'quiz_started', session_id: 's', payload: { quiz_id: 'q2' } }));
    expect((await session('s')).body.quiz_id).toBe('q2');
  });

  it('keeps the latest string or number quiz_id when a newer one in the same commit is null or nested', async () => {
    // The fold queue keeps only the newest payload naming quiz_id; these make it read the older ones back from the log.
    await publish(t.base, [
      event({ event_type: 'quiz_started', session_id: 's', payload: { quiz_id: 'q1' } }),
      event({ event_type: 'answer_submitted', session_id: 's', payload: { quiz_id: 'q2' } }),
      event({ event_type: 'answer_submitted', session_id: 's', payload: { quiz_id: null } }),
    ]);
    expect((await session('s')).body).toMatchObject({ event_count: 3, quiz_id: 'q2' });
    await publish(t.base, [
      event({ event_type: 'answer_submitted', session_id: 's', payload: { quiz_id: 7 } }),
      event({ event_type: 'answer_submitted', session_id: 's', payload: { detail: { quiz_id: 'nested' } } }),
    ]);
    expect((await session('s')).body).toMatchObject({ event_count: 5, quiz_id: '7' });
  });

  it('counts an idempotent retry once', async () => {
    const input = event({ id: 'retry', event_type: 'answer_submitted', session_id: 's' });
    expect((await publish(t.base, input)).status).toBe(201);
    expect((await publish(t.base, input)).status).toBe(200);
    expect((await session('s')).body).toMatchObject({ event_count: 1, counts: { answer_submitted: 1 } });
  });

  it('serves the same view unversioned, and for a session id that needs escaping', async () => {
    const id = 'quiz session/1 ü';
    await publish(t.base, event({ event_type: 'session_created', session_id: id }));
    const versioned = await session(id);
    const unversioned = await session(id, '');
    expect(versioned.status).toBe(200);
    expect(versioned.body.session_id).toBe(id);
    expect(unversioned.body).toEqual(versioned.body);
  });

  it('survives a restart: rebuilt from the log', async () => {
    await publish(t.base, [
      event({ event_type: 'session_created', session_id: 'a', user_id: 'u1' }),
      event({ event_type: 'quiz_started', session_id: 'a', user_id: 'u1', payload: { quiz_id: 'qz' } }),
      event({ event_type: 'answer_submitted', session_id: 'a', user_id: 'u2' }),
      event({ event_type: 'session_created', session_id: 'b' }),
    ]);
    clock.advance(1_000);
    await publish(t.base, event({ event_type: 'quiz_timeout', session_id: 'a' }));
    const before = (await session('a')).body;
    expect(before.status).toBe('timed_out');

    await t.close();
    t = await startTestServer({}, { now: clock.now }, t.dir);
    const after = await session('a');
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before);
    expect(await statusOf('b')).toBe('created');

    // Live events keep folding into the rebuilt view.
    await publish(t.base, event({ event_type: 'session_ended', session_id: 'a' }));
    expect((await session('a')).body).toMatchObject({ status: 'ended', event_count: before.event_count + 1 });
  });

  it('after a restart, serves a long session from its snapshot, and from the log when the snapshot is unreadable', async () => {
    const many = Array.from({ length: SNAPSHOT_MIN_EVENTS + 44 }, (_, i) =>
      event({ event_type: i === 0 ? 'quiz_started' : 'answer_submitted', session_id: 'long', user_id: `u${i % 7}` }),
    );
    await publish(t.base, many.slice(0, 150));
    await publish(t.base, [...many.slice(150), event({ event_type: 'answer_submitted', session_id: 'short' })]);
    const before = (await session('long')).body;
    expect(before.event_count).toBe(many.length);
    const snapshotOf = (id: string) => {
      const db = new Database(join(t.dir, 'events.db'), { readonly: true });
      try {
        return db.prepare('SELECT snapshot FROM session_snapshot WHERE session_id = ?').pluck().get(id);
      } finally {
        db.close();
      }
    };
    // Stopping passivates every session actor: the long one is snapshotted, the short one is not worth it.
    await t.close();
    expect(JSON.parse(String(snapshotOf('long')))).toMatchObject({
      status: 'in_progress',
      context: { event_count: 300 },
    });
    expect(snapshotOf('short')).toBeUndefined();

    const setSnapshot = (sql: string) => {
      const side = new Database(join(t.dir, 'events.db'));
      side.prepare(`UPDATE session_snapshot SET snapshot = ${sql} WHERE session_id = 'long'`).run();
      side.close();
    };
    // Planting a user in the snapshot shows that the view starts from it instead of folding the whole log.
    setSnapshot(`json_insert(snapshot, '$.context.user_ids[#]', 'planted')`);
    const warnings: string[] = [];
    const logger: Logger = { info() {}, warn: (_obj, msg) => warnings.push(msg ?? ''), error() {} };
    t = await startTestServer({}, { now: clock.now, logger }, t.dir);
    expect((await session('long')).body).toEqual({
      ...before,
      user_ids: [...before.user_ids, 'planted'],
      user_count: before.user_count + 1,
    });
    // The records after the snapshot fold on top of it.
    await publish(t.base, event({ event_type: 'quiz_completed', session_id: 'long', user_id: 'u1' }));
    const completed = (await session('long')).body;
    expect(completed).toMatchObject({ status: 'completed', event_count: before.event_count + 1 });
    await t.close();
    expect(warnings).toEqual([]);

    // A snapshot is derived state: a damaged one is named in the log, and the session is folded from the log.
    setSnapshot(`'{"version":1,'`);
    t = await startTestServer({}, { now: clock.now, logger }, t.dir);
    expect((await session('long')).body).toEqual({
      ...completed,
      user_ids: before.user_ids,
      user_count: before.user_count,
    });
    expect(warnings).toEqual(['session snapshot not used; folding from the log']);
  });
});

describe('GET /api/v1/sessions', () => {
  let t: TestServer;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(T0);
    t = await startTestServer({}, { now: clock.now });
    await publish(t.base, event({ event_type: 'session_created', session_id: 'created-1' }));
    await publish(t.base, [
      event({ event_type: 'session_created', session_id: 'done-1' }),
      event({ event_type: 'quiz_started', session_id: 'done-1' }),
    ]);
    await publish(t.base, event({ event_type: 'quiz_started', session_id: 'running-1' }));
    await publish(t.base, event({ event_type: 'quiz_completed', session_id: 'done-1' }));
    await publish(t.base, event({ event_type: 'quiz_started', session_id: 'running-2' }));
    await publish(t.base, [
      event({ event_type: 'quiz_started', session_id: 'late-1' }),
      event({ event_type: 'quiz_timeout', session_id: 'late-1' }),
    ]);
    await publish(t.base, event({ event_type: 'answer_submitted', session_id: null }));
  });
  afterEach(async () => {
    await t.stop();
  });

  const list = (query = '', prefix = '/api/v1') => getJson<SessionView[]>(t.base, `${prefix}/sessions${query}`);
  const ids = (views: SessionView[]) => views.map((v) => v.session_id).sort();

  it('lists every session with its full view', async () => {
    const res = await list();
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(['created-1', 'done-1', 'late-1', 'running-1', 'running-2']);
    for (const view of res.body) {
      expect(Object.keys(view).sort()).toEqual([...SESSION_KEYS].sort());
      expect((await getJson<SessionView>(t.base, `/api/v1/sessions/${view.session_id}`)).body).toEqual(view);
    }
  });

  it.each([
    ['created', ['created-1']],
    ['in_progress', ['running-1', 'running-2']],
    ['completed', ['done-1']],
    ['timed_out', ['late-1']],
    ['ended', []],
  ])('filters by status=%s', async (status, expected) => {
    const res = await list(`?status=${status}`);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(expected);
    for (const view of res.body) expect(view.status).toBe(status);
  });

  it('follows a status change', async () => {
    await publish(t.base, event({ event_type: 'quiz_completed', session_id: 'running-1' }));
    expect(ids((await list('?status=in_progress')).body)).toEqual(['running-2']);
    expect(ids((await list('?status=completed')).body)).toEqual(['done-1', 'running-1']);
  });

  it('honours limit', async () => {
    const res = await list('?limit=2');
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(2);
    expect((await list('?status=in_progress&limit=1')).body).toHaveLength(1);
  });

  it('lists the first 20 users of a session with more, and counts them all; the session itself has every one', async () => {
    const users = Array.from({ length: 25 }, (_, i) => `student-${String(i).padStart(2, '0')}`);
    await publish(
      t.base,
      users.map((user_id) => event({ event_type: 'answer_submitted', session_id: 'crowded', user_id })),
    );
    const listed = (await list()).body.find((v) => v.session_id === 'crowded');
    expect(listed?.user_ids).toEqual(users.slice(0, 20));
    expect(listed?.user_count).toBe(25);
    const whole = (await getJson<SessionView>(t.base, '/api/v1/sessions/crowded')).body;
    expect(whole.user_ids).toEqual(users);
    expect(whole).toEqual({ ...listed, user_ids: users });
  });

  it('serves the unversioned path too', async () => {
    const res = await list('?status=completed', '');
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(['done-1']);
  });

  it.each(['?status=finished', '?limit=0', '?limit=1001', '?limit=ten'])('rejects %s with 422', async (query) => {
    const res = await list(query);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [expect.objectContaining({ loc: expect.any(Array), msg: expect.any(String) })],
    });
  });

  it('lists the same sessions and statuses after a restart', async () => {
    const before = (await list()).body;
    await t.close();
    t = await startTestServer({}, { now: clock.now }, t.dir);
    const after = (await list()).body;
    expect(ids(after)).toEqual(ids(before));
    expect(ids((await list('?status=in_progress')).body)).toEqual(['running-1', 'running-2']);
    const byId = (views: SessionView[]) => Object.fromEntries(views.map((v) => [v.session_id, v]));
    expect(byId(after)).toEqual(byId(before));
  });

  it('lists by last record, newest first, not moved by reads, and the same after a restart', async () => {
    // A listing folds and saves every session first; the answer after it must still move running-1 up.
    await list();
    await publish(t.base, event({ event_type: 'answer_submitted', session_id: 'running-1' }));
    await getJson<SessionView>(t.base, '/api/v1/sessions/created-1');
    const order = ['running-1', 'late-1', 'running-2', 'done-1', 'created-1'];
    expect((await list()).body.map((v) => v.session_id)).toEqual(order);
    expect((await list('?limit=2')).body.map((v) => v.session_id)).toEqual(order.slice(0, 2));
    await t.close();
    t = await startTestServer({}, { now: clock.now }, t.dir);
    expect((await list()).body.map((v) => v.session_id)).toEqual(order);
  });

  it('after retention, lists only sessions with records left, by the status folded from what is left', async () => {
    await list();
    clock.advance(60_000);
    for (let i = 0; i < 3; i++)
      await publish(t.base, event({ event_type: 'answer_submitted', session_id: 'running-1' }));
    await list();
    const cutoff = new Date(T0 + 30_000).toISOString();
    const deleted = await fetch(`${t.base}/events?before=${cutoff}`, { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ deleted: 9 });
    expect((await list('?limit=1')).body.map((v) => v.session_id)).toEqual(['running-1']);
    expect(ids((await list()).body)).toEqual(['running-1']);
    // Its quiz_started is gone: folded from what is left, it has no lifecycle record.
    expect((await list('?status=active')).body.map((v) => [v.session_id, v.event_count])).toEqual([['running-1', 3]]);
    expect((await list('?status=in_progress')).body).toEqual([]);
    await t.close();
    t = await startTestServer({}, { now: clock.now }, t.dir);
    expect(ids((await list('?status=active')).body)).toEqual(['running-1']);
  });

  it('ignores events without a session', async () => {
    const res = await list();
    expect(res.body.every((v) => v.session_id !== null && v.session_id !== '')).toBe(true);
    const all = await getJson<EventRecord[]>(t.base, '/events?limit=1000');
    expect(all.body.filter((e) => e.session_id === null)).toHaveLength(1);
  });
});
