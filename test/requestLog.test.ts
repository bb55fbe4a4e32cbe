import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { pinoOptions } from '../src/actors/logger.js';
import { ServerMetrics } from '../src/http/metrics.js';
import { LOGGED_PATH_CHARS, loggedPath, RequestLog, requestIdFor } from '../src/http/requestLog.js';
import type { ServerDeps } from '../src/http/server.js';
import { uwsMaxPayload } from '../src/http/wsApi.js';
import { CapturingLogger, type LogLine } from './support/capturingLogger.js';
import { call, event, publish } from './support/httpCall.js';
import { parsePrometheusText, sampleValue } from './support/promText.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { UpgradeRefusedError, WsClient } from './support/wsClient.js';

const servers: TestServer[] = [];
async function serve(env: Record<string, string> = {}, dir?: string, deps: ServerDeps = {}) {
  const logger = new CapturingLogger();
  const ts = await startTestServer(env, { ...deps, logger }, dir);
  servers.push(ts);
  return { ts, logger };
}
// Hint: last started, first stopped: a server reopened on an earlier server's directory must close before that
// directory is removed (removing it under the open log cost a 10 s stall in the writer thread's close).
afterEach(async () => {
  for (const ts of servers.splice(0).reverse()) await ts.stop();
});

const requestLines = (logger: CapturingLogger): LogLine[] => logger.lines.filter((l) => l.msg === 'request');

describe('ISO timestamps', () => {
  it('the server logger writes "time" as ISO 8601 UTC', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    pino(pinoOptions('info'), sink).info({ a: 1 }, 'hello');
    const line = JSON.parse(lines[0]!) as { time: unknown; msg: string };
    expect(line.msg).toBe('hello');
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('request ids', () => {
  it('keeps a sane incoming id and replaces anything else', () => {
    expect(requestIdFor('abc-123.x:y')).toBe('abc-123.x:y');
    for (const bad of ['', 'has space', 'x'.repeat(129), 'new\nline', '<script>']) {
      const id = requestIdFor(bad, () => 'fresh');
      expect(id, JSON.stringify(bad)).toBe('fresh');
    }
  });
});

describe('HTTP request lines', () => {
  it('one info line per request: method, path, status, duration, client address and request id (echoed as X-Request-Id)', async () => {
    const { ts, logger } = await serve();
    const res = await call(`${ts.base}/health`);
    const missing = await call(`${ts.base}/nope`, { headers: { 'X-Request-Id': 'trace-42' } });
    expect(missing.headers.get('x-request-id')).toBe('trace-42');
    await expect.poll(() => requestLines(logger).length).toBe(2);
    const [health, nope] = requestLines(logger);
    expect(health!.level).toBe('info');
    expect(health!.obj).toMatchObject({ method: 'GET', path: '/health', status: 200, client: '127.0.0.1' });
    expect(health!.obj.request_id).toBe(res.headers.get('x-request-id'));
    expect(health!.obj.request_id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(typeof health!.obj.duration_ms).toBe('number');
    expect(nope!.obj).toMatchObject({ path: '/nope', status: 404, request_id: 'trace-42' });
  });

  it('a publish answered after its commit is logged with its final status', async () => {
    const { ts, logger } = await serve();
    expect((await publish(ts.base, event())).status).toBe(201);
    await expect.poll(() => requestLines(logger).map((l) => l.obj.status)).toEqual([201]);
  });

  it('LOG_REQUESTS=false writes no request lines, but failed auth is still a warning with the address', async () => {
    const { ts, logger } = await serve({ LOG_REQUESTS: 'false', REQUIRE_AUTH: 'true', API_KEY: 'k' });
    expect((await call(`${ts.base}/health`)).status).toBe(200);
    expect((await call(`${ts.base}/stats`, { headers: { 'X-API-Key': 'wrong' } })).status).toBe(401);
    expect(requestLines(logger)).toEqual([]);
    const warn = logger.lines.find((l) => l.msg === 'authentication failed');
    expect(warn?.level).toBe('warn');
    expect(warn?.obj).toMatchObject({ method: 'GET', path: '/stats', client: '127.0.0.1', status: 401 });
    expect(warn?.obj).not.toHaveProperty('apiKey');
  });

  it('a flood of wrong keys writes ten full lines a minute, then one line summing the rest at the next sweep', async () => {
    const clock = { ms: 0 };
    const { ts, logger } = await serve({ LOG_REQUESTS: 'false', REQUIRE_AUTH: 'true', API_KEY: 'k' });
    const rest = await serve({ LOG_REQUESTS: 'false', REQUIRE_AUTH: 'true', API_KEY: 'k' }, undefined, {
      clock: () => clock.ms,
    });
    for (const { ts: server } of [{ ts }, rest]) {
      for (let i = 0; i < 25; i++)
        expect((await call(`${server.base}/stats`, { headers: { 'X-API-Key': `wrong-${i}` } })).status).toBe(401);
    }
    expect(logger.lines.filter((l) => l.msg === 'authentication failed')).toHaveLength(10);
    const metrics = parsePrometheusText((await call(`${ts.base}/metrics`, { headers: { 'X-API-Key': 'k' } })).text);
    expect(sampleValue(metrics, 'pipeline_auth_failures_total')).toBe(25);
    clock.ms = 60_000;
    rest.ts.server.sweep();
    expect(rest.logger.lines.filter((l) => l.msg === 'authentication failed')).toHaveLength(10);
    expect(rest.logger.lines.at(-1)).toMatchObject({
      level: 'warn',
      msg: 'authentication failed more times than logged',
      obj: { times: 15, clients: 1, top_clients: '127.0.0.1 (15)' },
    });
  });

  it('a client cannot set a line size: a 100,000-character path is logged cut to 512 with its length', async () => {
    const { ts, logger } = await serve({ REQUIRE_AUTH: 'true', API_KEY: 'k' });
    const long = `/api/v1/sessions/${'a'.repeat(99_983)}`;
    expect((await call(`${ts.base}${long}`, { headers: { 'X-API-Key': 'wrong' } })).status).toBe(401);
    await expect.poll(() => requestLines(logger).length).toBe(1);
    const warn = logger.lines.find((l) => l.msg === 'authentication failed');
    const expected = `${long.slice(0, LOGGED_PATH_CHARS)}… (100000 characters)`;
    expect(warn?.obj.path).toBe(expected);
    expect(requestLines(logger)[0]!.obj.path).toBe(expected);
    expect(loggedPath('/events/evt_1')).toBe('/events/evt_1');
  });
});

describe('WebSocket lines', () => {
  it('an info line at open and at close, with endpoint, address, close code and duration', async () => {
    const { ts, logger } = await serve();
    const client = await WsClient.open(`${ts.wsBase}/ws/publish`);
    await client.close();
    await expect.poll(() => logger.lines.filter((l) => l.msg?.startsWith('websocket')).length).toBe(2);
    const [opened, closed] = logger.lines.filter((l) => l.msg?.startsWith('websocket'));
    expect(opened).toMatchObject({ level: 'info', msg: 'websocket opened' });
    expect(opened!.obj).toMatchObject({ endpoint: 'publish', path: '/ws/publish', client: '127.0.0.1' });
    expect(closed!.obj).toMatchObject({ endpoint: 'publish', code: 1005, request_id: opened!.obj.request_id });
    expect(typeof closed!.obj.duration_ms).toBe('number');
  });

  it("uWS's close of a message past its per-message cap is logged with its reason (the client sees 1006)", async () => {
    const { ts, logger } = await serve();
    const client = await WsClient.open(`${ts.wsBase}/ws/publish`);
    client.ws.send(' '.repeat(uwsMaxPayload(ts.config) + 1));
    expect(await client.closed).toEqual({ code: 1006, reason: '' });
    await expect.poll(() => logger.lines.some((l) => l.msg === 'websocket closed')).toBe(true);
    const closed = logger.lines.find((l) => l.msg === 'websocket closed');
    expect(closed?.obj).toMatchObject({ endpoint: 'publish', code: 1006, reason: 'Received too big message' });
  });

  it("a subscriber's close line names its subscriber id, which joins the supervisor's lines to the client", async () => {
    const { ts, logger } = await serve();
    const client = await WsClient.open(`${ts.wsBase}/ws/subscribe`);
    client.send({ event_types: ['quiz_started'] });
    const ack = await client.next<{ subscriber_id: string }>();
    await client.close();
    await expect.poll(() => logger.lines.some((l) => l.msg === 'subscriber disconnected')).toBe(true);
    await expect.poll(() => logger.lines.some((l) => l.msg === 'websocket closed')).toBe(true);
    const closed = logger.lines.find((l) => l.msg === 'websocket closed');
    expect(closed?.obj).toMatchObject({ endpoint: 'subscribe', client: '127.0.0.1', subscriber_id: ack.subscriber_id });
    const gone = logger.lines.find((l) => l.msg === 'subscriber disconnected');
    expect(gone?.obj).toEqual({ subscriber_id: ack.subscriber_id });
  });

  it('a refused upgrade for a wrong key is a warning with the address', async () => {
    const { ts, logger } = await serve({ REQUIRE_AUTH: 'true', API_KEY: 'k' });
    await expect(WsClient.open(`${ts.wsBase}/ws/subscribe?api_key=no`)).rejects.toBeInstanceOf(UpgradeRefusedError);
    const warn = logger.lines.find((l) => l.msg === 'authentication failed');
    expect(warn?.obj).toMatchObject({ path: '/ws/subscribe', client: '127.0.0.1', status: 401 });
    // The refused upgrade is an HTTP request, with its request line.
    expect(requestLines(logger).map((l) => l.obj)).toEqual([
      expect.objectContaining({ method: 'GET', path: '/ws/subscribe', status: 401, request_id: warn?.obj.request_id }),
    ]);
  });

  it('a slow-consumer close (4008) is logged at info with the running count, and counted in /metrics', async () => {
    const logger = new CapturingLogger();
    const metrics = new ServerMetrics();
    const log = new RequestLog({ logger, enabled: false, metrics, clock: () => 0 });
    const request = { method: 'GET', path: '/ws/subscribe', client: '10.0.0.9', request_id: 'r1' };
    log.wsOpened('subscribe', request);
    log.wsClosed('subscribe', request, 4008, 'slow consumer; resume with from_offset=12', 0);
    log.wsClosed('subscribe', request, 1000, '', 0);
    expect(logger.lines).toEqual([
      {
        level: 'info',
        msg: 'slow consumer closed',
        obj: { ...request, code: 4008, reason: 'slow consumer; resume with from_offset=12', slow_consumer_closes: 1 },
      },
    ]);
    const scraped = parsePrometheusText(await metrics.scrape());
    expect(sampleValue(scraped, 'pipeline_slow_consumer_closes_total')).toBe(1);
  });
});

describe('maintenance lines', () => {
  it('retention deletes are logged at info with the count', async () => {
    const { ts, logger } = await serve();
    await publish(ts.base, [event(), event()]);
    expect((await call(`${ts.base}/events`, { method: 'DELETE' })).status).toBe(200);
    const line = logger.lines.find((l) => l.msg === 'retention deleted events');
    expect(line).toMatchObject({ level: 'info', obj: { deleted: 2, before: 'all' } });
  });

  it('the index tail rebuilt at open is logged at info with the count', async () => {
    const first = await serve();
    await publish(first.ts.base, [event(), event(), event()]);
    await first.ts.close();
    const second = await serve({}, first.ts.dir);
    const line = second.logger.lines.find((l) => l.msg === 'index tail rebuilt in memory at open');
    expect(line).toMatchObject({ level: 'info', obj: { unindexed_offsets: 3, head_offset: 3 } });
  });
});
