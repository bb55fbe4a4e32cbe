import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { allEvents, getJson } from './support/pipelineRest.js';
import { type Message, subscribe, type WireRecord, WsClient } from './support/wsClient.js';

describe('SIGTERM (graceful shutdown of the real process)', () => {
  let dir: string | undefined;
  const servers: ChildServer[] = [];
  const clients: WsClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const server of servers.splice(0)) await killServer(server);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('closes subscribers and publishers with 1001, acks what it committed, and exits 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rep-sigterm-'));
    const db = join(dir, 'events.db');
    const server = await spawnServer(db);
    servers.push(server);

    const publisher = await WsClient.open(`${server.wsBase}/ws/publish`);
    clients.push(publisher);
    publisher.send({ event_type: 'quiz_started', source: 'shutdown_test', session_id: 'x' });
    expect(await publisher.next()).toMatchObject({ status: 'ok', offset: 1 });

    const live = await subscribe(server.wsBase, {});
    const replaying = await subscribe(server.wsBase, { from_offset: 1, batch: true });
    const filtered = await subscribe(server.wsBase, { session_id: 'nothing-here', checkpoints: true });
    const unconfigured = await WsClient.open(`${server.wsBase}/ws/subscribe`);
    clients.push(live.client, replaying.client, filtered.client, unconfigured);
    expect(await replaying.client.next<unknown>()).toEqual([expect.objectContaining({ offset: 1 })]);

    // A few publishes still in flight when the signal arrives.
    for (let i = 0; i < 5; i++)
      publisher.send({ event_type: 'answer_submitted', source: 'shutdown_test', payload: { i } });
    server.proc.kill('SIGTERM');

    for (const client of [live.client, replaying.client, filtered.client, unconfigured, publisher]) {
      expect((await client.closed).code).toBe(1001);
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });

    // Whatever was acked before the close is in the log after a restart.
    const acks: Message[] = [];
    while (publisher.pending > 0) acks.push(await publisher.next());
    for (const ack of acks) expect(ack.status).toBe('ok');
    const restarted = await spawnServer(db);
    servers.push(restarted);
    for (const ack of acks) {
      const stored = await getJson<WireRecord>(`${restarted.base}/events/${ack.event_id as string}`);
      expect(stored.status).toBe(200);
      expect(stored.body.offset).toBe(ack.offset);
    }
    // And nothing was committed without its ack going out first: the drain acks every commit it makes.
    expect((await allEvents(restarted.base)).map((r) => r.offset)).toEqual([1, ...acks.map((a) => a.offset as number)]);
  });
});
