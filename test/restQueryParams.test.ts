import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DetailItem, type EventRecord, event, getJson, publish } from './support/httpCall.js';
import { rawRequest } from './support/rawHttp.js';
import { startTestServer, type TestServer } from './support/testServer.js';

describe('query parameters on the REST listings', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    const batch = [
      event({ event_type: 'quiz_started', session_id: 's1', payload: { quiz_id: 'q' } }),
      event({ event_type: 'answer_submitted', session_id: 's1' }),
      event({ event_type: 'timer_tick', session_id: 's2' }),
    ];
    expect((await publish(t.base, batch)).status).toBe(201);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('answers a misspelt filter as the old service did (ignored), naming it in X-Ignored-Query-Params', async () => {
    const res = await getJson<EventRecord[]>(t.base, '/events?sesion_id=s1&limit=10&x=1&sesion_id=s2');
    expect(res.status).toBe(200);
    expect(res.body.map((r) => r.offset)).toEqual([3, 2, 1]);
    expect(res.headers.get('x-ignored-query-params')).toBe('sesion_id, x');
    const known = await getJson<EventRecord[]>(t.base, '/events?session_id=s1&limit=10&order=asc');
    expect(known.body.map((r) => r.offset)).toEqual([1, 2]);
    expect(known.headers.get('x-ignored-query-params')).toBeNull();
  });

  it('reads an empty value of any parameter of any listing as its default, as for a filter', async () => {
    // Before: `?limit=` gave the default but `?order=` a 422. The old service gave 422 for an empty limit (FastAPI
    // reads "" as no integer) and no filter for an empty filter; a blank now means the default everywhere.
    const all = await getJson<EventRecord[]>(t.base, '/events');
    const names = ['event_type', 'session_id', 'user_id', 'source', 'since', 'until', 'limit', 'order'];
    const blank = await getJson<EventRecord[]>(
      t.base,
      `/events?${names.map((n) => `${n}=`).join('&')}&after_offset=&before_offset=`,
    );
    expect([blank.status, blank.body]).toEqual([200, all.body]);
    expect((await getJson<EventRecord[]>(t.base, '/events?order=')).body.map((r) => r.offset)).toEqual([3, 2, 1]);
    for (const path of ['/sessions?status=&limit=', '/subscribers?limit=']) {
      const res = await getJson(t.base, path);
      expect([path, res.status, res.headers.get('x-ignored-query-params')]).toEqual([path, 200, null]);
    }
  });

  it('reads a repeated event_type as a list of types, as event_type=a,b', async () => {
    const repeated = await getJson<EventRecord[]>(t.base, '/events?event_type=quiz_started&event_type=timer_tick');
    const listed = await getJson<EventRecord[]>(t.base, '/events?event_type=quiz_started,timer_tick');
    expect(repeated.body.map((r) => r.event_type)).toEqual(['timer_tick', 'quiz_started']);
    expect(repeated.body).toEqual(listed.body);
    const refused = await getJson<{ detail: DetailItem[] }>(t.base, '/events?event_type=quiz_started&event_type=nope');
    expect(refused.status).toBe(422);
    expect(refused.body.detail[0]!.loc).toEqual(['query', 'event_type']);
  });

  it.each(['/sessions', '/api/v1/subscribers', '/events'])(
    'refuses limit=1e3, 0x10 and 10.0 on %s alike',
    async (path) => {
      for (const limit of ['1e3', '0x10', '10.0']) {
        const res = await getJson<{ detail: DetailItem[] }>(t.base, `${path}?limit=${limit}`);
        expect(res.status).toBe(422);
        // Hint: `10.0` is an integer to pydantic (the old service took it): only our rule refuses it.
        const kind = limit === '10.0' ? { type: 'value_error' } : { type: 'int_parsing', input: limit };
        expect(res.body.detail).toEqual([
          { loc: ['query', 'limit'], msg: `limit: must be an integer from 1 to 1000 (got "${limit}")`, ...kind },
        ]);
      }
    },
  );

  it('names unknown parameters on the session and subscriber listings too', async () => {
    const sessions = await getJson<unknown[]>(t.base, '/sessions?limit=1&state=completed');
    expect(sessions.status).toBe(200);
    expect(sessions.body).toHaveLength(1);
    expect(sessions.headers.get('x-ignored-query-params')).toBe('state');
    const subscribers = await getJson(t.base, '/api/v1/subscribers?limt=5');
    expect(subscribers.status).toBe(200);
    expect(subscribers.headers.get('x-ignored-query-params')).toBe('limt');
  });

  it('keeps a parameter name from the client out of the header syntax (no injected header)', async () => {
    const res = await rawRequest(t.server.port, 'GET', '/events?a%0D%0ASet-Cookie:%20x=1&b,c=2', {});
    expect(res?.status).toBe(200);
    expect(res?.headers.get('x-ignored-query-params')).toBe('a%0D%0ASet-Cookie%3A%20x, b%2Cc');
    expect(res?.headers.has('set-cookie')).toBe(false);
  });

  it('lets a cross-origin script read the request id, the ignored names, the first available offset, Retry-After and the upgrade refusal mark', async () => {
    const res = await getJson(t.base, '/events?limit=1', { Origin: 'https://dashboard.example' });
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(', ');
    expect(exposed).toEqual([
      'X-Request-Id',
      'X-Ignored-Query-Params',
      'X-Ignored-Fields',
      'X-First-Available-Offset',
      'Retry-After',
      'X-Upgrade-Refusal',
    ]);
  });

  it('stores a publish with fields no rule reads, as the old service did, and names them in X-Ignored-Fields', async () => {
    const single = await publish(t.base, event({ sessionId: 's9', timestamp: '2020-01-01T00:00:00Z' }));
    expect(single.status).toBe(201);
    expect(single.body).toMatchObject({ session_id: null });
    expect(single.body.timestamp).not.toBe('2020-01-01T00:00:00.000Z');
    expect(single.headers.get('x-ignored-fields')).toBe('sessionId, timestamp');
    const batch = await publish<EventRecord[]>(t.base, [
      event({ userId: 'u' }),
      event(),
      event({ userId: 'v', ref: 1 }),
    ]);
    expect(batch.status).toBe(201);
    expect(batch.headers.get('x-ignored-fields')).toBe('userId, ref');
    const clean = await publish(t.base, event({ session_id: 's9', user_id: 'u', payload: {}, id: 'clean-1' }));
    expect(clean.status).toBe(201);
    expect(clean.headers.get('x-ignored-fields')).toBeNull();
  });
});
