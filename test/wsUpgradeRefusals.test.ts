import { afterEach, describe, expect, it } from 'vitest';
import { parseResponses, type RawResponse, rawExchange } from './support/rawHttp.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, WsClient } from './support/wsClient.js';

const KEY = 'upgrade-refusals-key';
const UPGRADE = {
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
};
const SECURITY = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'strict-origin-when-cross-origin',
};

let t: TestServer | null = null;
afterEach(async () => {
  await t?.stop();
  t = null;
});

/** One raw request to `path` on the test server, as an upgrade (`upgrade`) or a plain request; its response. */
async function ask(path: string, headers: Record<string, string>, upgrade: boolean, method = 'GET') {
  const all = { Host: '127.0.0.1', ...(upgrade ? UPGRADE : { Connection: 'close' }), ...headers };
  const head = Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const bodyless = [method === 'HEAD'];
  // Hint: an accepted upgrade keeps the connection open; its 101 is all there is to read.
  const complete = (text: string) => {
    const response = parseResponses(text, bodyless)[0];
    if (response === undefined) return false;
    return response.status === 101 || response.body.length >= Number(response.headers.get('content-length') ?? 0);
  };
  const exchange = await rawExchange(t!.server.port, `${method} ${path} HTTP/1.1\r\n${head}\r\n`, 2_000, complete);
  const response = parseResponses(exchange.text, bodyless)[0];
  expect(response).toBeDefined();
  return { ...response!, statusLine: exchange.text.slice(0, exchange.text.indexOf('\r\n')) };
}

/** The headers REST replies carry, on `response`. */
function expectReplyHeaders(response: RawResponse, requestId: string): void {
  for (const [name, value] of Object.entries(SECURITY)) expect(response.headers.get(name), name).toBe(value);
  expect(response.headers.get('x-request-id')).toBe(requestId);
}

describe('a refused WebSocket upgrade', () => {
  it('carries the headers REST replies do: X-Request-Id, the security headers, WWW-Authenticate, CORS', async () => {
    t = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: KEY, CORS_ORIGINS: 'https://school.example' });
    const origin = { Origin: 'https://school.example' };
    const refused = await ask('/ws/subscribe', { 'X-API-Key': 'wrong', 'X-Request-Id': 'probe-401', ...origin }, true);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({ detail: 'Invalid or missing API key' });
    expectReplyHeaders(refused, 'probe-401');
    expect(refused.headers.get('www-authenticate')).toBe('ApiKey');
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://school.example');
    expect(refused.headers.get('access-control-expose-headers')).toContain('Retry-After');

    const foreign = { 'X-API-Key': KEY, 'X-Request-Id': 'probe-403', Origin: 'https://evil.example' };
    const forbidden = await ask('/ws/publish', foreign, true);
    expect(forbidden.statusLine).toBe('HTTP/1.1 403 Forbidden');
    expect(forbidden.headers.has('access-control-allow-origin')).toBe(false);
    expectReplyHeaders(forbidden, 'probe-403');
    // Hint: a request id that is not sane is replaced, as over REST, never left out.
    const fresh = await ask('/ws/publish', { 'X-API-Key': 'wrong' }, true);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('says when to retry a spent query budget, and carries the same headers', async () => {
    t = await startTestServer({ RATE_LIMIT_QUERY: '1/minute' });
    const client = { 'X-Forwarded-For': '10.0.0.7' };
    expect((await ask('/ws/subscribe', client, true)).status).toBe(101);
    const limited = await ask('/ws/subscribe', { ...client, 'X-Request-Id': 'probe-429' }, true);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expectReplyHeaders(limited, 'probe-429');
  });
});

describe('a plain GET to a WebSocket endpoint', () => {
  it('answers what the upgrade would be refused with: 401 for a wrong key, 403 for a foreign Origin, else 426', async () => {
    t = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: KEY, CORS_ORIGINS: 'https://school.example' });
    for (const path of ['/ws/subscribe', '/api/v1/ws/publish']) {
      for (const headers of [{ 'X-API-Key': 'wrong' }, {}]) {
        const plain = await ask(path, { ...headers, 'X-Request-Id': 'plain-401' }, false);
        const upgrade = await ask(path, headers, true);
        expect([plain.status, upgrade.status]).toEqual([401, 401]);
        expect(plain.body).toBe(upgrade.body);
        expect(plain.headers.get('www-authenticate')).toBe('ApiKey');
        expectReplyHeaders(plain, 'plain-401');
      }
      const head = await ask(path, { 'X-API-Key': 'wrong' }, false, 'HEAD');
      expect([head.status, head.body]).toEqual([401, '']);
      const foreign = await ask(path, { 'X-API-Key': KEY, Origin: 'https://evil.example' }, false);
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.body)).toEqual({ detail: 'Origin https://evil.example is not allowed (CORS_ORIGINS)' });
      // A page's same-origin fetch sends no Origin; its WebSocket sends the server's own, which this list leaves out.
      const own = await ask(path, { 'X-API-Key': KEY, 'Sec-Fetch-Site': 'same-origin' }, false);
      expect(own.status).toBe(403);
      expect(JSON.parse(own.body)).toEqual({ detail: 'Origin http://127.0.0.1 is not allowed (CORS_ORIGINS)' });
      const listed = await ask(path, { 'X-API-Key': KEY, Origin: 'https://school.example' }, false);
      expect(listed.status).toBe(426);
      expect(listed.headers.get('access-control-allow-origin')).toBe('https://school.example');
      expect((await ask(`${path}?api_key=${KEY}`, {}, false)).status).toBe(426);
      // Hint: only a GET asks what an upgrade would get; other methods are told what the path is.
      expect((await ask(path, { 'X-API-Key': 'wrong' }, false, 'POST')).status).toBe(426);
    }
  });

  it('spends the query budget as an upgrade does, and answers 429 with Retry-After once it is spent', async () => {
    t = await startTestServer({ RATE_LIMIT_QUERY: '2/minute' });
    const client = { 'X-Forwarded-For': '10.0.0.8' };
    expect((await ask('/ws/subscribe', client, false)).status).toBe(426);
    expect((await ask('/ws/subscribe', client, true)).status).toBe(101);
    const limited = await ask('/ws/subscribe', client, false);
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body).detail).toMatch(/^rate limit exceeded \(RATE_LIMIT_QUERY: 2 per minute/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await ask('/ws/subscribe', client, true)).status).toBe(429);
    expect((await ask('/ws/subscribe', { 'X-Forwarded-For': '10.0.0.9' }, false)).status).toBe(426);
  });

  it('answers 429 while the address holds MAX_WS_CONNECTIONS_PER_IP connections', async () => {
    t = await startTestServer({ MAX_WS_CONNECTIONS_PER_IP: '1' });
    const clients: WsClient[] = [];
    try {
      clients.push(await WsClient.open(`${t.wsBase}/ws/publish`, { headers: { 'X-Forwarded-For': '10.0.0.1' } }));
      const crowded = await ask('/ws/subscribe', { 'X-Forwarded-For': '10.0.0.1' }, false);
      expect(crowded.status).toBe(429);
      expect(JSON.parse(crowded.body).detail).toContain('MAX_WS_CONNECTIONS_PER_IP: 1');
      expect((await ask('/ws/subscribe', { 'X-Forwarded-For': '10.0.0.2' }, false)).status).toBe(426);
    } finally {
      await closeAll(clients);
    }
  });
});
