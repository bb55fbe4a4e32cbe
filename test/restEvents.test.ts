import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../src/protocol/eventTypes.js';
import {
  type DetailItem,
  type EventRecord,
  event,
  getJson,
  ISO_UTC,
  ManualClock,
  publish,
  queryEvents,
  RECORD_KEYS,
  SERVER_ID,
} from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const PREFIXES = ['', '/api/v1'] as const;
const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);

/** The 422 detail list of a response, asserting its FastAPI shape. */
function detailOf(body: unknown): DetailItem[] {
  expect(body).toEqual({ detail: expect.any(Array) });
  const detail = (body as { detail: DetailItem[] }).detail;
  expect(detail.length).toBeGreaterThan(0);
  for (const item of detail) {
    // Hint: pydantic's `input` and `ctx` come with a rule the old service's models had (see detailEntry.test.ts).
    const { input: _input, ctx, ...rest } = item;
    expect(rest).toEqual({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) });
    expect(ctx === undefined || typeof ctx === 'object').toBe(true);
  }
  return detail;
}

async function headOffset(base: string): Promise<number> {
  const res = await getJson<{ head_offset: number }>(base, '/stats');
  return res.body.head_offset;
}

describe.each(PREFIXES)('POST %s/events', (prefix) => {
  let t: TestServer;
  let base: string;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    t = await startTestServer({}, { now: clock.now });
    base = t.base + prefix;
  });
  afterAll(async () => {
    await t.stop();
  });

  it('answers 201 with the full record, assigning id, offset and timestamp', async () => {
    const res = await publish(
      base,
      event({ session_id: 's-1', user_id: 'u-1', payload: { question: 3, answer: 'b' } }),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(Object.keys(res.body)).toEqual(RECORD_KEYS);
    expect(res.body).toEqual({
      id: expect.stringMatching(SERVER_ID),
      offset: expect.any(Number),
      event_type: 'answer_submitted',
      source: 'quiz_engine',
      session_id: 's-1',
      user_id: 'u-1',
      payload: { question: 3, answer: 'b' },
      timestamp: new Date(T0).toISOString(),
    });
    expect(Number.isInteger(res.body.offset)).toBe(true);
    expect(res.body.timestamp).toMatch(ISO_UTC);
  });

  it('defaults session_id and user_id to null and payload to {}', async () => {
    const res = await publish(base, { event_type: 'timer_tick', source: 'timer.svc-1' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ session_id: null, user_id: null, payload: {} });
  });

  it('ignores client-supplied offset and timestamp', async () => {
    const res = await publish(base, event({ offset: 999_999, timestamp: '1999-01-01T00:00:00Z' }));
    expect(res.status).toBe(201);
    expect(res.body.offset).not.toBe(999_999);
    expect(res.body.timestamp).toBe(clock.iso());
  });

  it('gives consecutive offsets and distinct ids', async () => {
    const a = await publish(base, event());
    const b = await publish(base, event());
    expect(b.body.offset).toBe(a.body.offset + 1);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('accepts every one of the 15 event types', async () => {
    const res = await publish<EventRecord[]>(
      base,
      EVENT_TYPES.map((event_type) => event({ event_type })),
    );
    expect(res.status).toBe(201);
    expect(res.body.map((r) => r.event_type)).toEqual(EVENT_TYPES);
  });

  it('publishes an array as 201 with one record per element, in order, with consecutive offsets', async () => {
    const before = await headOffset(base);
    const res = await publish<EventRecord[]>(base, [
      event({ payload: { i: 0 } }),
      event({ payload: { i: 1 } }),
      event({ payload: { i: 2 } }),
    ]);
    expect(res.status).toBe(201);
    expect(res.body).toHaveLength(3);
    expect(res.body.map((r) => r.payload.i)).toEqual([0, 1, 2]);
    expect(res.body.map((r) => r.offset)).toEqual([before + 1, before + 2, before + 3]);
    for (const record of res.body) expect(Object.keys(record)).toEqual(RECORD_KEYS);
  });

  it('rejects an array with one invalid element with 422 and appends nothing', async () => {
    const before = await headOffset(base);
    const res = await publish(base, [event({ payload: { ok: 1 } }), event({ event_type: 'bogus' }), event()]);
    expect(res.status).toBe(422);
    const detail = detailOf(res.body);
    expect(detail).toHaveLength(1);
    expect(detail[0]!.loc).toEqual(['body', 1, 'event_type']);
    expect(detail[0]!.msg).toContain('event_type');
    expect(await headOffset(base)).toBe(before);
    expect(await queryEvents(base, { after_offset: before })).toEqual([]);
  });

  it('names a body that is not an object by its place: loc ["body"], or ["body", i] for an element of an array', async () => {
    for (const input of ['hi', 42]) {
      const res = await publish(base, JSON.stringify(input));
      expect(res.status).toBe(422);
      expect(detailOf(res.body)).toEqual([
        { type: 'model_attributes_type', loc: ['body'], msg: 'body: event must be a JSON object', input },
      ]);
    }
    // Hint: FastAPI reads a JSON null body as no body.
    const nulled = await publish(base, 'null');
    expect(detailOf(nulled.body)).toEqual([
      { type: 'missing', loc: ['body'], msg: 'body: event must be a JSON object', input: null },
    ]);
    const res = await publish(base, `[${JSON.stringify(event())}, 7]`);
    expect(res.status).toBe(422);
    // Before: msg `[1].body: event must be a JSON object`.
    expect(detailOf(res.body)).toEqual([
      { type: 'model_attributes_type', loc: ['body', 1], msg: '[1]: event must be a JSON object', input: 7 },
    ]);
  });

  it('names each field once, says a value that is not a string must be one, and refuses an envelope plainly', async () => {
    const notString = expect.stringMatching(/^event_type: must be a string; allowed: quiz_started, /);
    for (const [body, loc, msg, input] of [
      // Before: `session_id: session_id must be a string`, `unknown event type 5`, `unknown event type null`.
      [{ ...event(), session_id: 5 }, ['body', 'session_id'], 'session_id: must be a string', 5],
      [{ ...event(), user_id: [] }, ['body', 'user_id'], 'user_id: must be a string', []],
      [{ ...event(), event_type: 5 }, ['body', 'event_type'], notString, 5],
      [{ ...event(), event_type: null }, ['body', 'event_type'], notString, null],
      [
        [event(), { ...event(), session_id: false }],
        ['body', 1, 'session_id'],
        '[1].session_id: must be a string',
        false,
      ],
    ] as const) {
      const res = await publish(base, body);
      expect([res.status, detailOf(res.body)]).toEqual([422, [{ type: 'string_type', loc, msg, input }]]);
    }
    // Before: `event_type: field required; source: field required; events: a batch is a JSON array of events, …`.
    const envelope = await publish(base, { ref: 7, events: [event()] });
    const msg =
      'body: must be one event or a JSON array of events; the {"ref": …, "events": […]} envelope is for /ws/publish';
    expect([envelope.status, detailOf(envelope.body)]).toEqual([422, [{ loc: ['body'], msg, type: 'value_error' }]]);
  });

  it('rejects an unknown event type with 422 naming the value and listing the allowed ones', async () => {
    const res = await publish(base, event({ event_type: 'quiz_exploded' }));
    expect(res.status).toBe(422);
    const [item] = detailOf(res.body);
    expect(item!.loc).toEqual(['body', 'event_type']);
    expect(item!.msg).toContain('quiz_exploded');
    for (const type of EVENT_TYPES) expect(item!.msg).toContain(type);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['101 characters', 'x'.repeat(101)],
    ['a space', 'quiz engine'],
    ['a slash', 'quiz/engine'],
    ['a colon', 'quiz:engine'],
    ['a number', 42],
  ])('rejects a source that is %s with 422 naming source', async (_name, source) => {
    const res = await publish(base, { event_type: 'quiz_started', ...(source === undefined ? {} : { source }) });
    expect(res.status).toBe(422);
    const detail = detailOf(res.body);
    // Hint: one bad value may break several rules (empty breaks both length and pattern); all must name source.
    for (const item of detail) expect(item.loc).toEqual(['body', 'source']);
    expect(detail[0]!.msg).toContain('source');
  });

  it('accepts a 100-character source of letters, digits, "_", "." and "-"', async () => {
    const source = `${'Ab9_.-'.repeat(16)}Zz09`;
    expect(source).toHaveLength(100);
    const res = await publish(base, event({ source }));
    expect(res.status).toBe(201);
    expect(res.body.source).toBe(source);
  });

  it('reports a missing event_type as a required field', async () => {
    const res = await publish(base, { source: 'quiz_engine' });
    expect(res.status).toBe(422);
    const detail = detailOf(res.body);
    expect(detail.map((d) => d.loc)).toEqual([['body', 'event_type']]);
    expect(detail[0]!.msg).toMatch(/event_type.*required/);
  });

  it.each(['session_id', 'user_id'])('accepts a 200-character %s and rejects 201 with 422 naming it', async (field) => {
    const ok = await publish(base, event({ [field]: 'ü'.repeat(200) }));
    expect(ok.status).toBe(201);
    expect(ok.body[field as 'session_id']).toBe('ü'.repeat(200));
    const bad = await publish(base, event({ [field]: 'x'.repeat(201) }));
    expect(bad.status).toBe(422);
    const detail = detailOf(bad.body);
    expect(detail.map((d) => d.loc)).toEqual([['body', field]]);
    expect(detail[0]!.msg).toContain(field);
  });

  it.each([
    ['a string', 'text'],
    ['a number', 3],
    ['an array', [1, 2]],
  ])('rejects a payload that is %s with 422', async (_name, payload) => {
    const res = await publish(base, event({ payload }));
    expect(res.status).toBe(422);
    expect(detailOf(res.body).map((d) => d.loc)).toEqual([['body', 'payload']]);
  });

  it('accepts exactly MAX_PAYLOAD_KEYS (50) payload keys and rejects 51', async () => {
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    const ok = await publish(base, event({ payload: fifty }));
    expect(ok.status).toBe(201);
    expect(ok.body.payload).toEqual(fifty);
    const bad = await publish(base, event({ payload: { ...fifty, k50: 50 } }));
    expect(bad.status).toBe(422);
    const detail = detailOf(bad.body);
    expect(detail[0]!.loc).toEqual(['body', 'payload']);
    expect(detail[0]!.msg).toContain('payload');
    expect(detail[0]!.msg).toContain('51');
  });

  it('accepts a payload of exactly MAX_PAYLOAD_BYTES (65536) serialized and rejects one byte more', async () => {
    // {"k":"…"} is 8 bytes of framing.
    const exact = { k: 'x'.repeat(65_536 - 8) };
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(65_536);
    const ok = await publish(base, event({ payload: exact }));
    expect(ok.status).toBe(201);
    expect(ok.body.payload).toEqual(exact);
    const bad = await publish(base, event({ payload: { k: 'x'.repeat(65_536 - 7) } }));
    expect(bad.status).toBe(422);
    const detail = detailOf(bad.body);
    expect(detail[0]!.loc).toEqual(['body', 'payload']);
    expect(detail[0]!.msg).toContain('65536');
  });

  it('round-trips strings that need escaping, in every string field and the payload', async () => {
    const nasty = 'quote " backslash \\ newline \n tab \t nul \u0000 sep \u2028 astral 😀 combining é </script>';
    const payload = { [nasty]: nasty, nested: { list: [nasty, 1.5, -0.25, 1e21, true, null] }, empty: {} };
    const res = await publish(base, event({ session_id: nasty, user_id: nasty, payload }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ session_id: nasty, user_id: nasty, payload });
    const fetched = await getJson<EventRecord>(base, `/events/${res.body.id}`);
    expect(fetched.body).toEqual(res.body);
    expect(await queryEvents(base, { session_id: nasty })).toEqual([res.body]);
  });

  it('treats null session_id, user_id and payload as absent', async () => {
    const res = await publish(base, event({ session_id: null, user_id: null, payload: null }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ session_id: null, user_id: null, payload: {} });
  });

  it('gives concurrent publishes unique, gap-free offsets', async () => {
    const before = await headOffset(base);
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => publish(base, event({ payload: { i } }))));
    expect(responses.every((r) => r.status === 201)).toBe(true);
    const offsets = responses.map((r) => r.body.offset).sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: 40 }, (_, i) => before + 1 + i));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(40);
  });

  it('reports every bad field of one event at once', async () => {
    const res = await publish(base, { event_type: 'nope', source: '', user_id: 'x'.repeat(201) });
    expect(res.status).toBe(422);
    const fields = detailOf(res.body).map((d) => d.loc[1]);
    expect(new Set(fields)).toEqual(new Set(['event_type', 'source', 'user_id']));
  });

  it.each([
    ['truncated JSON', '{"event_type": "quiz_started", "source":'],
    ['not JSON at all', 'event_type=quiz_started'],
    ['an empty body', ''],
  ])('answers %s with 400 or 422 and a detail, appending nothing', async (_name, body) => {
    const before = await headOffset(base);
    const res = await publish(base, body);
    expect([400, 422]).toContain(res.status);
    expect(res.body).toHaveProperty('detail');
    expect(res.text).not.toMatch(/\n\s+at |\.(ts|js):\d+/);
    expect(await headOffset(base)).toBe(before);
  });

  it.each([
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"quiz_started"'],
  ])('rejects a JSON body that is %s with 422', async (_name, body) => {
    const res = await publish(base, body);
    expect(res.status).toBe(422);
    detailOf(res.body);
  });
});

describe('POST /events with a producer id', () => {
  let t: TestServer;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    t = await startTestServer({}, { now: clock.now });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('uses the producer id as the record id', async () => {
    const res = await publish(t.base, event({ id: 'order:42.a_b-c' }));
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('order:42.a_b-c');
    const fetched = await getJson<EventRecord>(t.base, `/events/${encodeURIComponent('order:42.a_b-c')}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(res.body);
  });

  it('returns the original record with 200 for the same id and content, appending nothing', async () => {
    const input = event({ id: 'retry-1', session_id: 's', payload: { n: 1 } });
    const first = await publish(t.base, input);
    expect(first.status).toBe(201);
    clock.advance(5_000);
    const head = await headOffset(t.base);
    const again = await publish(t.base, input);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await headOffset(t.base)).toBe(head);
    expect(await queryEvents(t.base, { session_id: 's' })).toHaveLength(1);
  });

  it('answers 409 for the same id with different content, appending nothing and keeping the original', async () => {
    const first = await publish(t.base, event({ id: 'retry-2', payload: { n: 1 } }));
    expect(first.status).toBe(201);
    const head = await headOffset(t.base);
    const conflict = await publish(t.base, event({ id: 'retry-2', payload: { n: 2 } }));
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({ detail: expect.stringContaining('retry-2') });
    expect(await headOffset(t.base)).toBe(head);
    const stored = await getJson<EventRecord>(t.base, '/events/retry-2');
    expect(stored.body.payload).toEqual({ n: 1 });
  });

  it.each([
    ['event_type', { event_type: 'answer_changed' }],
    ['source', { source: 'other_source' }],
    ['session_id', { session_id: 'other' }],
    ['user_id', { user_id: 'other' }],
  ])('treats a different %s as different content (409)', async (_field, change) => {
    const id = `retry-field-${Object.keys(change)[0]}`;
    expect((await publish(t.base, event({ id }))).status).toBe(201);
    expect((await publish(t.base, event({ id, ...change }))).status).toBe(409);
  });

  it('answers an array that only repeats known ids with 200 and the original records', async () => {
    const created = await publish<EventRecord[]>(t.base, [event({ id: 'batch-a' }), event({ id: 'batch-b' })]);
    expect(created.status).toBe(201);
    const head = await headOffset(t.base);
    const again = await publish<EventRecord[]>(t.base, [event({ id: 'batch-a' }), event({ id: 'batch-b' })]);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    expect(await headOffset(t.base)).toBe(head);
  });

  it('appends only the new elements of an array that mixes known and new ids', async () => {
    const known = await publish(t.base, event({ id: 'mixed-known' }));
    const head = await headOffset(t.base);
    const res = await publish<EventRecord[]>(t.base, [event({ id: 'mixed-known' }), event({ id: 'mixed-new' })]);
    expect(res.status).toBe(201);
    expect(res.body[0]).toEqual(known.body);
    expect(res.body[1]).toMatchObject({ id: 'mixed-new', offset: head + 1 });
    expect(await headOffset(t.base)).toBe(head + 1);
  });

  it('rejects a whole array with 409 when one element conflicts, appending nothing', async () => {
    expect((await publish(t.base, event({ id: 'conflict-in-batch', payload: { v: 1 } }))).status).toBe(201);
    const head = await headOffset(t.base);
    const res = await publish(t.base, [
      event({ id: 'fresh-in-batch' }),
      event({ id: 'conflict-in-batch', payload: { v: 2 } }),
    ]);
    expect(res.status).toBe(409);
    expect(await headOffset(t.base)).toBe(head);
    expect((await getJson(t.base, '/events/fresh-in-batch')).status).toBe(404);
  });

  it('appends a producer id repeated inside one array once, returning the same record twice', async () => {
    const head = await headOffset(t.base);
    const res = await publish<EventRecord[]>(t.base, [
      event({ id: 'twice' }),
      event({ id: 'other-once' }),
      event({ id: 'twice' }),
    ]);
    expect(res.status).toBe(201);
    expect(res.body[2]).toEqual(res.body[0]);
    expect(res.body.map((r) => r.offset)).toEqual([head + 1, head + 2, head + 1]);
    expect(await headOffset(t.base)).toBe(head + 2);
  });

  it('rejects an array repeating a producer id with different content with 409, appending nothing', async () => {
    const head = await headOffset(t.base);
    const res = await publish(t.base, [
      event({ id: 'twice-diff', payload: { v: 1 } }),
      event({ id: 'other-in-between' }),
      event({ id: 'twice-diff', payload: { v: 2 } }),
    ]);
    expect(res.status).toBe(409);
    // Before: `event id "twice-diff" already exists with different content`, though nothing was stored under it.
    expect(res.body).toEqual({
      detail: 'the batch holds two different events with id "twice-diff" ([0] and [2]); nothing was stored',
    });
    expect(await headOffset(t.base)).toBe(head);
    expect((await getJson(t.base, '/events/twice-diff')).status).toBe(404);
  });

  it.each([
    ['empty', ''],
    ['101 characters', 'x'.repeat(101)],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['a number', 12],
  ])('rejects a producer id that is %s with 422 naming id', async (_name, id) => {
    const res = await publish(t.base, event({ id }));
    expect(res.status).toBe(422);
    for (const item of detailOf(res.body)) expect(item.loc).toEqual(['body', 'id']);
  });
});

describe.each(PREFIXES)('GET %s/events/{id}', (prefix) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('returns the record as published', async () => {
    const published = await publish(
      t.base + prefix,
      event({ session_id: 's', payload: { nested: { a: [1, 'x', null] } } }),
    );
    const res = await getJson<EventRecord>(t.base + prefix, `/events/${published.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(published.body);
  });

  it('answers 404 {detail: "Event not found"} for an unknown id', async () => {
    const res = await getJson(t.base + prefix, '/events/evt_doesnotexist');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Event not found' });
  });
});

describe('GET /events', () => {
  let t: TestServer;
  const clock = new ManualClock(T0);
  let all: EventRecord[];
  beforeAll(async () => {
    t = await startTestServer({}, { now: clock.now });
    // 120 events, one minute apart, cycling through types, sessions, users and sources.
    const types = ['quiz_started', 'answer_submitted', 'question_viewed', 'timer_tick'];
    all = [];
    for (let i = 0; i < 120; i++) {
      const res = await publish(
        t.base,
        event({
          event_type: types[i % 4],
          source: i % 2 === 0 ? 'quiz_engine' : 'timer_service',
          session_id: i % 3 === 0 ? null : `session-${i % 3}`,
          user_id: `user-${i % 5}`,
          payload: { i },
        }),
      );
      expect(res.status).toBe(201);
      all.push(res.body);
      clock.advance(60_000);
    }
  });
  afterAll(async () => {
    await t.stop();
  });

  it('returns the newest 100 by default, newest first', async () => {
    for (const prefix of PREFIXES) {
      const res = await getJson<EventRecord[]>(t.base + prefix, '/events');
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(100);
      expect(res.body).toEqual(all.slice(20).reverse());
    }
  });

  it('orders oldest first with order=asc and newest first with order=desc', async () => {
    expect(await queryEvents(t.base, { order: 'asc', limit: 5 })).toEqual(all.slice(0, 5));
    expect(await queryEvents(t.base, { order: 'desc', limit: 5 })).toEqual(all.slice(-5).reverse());
  });

  it('accepts limit 1 and 1000', async () => {
    expect(await queryEvents(t.base, { limit: 1 })).toEqual([all[119]]);
    expect(await queryEvents(t.base, { limit: 1000 })).toHaveLength(120);
  });

  it.each(['0', '1001', '-5', 'abc', '2.5'])('rejects limit=%s with 422 naming limit', async (limit) => {
    const res = await getJson(t.base, `/events?limit=${limit}`);
    expect(res.status).toBe(422);
    const detail = detailOf(res.body);
    expect(detail[0]!.loc).toEqual(['query', 'limit']);
    expect(detail[0]!.msg).toContain('limit');
  });

  it('rejects an unknown order with 422', async () => {
    const res = await getJson(t.base, '/events?order=sideways');
    expect(res.status).toBe(422);
    expect(detailOf(res.body)[0]!.loc).toEqual(['query', 'order']);
  });

  it('filters by one event type', async () => {
    const got = await queryEvents(t.base, { event_type: 'quiz_started', limit: 1000 });
    expect(got).toEqual(all.filter((e) => e.event_type === 'quiz_started').reverse());
  });

  it('filters by a comma-separated list of event types', async () => {
    const got = await queryEvents(t.base, { event_type: 'quiz_started,timer_tick', limit: 1000 });
    expect(got).toHaveLength(60);
    expect(got).toEqual(all.filter((e) => e.event_type === 'quiz_started' || e.event_type === 'timer_tick').reverse());
  });

  it('rejects an unknown name in the event_type list with 422 naming it and listing the allowed ones', async () => {
    const res = await getJson(t.base, '/events?event_type=quiz_started,quiz_exploded');
    expect(res.status).toBe(422);
    const [item] = detailOf(res.body);
    expect(item!.loc).toEqual(['query', 'event_type']);
    expect(item!.msg).toContain('quiz_exploded');
    for (const type of EVENT_TYPES) expect(item!.msg).toContain(type);
  });

  it('filters by session_id, user_id and source, alone and combined', async () => {
    const matches = (pred: (e: EventRecord) => boolean) => all.filter(pred).reverse();
    expect(await queryEvents(t.base, { session_id: 'session-1', limit: 1000 })).toEqual(
      matches((e) => e.session_id === 'session-1'),
    );
    expect(await queryEvents(t.base, { user_id: 'user-2', limit: 1000 })).toEqual(
      matches((e) => e.user_id === 'user-2'),
    );
    expect(await queryEvents(t.base, { source: 'timer_service', limit: 1000 })).toEqual(
      matches((e) => e.source === 'timer_service'),
    );
    const combined = await queryEvents(t.base, {
      session_id: 'session-2',
      user_id: 'user-0',
      source: 'quiz_engine',
      event_type: 'answer_submitted,quiz_started',
      limit: 1000,
    });
    const expected = matches(
      (e) =>
        e.session_id === 'session-2' &&
        e.user_id === 'user-0' &&
        e.source === 'quiz_engine' &&
        ['answer_submitted', 'quiz_started'].includes(e.event_type),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(combined).toEqual(expected);
  });

  it('returns [] when nothing matches', async () => {
    expect(await queryEvents(t.base, { session_id: 'no-such-session' })).toEqual([]);
    expect(await queryEvents(t.base, { event_type: 'mastery_updated' })).toEqual([]);
  });

  it('pages forward with after_offset and order=asc, visiting every event once', async () => {
    const seen: EventRecord[] = [];
    let cursor = 0;
    for (;;) {
      const page = await queryEvents(t.base, { order: 'asc', limit: 25, after_offset: cursor });
      if (page.length === 0) break;
      expect(page.every((e) => e.offset > cursor)).toBe(true);
      seen.push(...page);
      cursor = page[page.length - 1]!.offset;
    }
    expect(seen).toEqual(all);
  });

  it('pages backward with before_offset (desc), visiting every event once', async () => {
    const seen: EventRecord[] = [];
    let cursor: number | null = null;
    for (;;) {
      const page: EventRecord[] = await queryEvents(t.base, {
        limit: 33,
        ...(cursor === null ? {} : { before_offset: cursor }),
      });
      if (page.length === 0) break;
      if (cursor !== null) expect(page.every((e) => e.offset < cursor!)).toBe(true);
      seen.push(...page);
      cursor = page[page.length - 1]!.offset;
    }
    expect(seen).toEqual([...all].reverse());
  });

  it('returns [] past either end of the log', async () => {
    expect(await queryEvents(t.base, { after_offset: all[119]!.offset })).toEqual([]);
    expect(await queryEvents(t.base, { before_offset: all[0]!.offset })).toEqual([]);
    expect(await queryEvents(t.base, { before_offset: 0 })).toEqual([]);
  });

  it('combines after_offset and before_offset as an open interval', async () => {
    const a = all[10]!.offset;
    const b = all[15]!.offset;
    expect(await queryEvents(t.base, { after_offset: a, before_offset: b, order: 'asc' })).toEqual(all.slice(11, 15));
  });

  it('combines cursors with filters', async () => {
    const after = all[59]!.offset;
    const got = await queryEvents(t.base, { after_offset: after, session_id: 'session-1', order: 'asc', limit: 1000 });
    expect(got).toEqual(all.slice(60).filter((e) => e.session_id === 'session-1'));
  });

  it.each(['after_offset', 'before_offset'])('rejects a negative or non-integer %s with 422', async (name) => {
    for (const value of ['-1', 'x', '1.5']) {
      const res = await getJson(t.base, `/events?${name}=${value}`);
      expect(res.status).toBe(422);
      expect(detailOf(res.body)[0]!.loc).toEqual(['query', name]);
    }
  });

  it('bounds by since, exclusive as in the old service, and until, inclusive, on the server-assigned timestamps', async () => {
    const since = all[10]!.timestamp;
    const until = all[20]!.timestamp;
    expect(since).toBe(new Date(T0 + 10 * 60_000).toISOString());
    expect(await queryEvents(t.base, { since, until, order: 'asc' })).toEqual(all.slice(11, 21));
    expect(await queryEvents(t.base, { since, order: 'asc', limit: 1000 })).toEqual(all.slice(11));
    expect(await queryEvents(t.base, { until, order: 'asc', limit: 1000 })).toEqual(all.slice(0, 21));
    // A poller passing the last timestamp it read gets only what is newer (the old service's `timestamp > since`).
    expect(await queryEvents(t.base, { since: all.at(-1)!.timestamp })).toEqual([]);
  });

  it('treats since/until between two timestamps as the instant they name', async () => {
    const since = new Date(T0 + 10 * 60_000 + 1).toISOString();
    const until = new Date(T0 + 20 * 60_000 - 1).toISOString();
    expect(await queryEvents(t.base, { since, until, order: 'asc' })).toEqual(all.slice(11, 20));
  });

  it('keeps a record stamped in the millisecond a sub-millisecond since/until names only when it is inside', async () => {
    // all[10] is stamped at exactly T0 + 10 min; .000123 past it is later than the record, .999 before the next ms not.
    const at = new Date(T0 + 10 * 60_000).toISOString().replace('Z', '');
    expect(await queryEvents(t.base, { since: `${at}123Z`, until: all[12]!.timestamp, order: 'asc' })).toEqual(
      all.slice(11, 13),
    );
    expect(await queryEvents(t.base, { since: `${at}000Z`, until: `${at}999Z`, order: 'asc' })).toEqual([]);
    const before = new Date(T0 + 10 * 60_000 - 1).toISOString().replace('Z', '');
    expect(await queryEvents(t.base, { since: `${before}999Z`, until: `${at}999Z`, order: 'asc' })).toEqual([all[10]]);
  });

  it('understands zone offsets and a missing zone as UTC', async () => {
    // 13:04+01:00 is 12:04Z, the fifth event, and since is exclusive: the sixth event, at 12:05Z, is the only one.
    expect(
      await queryEvents(t.base, { since: '2026-01-31T13:04:00+01:00', until: '2026-01-31T12:05:00', order: 'asc' }),
    ).toEqual([all[5]]);
  });

  it('combines since/until with filters and limits', async () => {
    const got = await queryEvents(t.base, {
      since: all[40]!.timestamp,
      event_type: 'timer_tick',
      order: 'asc',
      limit: 3,
    });
    expect(got).toEqual(
      all
        .slice(41)
        .filter((e) => e.event_type === 'timer_tick')
        .slice(0, 3),
    );
  });

  it('returns [] for a window with no events', async () => {
    expect(await queryEvents(t.base, { since: '2030-01-01T00:00:00Z' })).toEqual([]);
    expect(await queryEvents(t.base, { until: '2020-01-01T00:00:00Z' })).toEqual([]);
  });

  it.each(['since', 'until'])('rejects an invalid %s with 400 whose detail mentions the timestamp', async (name) => {
    for (const value of ['yesterday', '2026-02-31T00:00:00Z', '2026-13-01']) {
      const res = await getJson<{ detail: unknown }>(t.base, `/events?${name}=${encodeURIComponent(value)}`);
      expect(res.status).toBe(400);
      const detail = JSON.stringify(res.body.detail);
      expect(detail).toContain(name);
      expect(detail).toContain('timestamp');
      expect(detail).toContain(value);
    }
  });
});

describe('GET /events with the log clamping a clock that goes backwards', () => {
  let t: TestServer;
  const clock = new ManualClock(T0);
  afterEach(async () => {
    await t.stop();
  });

  it('never gives a later offset an earlier timestamp, so since/until stay consistent', async () => {
    t = await startTestServer({}, { now: clock.now });
    const first = await publish(t.base, event());
    clock.advance(-30_000);
    const second = await publish(t.base, event());
    expect(Date.parse(second.body.timestamp)).toBeGreaterThanOrEqual(Date.parse(first.body.timestamp));
    const justBefore = new Date(Date.parse(first.body.timestamp) - 1).toISOString();
    expect(await queryEvents(t.base, { since: justBefore, order: 'asc' })).toEqual([first.body, second.body]);
    expect(await queryEvents(t.base, { until: first.body.timestamp, order: 'asc' })).toEqual([first.body, second.body]);
  });
});

describe('GET /stats and /event-types', () => {
  let t: TestServer;
  const clock = new ManualClock(T0);
  beforeAll(async () => {
    t = await startTestServer({}, { now: clock.now });
  });
  afterAll(async () => {
    await t.stop();
  });

  interface Stats {
    total_events: number;
    events_last_hour: number;
    by_type: { event_type: string; count: number; last_seen: string }[];
    router: { active_subscribers: number };
    head_offset: number;
    epoch: string;
  }

  it('counts events by type, most first, with last_seen', async () => {
    const empty = await getJson<Stats>(t.base, '/stats');
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ total_events: 0, events_last_hour: 0, by_type: [], head_offset: 0 });

    await publish(t.base, [event({ event_type: 'timer_tick' }), event({ event_type: 'quiz_started' })]);
    clock.advance(2 * 3_600_000);
    await publish(t.base, [
      event({ event_type: 'timer_tick' }),
      event({ event_type: 'timer_tick' }),
      event({ event_type: 'answer_submitted' }),
    ]);
    clock.advance(60_000);
    await publish(t.base, event({ event_type: 'answer_submitted' }));

    for (const prefix of PREFIXES) {
      const res = await getJson<Stats>(t.base + prefix, '/stats');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total_events: 6, events_last_hour: 4, head_offset: 6 });
      expect(res.body.by_type).toEqual([
        { event_type: 'timer_tick', count: 3, last_seen: new Date(T0 + 2 * 3_600_000).toISOString() },
        { event_type: 'answer_submitted', count: 2, last_seen: new Date(T0 + 2 * 3_600_000 + 60_000).toISOString() },
        { event_type: 'quiz_started', count: 1, last_seen: new Date(T0).toISOString() },
      ]);
      expect(res.body.router.active_subscribers).toBe(0);
      expect(res.body.epoch).toMatch(/^[0-9a-z]+$/);
    }
  });

  it('reports the same epoch as /health', async () => {
    const stats = await getJson<Stats>(t.base, '/stats');
    const health = await getJson<{ epoch: string }>(t.base, '/health');
    expect(stats.body.epoch).toBe(health.body.epoch);
  });

  it('lists the 15 event types with a description each', async () => {
    for (const prefix of PREFIXES) {
      const res = await getJson<Record<string, string>>(t.base + prefix, '/event-types');
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual([...EVENT_TYPES].sort());
      expect(Object.keys(res.body)).toHaveLength(15);
      for (const description of Object.values(res.body)) {
        expect(typeof description).toBe('string');
        expect(description.length).toBeGreaterThan(0);
      }
      // The old service's answer, key for key and word for word (its models.py EVENT_TYPES): a client may show them.
      expect(JSON.stringify(res.body)).toBe(
        JSON.stringify({
          quiz_started: 'Student started a quiz session',
          quiz_completed: 'Student completed/submitted quiz',
          quiz_timeout: 'Quiz timer expired',
          answer_submitted: 'Student submitted an answer',
          answer_changed: 'Student changed their answer',
          question_viewed: 'Student viewed a question',
          question_skipped: 'Student skipped a question',
          timer_started: 'Session timer started',
          timer_tick: 'Timer tick (usually every second)',
          timer_warning: 'Timer warning threshold reached',
          mastery_updated: 'Student mastery level changed',
          learning_gap_detected: 'Learning gap identified',
          session_created: 'New session created',
          session_ended: 'Session ended',
          error_occurred: 'Error in system',
        }),
      );
    }
  });
});

describe('legacy README examples', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await t.stop();
  });

  const run = promisify(execFile);
  /** Run curl with the README's arguments, pointing localhost:8001 at the test server. */
  const curl = async (...args: string[]): Promise<{ status: number; body: unknown }> => {
    const port = new URL(t.base).port;
    const rewritten = args.map((a) => a.replace('http://localhost:8001', `http://127.0.0.1:${port}`));
    const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...rewritten]);
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) as unknown };
  };
  const readmeBody = `{
    "event_type": "quiz_started",
    "source": "quiz_engine",
    "session_id": "session-123",
    "user_id": "student-456",
    "payload": {"quiz_id": "demo-quiz"}
  }`;

  it('publishes with the README curl command', async () => {
    const res = await curl(
      '-X',
      'POST',
      'http://localhost:8001/events',
      '-H',
      'Content-Type: application/json',
      '-d',
      readmeBody,
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(SERVER_ID),
      offset: 1,
      event_type: 'quiz_started',
      source: 'quiz_engine',
      session_id: 'session-123',
      user_id: 'student-456',
      payload: { quiz_id: 'demo-quiz' },
      timestamp: expect.stringMatching(ISO_UTC),
    });
  });

  it('queries with the README curl commands', async () => {
    await curl('-X', 'POST', 'http://localhost:8001/events', '-H', 'Content-Type: application/json', '-d', readmeBody);
    const answers = [
      event({ session_id: 'session-123', payload: { q: 1 } }),
      event({ session_id: 'session-999', payload: { q: 2 } }),
      event({ session_id: 'session-123', payload: { q: 3 } }),
    ];
    for (const answer of answers) expect((await publish(t.base, answer)).status).toBe(201);
    for (let i = 0; i < 12; i++) await publish(t.base, event({ event_type: 'timer_tick', source: 'timer' }));

    const recent = await curl('http://localhost:8001/events?limit=10');
    expect(recent.status).toBe(200);
    expect(recent.body).toHaveLength(10);
    expect((recent.body as EventRecord[]).map((e) => e.offset)).toEqual([16, 15, 14, 13, 12, 11, 10, 9, 8, 7]);

    const filtered = await curl('http://localhost:8001/events?event_type=answer_submitted&session_id=session-123');
    expect(filtered.status).toBe(200);
    expect((filtered.body as EventRecord[]).map((e) => e.payload)).toEqual([{ q: 3 }, { q: 1 }]);
  });
});
