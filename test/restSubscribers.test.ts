import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../src/actors/manualScheduler.js';
import { event, getJson, ISO_UTC, publish } from './support/httpCall.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { WsClient } from './support/wsClient.js';

interface Listing {
  head_offset: number;
  total: number;
  by_mode: Record<string, number>;
  subscribers: {
    id: string;
    mode: string;
    filter: Record<string, unknown>;
    next_offset: number | null;
    last_delivered: number | null;
    lag: number | null;
    connected_at: string;
    last_activity: string;
  }[];
}

describe('GET /api/v1/subscribers', () => {
  let dir: string;
  let t: TestServer | undefined;
  const clients: WsClient[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rep-subscribers-'));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (subscribe?: Record<string, unknown>) => {
    const client = await WsClient.open(`${t!.wsBase}/ws/subscribe`);
    clients.push(client);
    if (subscribe !== undefined) {
      client.send(subscribe);
      expect(await client.next()).toMatchObject({ status: 'subscribed' });
    }
    return client;
  };

  it('shows each subscriber with its mode, filter, position and lag behind the head', async () => {
    // Ten events in the log; the restarted server's replay pump runs only when the test lets it.
    const first = await startTestServer({}, {}, dir);
    await publish(
      first.base,
      Array.from({ length: 10 }, (_, i) => event({ session_id: `s-${i % 2}` })),
    );
    await first.close();
    const scheduler = new ManualScheduler();
    t = await startTestServer({}, { scheduler }, dir);
    expect((await getJson<Listing>(t.base, '/api/v1/subscribers')).body).toEqual({
      head_offset: 10,
      total: 0,
      by_mode: { awaiting_config: 0, replaying: 0, live: 0, lagging: 0 },
      subscribers: [],
    });

    await open({ session_id: 's-1', event_types: ['quiz_started'] });
    const replaying = await open({ from_offset: 4 });
    await open();
    const before = (await getJson<Listing>(t.base, '/api/v1/subscribers')).body;
    expect(before.by_mode).toEqual({ awaiting_config: 1, replaying: 1, live: 1, lagging: 0 });
    expect(before.subscribers.map((s) => [s.mode, s.filter, s.next_offset, s.last_delivered, s.lag])).toEqual([
      ['replaying', {}, 4, 3, 7],
      ['live', { event_types: ['quiz_started'], session_id: 's-1' }, 11, 10, 0],
      ['awaiting_config', {}, null, null, null],
    ]);
    expect(before.subscribers[0]!.connected_at).toMatch(ISO_UTC);
    expect(before.subscribers[0]!.last_activity).toMatch(ISO_UTC);

    scheduler.runImmediates();
    await replaying.take(7);
    const after = (await getJson<Listing>(t.base, '/subscribers?limit=1')).body;
    expect(after.total).toBe(3);
    expect(after.by_mode).toEqual({ awaiting_config: 1, replaying: 0, live: 2, lagging: 0 });
    expect(after.subscribers).toHaveLength(1);
    expect(after.subscribers[0]).toMatchObject({ last_delivered: 10, lag: 0 });
  });

  it('refuses a bad limit with 422 naming it', async () => {
    t = await startTestServer({}, {}, dir);
    const res = await getJson<{ detail: { loc: string[] }[] }>(t.base, '/api/v1/subscribers?limit=0');
    expect(res.status).toBe(422);
    expect(res.body.detail[0]!.loc).toEqual(['query', 'limit']);
  });

  it('needs the API key when REQUIRE_AUTH=true', async () => {
    t = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: 'k-subscribers' }, {}, dir);
    expect((await fetch(`${t.base}/api/v1/subscribers`)).status).toBe(401);
    const res = await fetch(`${t.base}/api/v1/subscribers`, { headers: { 'X-API-Key': 'k-subscribers' } });
    expect(res.status).toBe(200);
  });
});
