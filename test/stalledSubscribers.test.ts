import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/testServer.js';
import { closeAll, isRecord, WsClient } from './support/wsClient.js';

const STALLED = 30;
/** Connections per client address (MAX_WS_CONNECTIONS_PER_IP's default). */
const PER_ADDRESS = 20;
const TOTAL_BYTES = 1024 * 1024;
/**
 * 8.6 MB published to each: a socket whose reader stopped takes about 4 MB into the kernel's buffers here before
 * uWS holds any of it (measured), so fewer would leave nothing for the bound to hold.
 */
const EVENTS = 4_000;
const PER_BATCH = 100;
const PAD = 'p'.repeat(2_000);

/** A firehose subscriber from `address` (X-Forwarded-For: the test server trusts loopback as its proxy). */
async function subscriber(wsBase: string, address: string): Promise<WsClient> {
  const client = await WsClient.open(`${wsBase}/ws/subscribe`, { headers: { 'X-Forwarded-For': address } });
  client.send({});
  expect(await client.next()).toMatchObject({ status: 'subscribed' });
  return client;
}

describe('subscribers that stop reading', () => {
  let t: TestServer | undefined;
  const clients: WsClient[] = [];
  afterEach(async () => {
    await closeAll(clients.splice(0));
    await t?.stop();
    t = undefined;
  });

  // Hint: each is held to its share of MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES (1 MiB / 31, about 33 KiB) and one record
  // more. Before that held, a topic member could take a routed chunk past its share (here a 215 KB commit each, 6 MB
  // in all), and messages uWS held back until the end of a loop turn went uncounted.
  it('hold no more than the total and one record each, while the producer is acked and a reader gets everything', async () => {
    t = await startTestServer({ MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES: String(TOTAL_BYTES) });
    for (let k = 0; k < STALLED; k++) {
      const client = await subscriber(t.wsBase, `10.9.${Math.floor(k / PER_ADDRESS)}.1`);
      client.pause();
      clients.push(client);
    }
    const reader = await subscriber(t.wsBase, '10.9.250.1');
    clients.push(reader);
    const buffered = async () =>
      Number(/^pipeline_subscriber_buffered_bytes (\d+)$/m.exec(await t!.server.metrics.scrape())?.[1]);

    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(producer);
    let peak = 0;
    let recordBytes = 0;
    for (let i = 0; i < EVENTS; i += PER_BATCH) {
      const batch = Array.from({ length: PER_BATCH }, (_, k) => ({
        event_type: 'timer_tick',
        source: 'stalled',
        session_id: `s${(i + k) % 7}`,
        payload: { n: i + k, pad: PAD },
      }));
      producer.send(batch);
      expect(await producer.next()).toMatchObject({ status: 'ok', count: PER_BATCH });
      peak = Math.max(peak, await buffered());
    }
    const offsets: number[] = [];
    while (offsets.length < EVENTS) {
      const message = await reader.next<unknown>();
      for (const item of Array.isArray(message) ? message : [message])
        if (isRecord(item)) {
          offsets.push(item.offset);
          recordBytes = Math.max(recordBytes, Buffer.byteLength(JSON.stringify(item)));
        }
    }
    expect(offsets).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    peak = Math.max(peak, await buffered());
    // They did fill up ...
    expect(peak).toBeGreaterThan(TOTAL_BYTES / 2);
    // ... and all of them together stayed within the total, give or take one record each.
    expect(peak).toBeLessThanOrEqual(TOTAL_BYTES + (STALLED + 1) * (recordBytes + 16));
  });
});
