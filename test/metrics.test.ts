import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../src/actors/manualScheduler.js';
import { call, event, JSON_TYPE, publish } from './support/httpCall.js';
import { type Family, parsePrometheusText, sampleValue } from './support/promText.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { subscribe, WsClient } from './support/wsClient.js';

async function scrape(ts: TestServer, headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const res = await call(`${ts.base}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(res.text);
}

const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
  sampleValue(families, name, labels) ?? 0;

describe('the Prometheus text parser used here', () => {
  it('refuses malformed expositions', () => {
    expect(() => parsePrometheusText('x 1\n')).toThrow(/before its # TYPE/);
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="1} 1\n')).toThrow(/bad/);
    expect(() => parsePrometheusText('# TYPE x counter\nx one\n')).toThrow(/bad/);
    expect(() =>
      parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n'),
    ).toThrow(/cumulative/);
    expect(value(parsePrometheusText('# TYPE x gauge\nx{a="q\\"r"} 2.5\n'), 'x', { a: 'q"r' })).toBe(2.5);
  });
});

describe('GET /metrics', () => {
  let ts: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
    other = await startTestServer();
  });
  afterAll(async () => {
    await ts.stop();
    await other.stop();
  });

  it('starts at zero with the process metrics, each server with its own registry', async () => {
    const m = await scrape(ts);
    expect(value(m, 'pipeline_group_commits_total')).toBe(0);
    expect(value(m, 'pipeline_head_offset')).toBe(0);
    expect(sampleValue(m, 'pipeline_websocket_connections', { endpoint: 'publish' })).toBe(0);
    expect(m.get('pipeline_commit_duration_seconds')?.type).toBe('histogram');
    expect(m.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(m.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
    // Hint: an embedded server has no NATS, stream or replica: the cluster gauges are absent, not a constant.
    const cluster = ['nats_connected', 'nats_stream_usable', 'replica_lag_offsets', 'replica_divergent'];
    for (const name of [...cluster, 'replica_audited_offset']) expect(m.has(`pipeline_${name}`)).toBe(false);
  });

  it('moves as events flow over REST: appends by type, commits, latency and batch histograms, acks and errors', async () => {
    expect((await publish(ts.base, [event({ session_id: 's1' }), event({ event_type: 'quiz_started' })])).status).toBe(
      201,
    );
    expect((await publish(ts.base, event())).status).toBe(201);
    expect((await publish(ts.base, { source: 'x' })).status).toBe(422);
    expect(
      (await call(`${ts.base}/events`, { method: 'POST', headers: JSON_TYPE, body: Buffer.from([0xff]) })).status,
    ).toBe(400);
    const m = await scrape(ts);
    expect(value(m, 'pipeline_events_appended_total', { event_type: 'answer_submitted' })).toBe(2);
    expect(value(m, 'pipeline_events_appended_total', { event_type: 'quiz_started' })).toBe(1);
    const commits = value(m, 'pipeline_group_commits_total');
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(value(m, 'pipeline_commit_duration_seconds_count')).toBe(commits);
    expect(value(m, 'pipeline_commit_batch_events_sum')).toBe(3);
    expect(value(m, 'pipeline_head_offset')).toBe(3);
    expect(value(m, 'pipeline_pending_events')).toBe(0);
    expect(value(m, 'pipeline_publish_acks_total', { transport: 'rest' })).toBe(2);
    expect(value(m, 'pipeline_publish_errors_total', { transport: 'rest', reason: 'invalid' })).toBe(1);
    expect(value(m, 'pipeline_publish_errors_total', { transport: 'rest', reason: 'bad_request' })).toBe(1);
    expect(value(m, 'pipeline_session_actors')).toBeGreaterThanOrEqual(1);
    expect(value(m, 'pipeline_index_unindexed_offsets')).toBeGreaterThanOrEqual(0);
    // The other server saw none of it.
    const o = await scrape(other);
    expect(value(o, 'pipeline_head_offset')).toBe(0);
    expect(value(o, 'pipeline_publish_acks_total', { transport: 'rest' })).toBe(0);
  });

  it('counts WebSocket connections by endpoint, subscribers by mode, and /ws/publish acks and errors', async () => {
    const producer = await WsClient.open(`${ts.wsBase}/ws/publish`);
    const { client: reader } = await subscribe(ts.wsBase, { from_offset: 1 });
    producer.send(event({ event_type: 'quiz_completed' }));
    expect((await producer.next()).status).toBe('ok');
    producer.send({ event_type: 'nope', source: 'x' });
    expect((await producer.next()).status).toBe('error');
    const m = await scrape(ts);
    expect(value(m, 'pipeline_websocket_connections', { endpoint: 'publish' })).toBe(1);
    expect(value(m, 'pipeline_websocket_connections', { endpoint: 'subscribe' })).toBe(1);
    const modes = ['awaiting_config', 'replaying', 'live', 'lagging'].map((mode) =>
      value(m, 'pipeline_subscribers', { mode }),
    );
    expect(modes.reduce((a, b) => a + b)).toBe(1);
    expect(value(m, 'pipeline_subscriber_lag_max_offsets')).toBeGreaterThanOrEqual(0);
    // One subscriber open: the whole SUBSCRIBER_BUFFER_BYTES, far under its share of the total.
    expect(value(m, 'pipeline_subscriber_buffer_bytes_each')).toBe(1024 * 1024);
    expect(value(m, 'pipeline_publish_acks_total', { transport: 'ws' })).toBe(1);
    expect(value(m, 'pipeline_publish_errors_total', { transport: 'ws', reason: 'invalid' })).toBe(1);
    expect(value(m, 'pipeline_events_appended_total', { event_type: 'quiz_completed' })).toBe(1);
    await producer.close();
    await reader.close();
    await expect
      .poll(async () => value(await scrape(ts), 'pipeline_websocket_connections', { endpoint: 'publish' }))
      .toBe(0);
  });
});

describe('pipeline_publish_errors_total reasons', () => {
  it('names a refusal alike over REST and /ws/publish: not UTF-8 bad_request, not JSON or not an event invalid, oversized too_large', async () => {
    const ts = await startTestServer({ MAX_WS_MESSAGE_BYTES: '2000' });
    const producer = await WsClient.open(`${ts.wsBase}/ws/publish`);
    try {
      const gzip = await call(`${ts.base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: '{}',
      });
      expect(gzip.status).toBe(415);
      // As its status says over REST: 400 for bytes that are not UTF-8, 422 (FastAPI's json_invalid) for text that is not JSON.
      for (const [body, status] of [
        [Buffer.from([0xff, 0xfe]), 400],
        ['{bad', 422],
      ] as const) {
        expect((await call(`${ts.base}/events`, { method: 'POST', headers: JSON_TYPE, body })).status).toBe(status);
      }
      for (const message of [
        '{bad',
        Buffer.from([0xff, 0xfe]),
        'x'.repeat(3000),
        { event_type: 'nope', source: 's' },
      ]) {
        producer.send(message);
        expect((await producer.next()).status).toBe('error');
      }
      const m = await scrape(ts);
      const reasons = (transport: string) =>
        Object.fromEntries(
          ['bad_request', 'invalid', 'too_large', 'internal']
            .map((reason) => [reason, value(m, 'pipeline_publish_errors_total', { transport, reason })])
            .filter(([, count]) => count !== 0),
        );
      expect(reasons('rest')).toEqual({ bad_request: 2, invalid: 1 });
      // Before: a message that is not JSON counted as bad_request here, where REST now answers it 422 (invalid).
      expect(reasons('ws')).toEqual({ bad_request: 1, too_large: 1, invalid: 2 });
    } finally {
      await producer.close();
      await ts.stop();
    }
  });
});

describe('/metrics behind auth, and refusals', () => {
  it('reports pipeline_ready 1, and 0 once the log cannot be written (its -wal removed), as /readiness does', async () => {
    const t = await startTestServer();
    try {
      expect(sampleValue(await scrape(t), 'pipeline_ready', {})).toBe(1);
      rmSync(`${t.config.databasePath}-wal`);
      t.server.sweep();
      expect(sampleValue(await scrape(t), 'pipeline_ready', {})).toBe(0);
      expect((await call(`${t.base}/readiness`)).status).toBe(503);
    } finally {
      await t.stop();
    }
  });

  it('needs the API key with REQUIRE_AUTH=true, counts failed keys and rate-limit refusals', async () => {
    // Hint: 2, not 1: the scrape refused for its missing key spends the query budget too (see the next test).
    const ts = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: 'k', RATE_LIMIT_QUERY: '2/minute' });
    try {
      expect((await call(`${ts.base}/metrics`)).status).toBe(401);
      const key = { 'X-API-Key': 'k' };
      expect((await call(`${ts.base}/events`, { headers: key })).status).toBe(200);
      expect((await call(`${ts.base}/events`, { headers: key })).status).toBe(429);
      const m = await scrape(ts, key);
      expect(value(m, 'pipeline_rate_limit_refusals_total', { limit: 'query' })).toBe(1);
      expect(value(m, 'pipeline_auth_failures_total')).toBe(1);
    } finally {
      await ts.stop();
    }
  });

  it('charges a wrong key to RATE_LIMIT_QUERY, so keys cannot be guessed through it, and never refuses a scrape with the key', async () => {
    const ts = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: 'k', RATE_LIMIT_QUERY: '3/minute' });
    try {
      const guesses = [];
      for (let i = 0; i < 5; i++)
        guesses.push((await call(`${ts.base}/metrics`, { headers: { 'X-API-Key': `guess${i}` } })).status);
      expect(guesses).toEqual([401, 401, 401, 429, 429]);
      for (let i = 0; i < 5; i++)
        expect((await call(`${ts.base}/metrics`, { headers: { 'X-API-Key': 'k' } })).status).toBe(200);
    } finally {
      await ts.stop();
    }
  });

  it('counts a /ws/publish message refused by RATE_LIMIT_PUBLISH as a publish rate-limit refusal, as POST /events', async () => {
    const ts = await startTestServer({ RATE_LIMIT_PUBLISH: '1/minute' });
    const producer = await WsClient.open(`${ts.wsBase}/ws/publish`);
    try {
      producer.send(event());
      expect((await producer.next()).status).toBe('ok');
      producer.send(event());
      expect(await producer.next()).toMatchObject({ status: 'error', code: 429 });
      expect((await publish(ts.base, event())).status).toBe(429);
      const m = await scrape(ts);
      expect(value(m, 'pipeline_publish_errors_total', { transport: 'ws', reason: 'rate_limited' })).toBe(1);
      expect(value(m, 'pipeline_rate_limit_refusals_total', { limit: 'publish' })).toBe(2);
    } finally {
      await producer.close();
      await ts.stop();
    }
  });

  it('reads how far the wall clock is behind the newest event timestamp, which new events get meanwhile', async () => {
    const scheduler = new ManualScheduler(1_700_000_000_000, true);
    const ts = await startTestServer({}, { scheduler });
    try {
      // The wall clock a minute ahead for one publish, then back: the log's times never go back.
      scheduler.stepWall(60_000);
      expect((await publish(ts.base, event())).status).toBe(201);
      scheduler.stepWall(-60_000);
      expect((await publish(ts.base, event())).status).toBe(201);
      expect(value(await scrape(ts), 'pipeline_wall_clock_behind_log_seconds')).toBe(60);
      scheduler.advance(60_000);
      expect(value(await scrape(ts), 'pipeline_wall_clock_behind_log_seconds')).toBe(0);
    } finally {
      await ts.stop();
    }
  });

  it('is public with METRICS_PUBLIC=true while the API still needs the key', async () => {
    const ts = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: 'k', METRICS_PUBLIC: 'true' });
    try {
      expect((await call(`${ts.base}/metrics`)).status).toBe(200);
      expect((await call(`${ts.base}/stats`)).status).toBe(401);
    } finally {
      await ts.stop();
    }
  });
});
