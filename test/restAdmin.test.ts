import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  call,
  type EventRecord,
  event,
  getJson,
  type JsonResponse,
  ManualClock,
  publish,
  queryEvents,
} from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { WsClient } from './support/wsClient.js';

const PREFIXES = ['', '/api/v1'] as const;
const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Every endpoint that needs the API key when auth is on, with a request that would otherwise succeed. */
const PROTECTED: readonly { name: string; method: string; path: string; body?: unknown }[] = [
  { name: 'POST /events', method: 'POST', path: '/events', body: event() },
  { name: 'GET /events', method: 'GET', path: '/events' },
  { name: 'GET /events/{id}', method: 'GET', path: '/events/evt_x' },
  { name: 'GET /stats', method: 'GET', path: '/stats' },
  { name: 'DELETE /events', method: 'DELETE', path: '/events?before=2000-01-01T00:00:00Z' },
  { name: 'GET /sessions/{session_id}', method: 'GET', path: '/sessions/s-1' },
  { name: 'GET /sessions', method: 'GET', path: '/sessions' },
];

function send(
  base: string,
  route: { method: string; path: string; body?: unknown },
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return call(`${base}${route.path}`, {
    method: route.method,
    headers: route.body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
  });
}

function expectSecurityHeaders(res: JsonResponse): void {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('content-security-policy')).toMatch(/\S/);
  expect(res.headers.get('referrer-policy')).toMatch(/\S/);
  // The old service's own values.
  expect(res.headers.get('x-xss-protection')).toBe('1; mode=block');
  expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
}

/** Nothing in a response body looks like a stack frame or a source path. */
function expectNoStackTrace(res: JsonResponse): void {
  expect(res.text).not.toMatch(/\n\s+at |\bat .+\(.+:\d+:\d+\)|\.(ts|js|mjs|cjs):\d+|node_modules|\/work\//);
}

describe.each(PREFIXES)('DELETE %s/events', (prefix) => {
  let t: TestServer;
  const clock = new ManualClock(T0);
  afterEach(async () => {
    await t.stop();
  });

  it('deletes events before a timestamp, leaving the rest with their offsets', async () => {
    t = await startTestServer({}, { now: clock.now });
    const base = t.base + prefix;
    const old = (await publish<EventRecord[]>(base, [event({ event_type: 'timer_tick' }), event(), event()])).body;
    clock.advance(3_600_000);
    const kept = (await publish<EventRecord[]>(base, [event(), event({ event_type: 'quiz_started' })])).body;
    expect(kept.map((e) => e.offset)).toEqual([4, 5]);

    const res = await call(`${base}/events?before=${encodeURIComponent(kept[0]!.timestamp)}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: 3 });

    expect(await queryEvents(base, { order: 'asc' })).toEqual(kept);
    for (const gone of old) expect((await getJson(base, `/events/${gone.id}`)).status).toBe(404);
    expect((await getJson<EventRecord>(base, `/events/${kept[1]!.id}`)).body).toEqual(kept[1]);
    const stats = await getJson<{
      total_events: number;
      by_type: { event_type: string; count: number }[];
      head_offset: number;
    }>(base, '/stats');
    expect(stats.body.total_events).toBe(2);
    expect(stats.body.head_offset).toBe(5);
    expect(stats.body.by_type.map(({ event_type, count }) => ({ event_type, count }))).toEqual([
      { event_type: 'answer_submitted', count: 1 },
      { event_type: 'quiz_started', count: 1 },
    ]);

    clock.advance(1_000);
    const next = await publish(base, event());
    expect(next.body.offset).toBe(6);
    // Time and offset bounds still work over the shortened log.
    expect(await queryEvents(base, { since: new Date(T0).toISOString(), order: 'asc' })).toEqual([...kept, next.body]);
    expect(await queryEvents(base, { until: kept[1]!.timestamp, order: 'asc' })).toEqual(kept);
    expect(await queryEvents(base, { after_offset: 1, before_offset: 5, order: 'asc' })).toEqual([kept[0]]);
  });

  it('deletes nothing when no event is older than the cutoff', async () => {
    t = await startTestServer({}, { now: clock.now });
    const base = t.base + prefix;
    await publish(base, [event(), event()]);
    const res = await call(`${base}/events?before=2000-01-01T00:00:00Z`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: 0 });
    expect(await queryEvents(base)).toHaveLength(2);
  });

  it('deletes everything without before, and the next offset continues from the last one', async () => {
    t = await startTestServer({}, { now: clock.now });
    const base = t.base + prefix;
    await publish(base, [event(), event(), event()]);
    const res = await call(`${base}/events`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: 3 });
    expect(await queryEvents(base)).toEqual([]);
    expect((await getJson<{ total_events: number }>(base, '/stats')).body.total_events).toBe(0);

    const next = await publish(base, event());
    expect(next.status).toBe(201);
    expect(next.body.offset).toBe(4);
    expect(await queryEvents(base)).toEqual([next.body]);
  });

  it('rejects an invalid before with 400 mentioning the timestamp, deleting nothing', async () => {
    t = await startTestServer({}, { now: clock.now });
    const base = t.base + prefix;
    await publish(base, event());
    const res = await call(`${base}/events?before=last-week`, { method: 'DELETE' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('timestamp');
    expect(await queryEvents(base)).toHaveLength(1);
  });

  it('refuses an empty before, a repeated one and a misspelt parameter with 400 naming it, deleting nothing', async () => {
    t = await startTestServer({}, { now: clock.now });
    const base = t.base + prefix;
    await publish(base, event());
    const cases: [string, string][] = [
      ['before=', 'before: must not be empty (omit it to delete every event)'],
      ['before=2000-01-01T00:00:00Z&before=2100-01-01T00:00:00Z', 'before: given more than once'],
      ['befor=2000-01-01T00:00:00Z', 'befor: unknown parameter; DELETE /events takes only `before`'],
      ['before_offset=1', 'before_offset: unknown parameter; DELETE /events takes only `before`'],
    ];
    for (const [query, detail] of cases) {
      const res = await call(`${base}/events?${query}`, { method: 'DELETE' });
      expect({ query, status: res.status, body: res.body }).toEqual({ query, status: 400, body: { detail } });
    }
    expect(await queryEvents(base)).toHaveLength(1);
  });
});

describe('GET /health and /readiness', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it.each(PREFIXES)('answers %s/health with status, service, version and epoch', async (prefix) => {
    const res = await getJson(t.base + prefix, '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      service: 'event-pipeline',
      version: PACKAGE_VERSION,
      // A checkout (as every test run is): its commit, with -dirty while it has uncommitted changes.
      build: expect.stringMatching(/^[0-9a-f]{12}(-dirty)?$/),
      epoch: expect.stringMatching(/^[0-9a-z]+$/),
    });
  });

  it.each(PREFIXES)('answers %s/readiness with ready and a connected database', async (prefix) => {
    const res = await getJson(t.base + prefix, '/readiness');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ready: true, database: 'connected' });
  });

  it('includes the router stats in /readiness, as the old service did', async () => {
    const res = await getJson<Record<string, unknown>>(t.base, '/readiness');
    expect(res.body).toEqual({
      ready: true,
      database: 'connected',
      head_offset: expect.any(Number),
      epoch: expect.any(String),
      router: expect.objectContaining({ active_subscribers: 0, queue_size: 0 }),
    });
  });

  it('includes queue_size in /stats.router', async () => {
    const res = await getJson<{ router: Record<string, number> }>(t.base, '/stats');
    expect(res.body.router).toMatchObject({ queue_size: 0, active_subscribers: expect.any(Number) });
  });
});

describe('GET /readiness when the log takes no writes', () => {
  it('answers 503 with ready false, the reason and the router stats, while /health still answers', async () => {
    const t = await startTestServer();
    try {
      t.server.pipeline.log.close();
      const res = await getJson<Record<string, unknown>>(t.base, '/readiness');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        ready: false,
        // Before: 'unavailable'; the old service said 'disconnected' (`{"ready":false,"database":"disconnected"}`).
        database: 'disconnected',
        reason: expect.stringMatching(/\S/),
        router: expect.objectContaining({ queue_size: 0 }),
      });
      expect((await getJson(t.base, '/health')).status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});

describe('API key authentication', () => {
  let t: TestServer;
  const KEY = 'test-key-0123456789';
  beforeAll(async () => {
    t = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: KEY });
  });
  afterAll(async () => {
    await t.stop();
  });

  describe.each(PREFIXES)('under "%s"', (prefix) => {
    it.each(PROTECTED)(
      'refuses $name without a key, with a wrong key and with a key of another length',
      async (route) => {
        for (const headers of [
          {},
          { 'X-API-Key': 'test-key-0123456788' },
          { 'X-API-Key': 'test' },
          { 'X-API-Key': '' },
        ]) {
          const res = await send(t.base + prefix, route, headers);
          expect(res.status).toBe(401);
          expect(res.body).toEqual({ detail: expect.any(String) });
          expectSecurityHeaders(res);
        }
      },
    );

    it.each(PROTECTED)('serves $name with the right key', async (route) => {
      const res = await send(t.base + prefix, route, { 'X-API-Key': KEY });
      expect(res.status).not.toBe(401);
      expect(res.status).toBeLessThan(500);
    });

    it.each(['/health', '/readiness', '/event-types'])(
      'serves %s without a key, as the old service did',
      async (path) => {
        // Before: /event-types needed the key here, where the old service left it open.
        const res = await getJson(t.base + prefix, path);
        expect(res.status).toBe(200);
      },
    );
  });

  it('appends nothing for a refused publish', async () => {
    const before = await getJson<{ head_offset: number }>(t.base, '/stats', { 'X-API-Key': KEY });
    expect((await publish(t.base, event())).status).toBe(401);
    const after = await getJson<{ head_offset: number }>(t.base, '/stats', { 'X-API-Key': KEY });
    expect(after.body.head_offset).toBe(before.body.head_offset);
  });

  it('treats the header name case-insensitively', async () => {
    const res = await getJson(t.base, '/stats', { 'x-api-key': KEY });
    expect(res.status).toBe(200);
  });
});

describe('without REQUIRE_AUTH', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ API_KEY: 'set-but-not-required' });
  });
  afterAll(async () => {
    await t.stop();
  });

  it.each(PROTECTED)('serves $name without a key', async (route) => {
    const res = await send(t.base, route);
    expect(res.status).not.toBe(401);
    expect(res.status).toBeLessThan(500);
  });
});

describe('response headers and errors', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ MAX_BODY_BYTES: '2048' });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('puts the security headers on successes and on every kind of error', async () => {
    const responses = [
      await getJson(t.base, '/health'),
      await getJson(t.base, '/events'),
      await publish(t.base, event()),
      await getJson(t.base, '/events/evt_missing'),
      await publish(t.base, event({ event_type: 'nope' })),
      await publish(t.base, '{not json'),
      await getJson(t.base, '/events?since=nope'),
      await getJson(t.base, '/no/such/path'),
      await getJson(t.base, '/api/v1/stats'),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 201, 404, 422, 422, 400, 404, 200]);
    for (const res of responses) expectSecurityHeaders(res);
  });

  it('sends Strict-Transport-Security only when a trusted proxy says the request came over https', async () => {
    const hsts = 'max-age=31536000; includeSubDomains';
    // The test client is 127.0.0.1, a trusted proxy by default.
    expect(
      (await getJson(t.base, '/health', { 'X-Forwarded-Proto': 'https' })).headers.get('strict-transport-security'),
    ).toBe(hsts);
    expect(
      (await publish(t.base, '{bad', { 'X-Forwarded-Proto': 'https' })).headers.get('strict-transport-security'),
    ).toBe(hsts);
    expect(
      (await getJson(t.base, '/health', { 'X-Forwarded-Proto': 'http' })).headers.get('strict-transport-security'),
    ).toBeNull();
    expect((await getJson(t.base, '/health')).headers.get('strict-transport-security')).toBeNull();
  });

  it('ignores X-Forwarded-Proto from a peer that is not a trusted proxy', async () => {
    const other = await startTestServer({ TRUST_PROXY: '10.0.0.1' });
    try {
      const res = await getJson(other.base, '/health', { 'X-Forwarded-Proto': 'https' });
      expect(res.status).toBe(200);
      expect(res.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await other.stop();
    }
  });

  it('answers an unknown path with 404 and a detail', async () => {
    const res = await getJson(t.base, '/api/v2/events');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: expect.any(String) });
  });

  it('answers a plain request to a WebSocket endpoint with 426 naming it, not 404', async () => {
    for (const path of ['/ws/subscribe', '/api/v1/ws/publish']) {
      const res = await getJson(t.base, path);
      expect(res.status).toBe(426);
      expect(res.headers.get('upgrade')).toBe('websocket');
      expect(res.body).toEqual({ detail: `${path} is a WebSocket endpoint: connect with a WebSocket client` });
    }
    expect((await getJson(t.base, '/ws/other')).status).toBe(404);
  });

  it('answers a malformed percent-escape in a path parameter with 404 and keeps serving', async () => {
    for (const path of ['/events/%E0%A4%A', '/api/v1/events/%zz', '/api/v1/sessions/%', '/sessions/a%2']) {
      const res = await getJson(t.base, path);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: expect.any(String) });
    }
    expect((await getJson(t.base, '/health')).status).toBe(200);
  });

  it('refuses a body over MAX_BODY_BYTES with 413 and appends nothing', async () => {
    const head = (await getJson<{ head_offset: number }>(t.base, '/stats')).body.head_offset;
    const big = event({ payload: { blob: 'x'.repeat(4_000) } });
    const res = await publish(t.base, big);
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ detail: expect.any(String) });
    expectSecurityHeaders(res);
    expect((await getJson<{ head_offset: number }>(t.base, '/stats')).body.head_offset).toBe(head);
    // The server is still healthy afterwards.
    expect((await publish(t.base, event())).status).toBe(201);
  });

  it('accepts a body just under MAX_BODY_BYTES', async () => {
    const text = JSON.stringify(event({ payload: { blob: '' } }));
    const body = JSON.stringify(event({ payload: { blob: 'x'.repeat(2048 - text.length) } }));
    expect(Buffer.byteLength(body)).toBe(2048);
    expect((await publish(t.base, body)).status).toBe(201);
  });

  it('leaks no stack traces or paths on bad input', async () => {
    const bad: JsonResponse[] = [
      await publish(t.base, '{"event_type": "quiz_started", "source": '),
      await publish(t.base, '[1, 2, 3]'),
      await publish(t.base, '{"event_type": {"$gt": ""}, "source": ["a"], "payload": "x"}'),
      await publish(t.base, '\u0000\u0001'),
      await publish(t.base, '[]'),
      await getJson(t.base, '/events?limit=99999999999999999999999'),
      await getJson(t.base, '/events?after_offset=99999999999999999999999'),
      await getJson(t.base, '/events?since=2026-01-01T25:61:00Z'),
      await getJson(t.base, `/events/${'%'.repeat(3)}`),
      await call(`${t.base}/events?before=%E0%A4%A`, { method: 'DELETE' }),
    ];
    for (const res of bad) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body).toHaveProperty('detail');
      expectNoStackTrace(res);
    }
  });
});

/** The status and JSON body of a refused WebSocket upgrade. */
function refusedUpgrade(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => {
      // Hint: an unexpected response also aborts the request; the status was read above.
    });
  });
}

/**
 * A GET sent with node:http, which writes an array header value as one line per entry: its status, and the socket
 * when it was a WebSocket upgrade the server accepted (101).
 */
function getWithLines(url: string, headers: Record<string, string | string[]>) {
  return new Promise<{ status: number; socket: Duplex | null; retryAfter?: string }>((resolve, reject) => {
    const request = httpGet(url.replace(/^ws/, 'http'), { headers });
    request.on('upgrade', (_response, socket) => resolve({ status: 101, socket }));
    request.on('response', (response) => {
      response.resume();
      const retryAfter = response.headers['retry-after'];
      resolve({ status: response.statusCode ?? 0, socket: null, ...(retryAfter === undefined ? {} : { retryAfter }) });
    });
    request.on('error', reject);
  });
}

const UPGRADE = {
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
};

describe('rate limits', () => {
  // Hint: the windows run on the server's monotonic clock (`clock`); `now` only stamps the events.
  let t: TestServer | null = null;
  afterEach(async () => {
    await t?.stop();
    t = null;
  });

  it('are off unless configured', async () => {
    t = await startTestServer();
    for (let i = 0; i < 30; i++) {
      expect((await publish(t.base, event())).status).toBe(201);
      expect((await getJson(t.base, '/events?limit=1')).status).toBe(200);
    }
    expect((await call(`${t.base}/events?before=2000-01-01T00:00:00Z`, { method: 'DELETE' })).status).toBe(200);
  });

  it('answer the third publish with 429 under RATE_LIMIT_PUBLISH=2/minute, until the minute is over', async () => {
    const clock = new ManualClock(T0);
    t = await startTestServer({ RATE_LIMIT_PUBLISH: '2/minute' }, { now: clock.now, clock: clock.now });
    expect((await publish(t.base, event())).status).toBe(201);
    expect((await publish(t.base, event())).status).toBe(201);
    const limited = await publish(t.base, event());
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ detail: expect.any(String) });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expectSecurityHeaders(limited);
    // Queries are another class and stay open; the refused publish appended nothing.
    expect(await queryEvents(t.base)).toHaveLength(2);
    clock.advance(60_000);
    expect((await publish(t.base, event())).status).toBe(201);
  });

  it('count requests with a wrong key too, so guessing keys spends the budget', async () => {
    t = await startTestServer({ RATE_LIMIT_QUERY: '2/minute', REQUIRE_AUTH: 'true', API_KEY: 'sekrit' });
    const wrong = { headers: { 'X-API-Key': 'guess' } };
    expect((await call(`${t.base}/events`, wrong)).status).toBe(401);
    expect((await call(`${t.base}/events`, wrong)).status).toBe(401);
    expect((await call(`${t.base}/events`, wrong)).status).toBe(429);
    expect((await call(`${t.base}/events`, { headers: { 'X-API-Key': 'sekrit' } })).status).toBe(429);
  });

  it('never count GET /event-types, which the old service left unlimited, as /health', async () => {
    // Before: it spent RATE_LIMIT_QUERY, and answered 429 once the budget was gone.
    t = await startTestServer({ RATE_LIMIT_QUERY: '1/minute' });
    for (let i = 0; i < 5; i++) expect((await getJson(t.base, '/event-types')).status).toBe(200);
    expect((await getJson(t.base, '/stats')).status).toBe(200);
    expect((await getJson(t.base, '/api/v1/event-types')).status).toBe(200);
    expect((await getJson(t.base, '/stats')).status).toBe(429);
  });

  it('count both path prefixes against the same limit', async () => {
    t = await startTestServer({ RATE_LIMIT_QUERY: '2/minute' });
    expect((await getJson(t.base, '/events')).status).toBe(200);
    expect((await getJson(t.base, '/api/v1/stats')).status).toBe(200);
    expect((await getJson(t.base, '/api/v1/events')).status).toBe(429);
    // Health is never limited; publishing is another class.
    expect((await getJson(t.base, '/health')).status).toBe(200);
    expect((await publish(t.base, event())).status).toBe(201);
  });

  it('allow N per second under RATE_LIMIT_PUBLISH=N/second, and N more in the next second', async () => {
    const clock = new ManualClock(T0);
    t = await startTestServer({ RATE_LIMIT_PUBLISH: '3/second' }, { now: clock.now, clock: clock.now });
    for (let i = 0; i < 3; i++) expect((await publish(t.base, event())).status).toBe(201);
    const limited = await publish(t.base, event());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    clock.advance(1_000);
    for (let i = 0; i < 3; i++) expect((await publish(t.base, event())).status).toBe(201);
    expect((await publish(t.base, event())).status).toBe(429);
    expect(await queryEvents(t.base, { limit: 100 })).toHaveLength(6);
  });

  it('give each client behind a trusted proxy its own budget, by X-Forwarded-For', async () => {
    t = await startTestServer({ RATE_LIMIT_QUERY: '2/minute' });
    const as = (ip: string) => ({ 'X-Forwarded-For': ip });
    expect((await getJson(t.base, '/events', as('203.0.113.7'))).status).toBe(200);
    expect((await getJson(t.base, '/events', as('203.0.113.7'))).status).toBe(200);
    expect((await getJson(t.base, '/events', as('203.0.113.7'))).status).toBe(429);
    // Another client through the same proxy, and the proxy itself, still have their budgets.
    expect((await getJson(t.base, '/events', as('203.0.113.8'))).status).toBe(200);
    expect((await getJson(t.base, '/events', as('10.1.1.1, 203.0.113.8'))).status).toBe(200);
    expect((await getJson(t.base, '/events', as('203.0.113.8'))).status).toBe(429);
    expect((await getJson(t.base, '/events')).status).toBe(200);
  });

  it('read every X-Forwarded-For line, so a proxy that appends its own line is believed over the client', async () => {
    // Hint: HAProxy's `option forwardedfor` adds a line after the client's own; uWS's getHeader returns the first
    // line only, so a probe's forged 6.6.6.6 line was taken as the client and each forgery had its own budget.
    t = await startTestServer({ RATE_LIMIT_QUERY: '1/minute' });
    const through = (forged: string) => ({ 'X-Forwarded-For': [forged, '203.0.113.50'] });
    expect((await getWithLines(`${t.base}/stats`, through('6.6.6.6'))).status).toBe(200);
    expect((await getWithLines(`${t.base}/stats`, through('7.7.7.7'))).status).toBe(429);
    // Upgrades on a server of their own: they spend the query budget too.
    await t.stop();
    t = await startTestServer({ MAX_WS_CONNECTIONS_PER_IP: '1' });
    const first = await getWithLines(`${t.wsBase}/ws/subscribe`, { ...UPGRADE, ...through('6.6.6.6') });
    try {
      expect(first.status).toBe(101);
      expect((await getWithLines(`${t.wsBase}/ws/subscribe`, { ...UPGRADE, ...through('7.7.7.7') })).status).toBe(429);
    } finally {
      first.socket?.destroy();
    }
  });

  it('count WebSocket upgrades against RATE_LIMIT_QUERY (an upgrade is a GET), before the API key is checked', async () => {
    t = await startTestServer({ RATE_LIMIT_QUERY: '2/minute', REQUIRE_AUTH: 'true', API_KEY: 'sekrit' });
    const producer = await WsClient.open(`${t.wsBase}/ws/publish?api_key=sekrit`);
    try {
      expect((await refusedUpgrade(`${t.wsBase}/ws/subscribe?api_key=guess`)).status).toBe(401);
      expect(await refusedUpgrade(`${t.wsBase}/ws/subscribe?api_key=sekrit`)).toEqual({
        status: 429,
        body: {
          detail: expect.stringMatching(
            /^rate limit exceeded \(RATE_LIMIT_QUERY: 2 per minute per client\); retry in \d+ s$/,
          ),
        },
      });
      const again = await getWithLines(`${t.wsBase}/ws/subscribe?api_key=sekrit`, UPGRADE);
      expect([again.status, again.retryAfter]).toEqual([429, expect.stringMatching(/^\d+$/)]);
    } finally {
      await producer.close();
    }
  });

  it('count X-Forwarded-For from an untrusted peer against the peer itself', async () => {
    t = await startTestServer({ RATE_LIMIT_QUERY: '2/minute', TRUST_PROXY: '10.0.0.1' });
    expect((await getJson(t.base, '/events', { 'X-Forwarded-For': '203.0.113.7' })).status).toBe(200);
    expect((await getJson(t.base, '/events', { 'X-Forwarded-For': '203.0.113.8' })).status).toBe(200);
    expect((await getJson(t.base, '/events', { 'X-Forwarded-For': '203.0.113.9' })).status).toBe(429);
  });

  it('share one publish budget between /ws/publish messages and POST /events', async () => {
    const clock = new ManualClock(T0);
    t = await startTestServer({ RATE_LIMIT_PUBLISH: '2/second' }, { now: clock.now, clock: clock.now });
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    try {
      // Two publishes from 127.0.0.1 over the WebSocket use up the second's budget for REST too.
      for (let i = 0; i < 2; i++) {
        producer.send(event());
        expect(await producer.next()).toMatchObject({ status: 'ok' });
      }
      expect((await publish(t.base, event())).status).toBe(429);
      producer.send(event());
      expect(await producer.next()).toMatchObject({ status: 'error', code: 429, retryable: true });
      clock.advance(1_000);
      expect((await publish(t.base, event())).status).toBe(201);
    } finally {
      await producer.close();
    }
  });

  it('name the budget that was spent, its setting and value, in every 429, and when to retry', async () => {
    const clock = new ManualClock(T0);
    // Hint: both upgrades below spend the query budget (an upgrade is a GET), so the first /stats is its third.
    const limits = { RATE_LIMIT_PUBLISH: '1/second', RATE_LIMIT_QUERY: '3 per hour', RATE_LIMIT_ADMIN: '1/day' };
    t = await startTestServer({ ...limits, MAX_WS_CONNECTIONS_PER_IP: '1' }, { now: clock.now, clock: clock.now });
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    try {
      expect(await refusedUpgrade(`${t.wsBase}/ws/subscribe`)).toEqual({
        status: 429,
        body: { detail: 'too many WebSocket connections from this address (MAX_WS_CONNECTIONS_PER_IP: 1)' },
      });
      expect((await publish(t.base, event())).status).toBe(201);
      expect((await publish(t.base, event())).body).toEqual({
        detail: 'rate limit exceeded (RATE_LIMIT_PUBLISH: 1 per second per client); retry in 1 s',
      });
      producer.send({ ...event(), ref: 'r' });
      expect(await producer.next()).toMatchObject({
        message: 'rate limit exceeded (RATE_LIMIT_PUBLISH: 1 per second per client); retry in 1 s',
        ref: 'r',
      });
      expect((await getJson(t.base, '/stats')).status).toBe(200);
      expect((await getJson(t.base, '/stats')).body).toEqual({
        detail: 'rate limit exceeded (RATE_LIMIT_QUERY: 3 per hour per client); retry in 3600 s',
      });
      expect((await call(`${t.base}/events`, { method: 'DELETE' })).status).toBe(200);
      expect(JSON.parse((await call(`${t.base}/events`, { method: 'DELETE' })).text)).toEqual({
        detail: 'rate limit exceeded (RATE_LIMIT_ADMIN: 1 per day per client); retry in 86400 s',
      });
    } finally {
      await producer.close();
    }
  });

  it('limit admin deletes under RATE_LIMIT_ADMIN', async () => {
    t = await startTestServer({ RATE_LIMIT_ADMIN: '1/minute' });
    expect((await call(`${t.base}/events`, { method: 'DELETE' })).status).toBe(200);
    expect((await call(`${t.base}/events`, { method: 'DELETE' })).status).toBe(429);
  });
});
