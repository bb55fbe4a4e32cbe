import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_ACK_BACKLOG } from '../src/http/wsPublish.js';
import { eventBody, stats, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { WsClient } from './support/wsClient.js';

/** What a producer saw of its acks: how many, whether offsets rose strictly, the last offset, any non-ok reply. */
interface AckTally {
  count: number;
  inOrder: boolean;
  lastOffset: number;
  notOk: string | null;
}

function tally(client: WsClient): AckTally {
  const seen: AckTally = { count: 0, inOrder: true, lastOffset: 0, notOk: null };
  client.stream((text) => {
    const ack = JSON.parse(text) as { status: string; offset: number };
    if (ack.status !== 'ok') seen.notOk ??= text.slice(0, 300);
    if (ack.offset <= seen.lastOffset) seen.inOrder = false;
    seen.lastOffset = ack.offset;
    seen.count++;
  });
  return seen;
}

describe('/ws/publish acks under backpressure', () => {
  let t: TestServer | null = null;
  const clients: WsClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await t?.stop();
    t = null;
  });

  it('delivers every ack, in order, to a producer that writes 1,000,000 events before reading any', {
    timeout: 600_000,
  }, async () => {
    const TOTAL = 1_000_000;
    t = await startTestServer();
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(producer);
    const seen = tally(producer);
    producer.pause();
    const text = JSON.stringify(eventBody({ payload: { n: 1 } }));
    for (let i = 0; i < TOTAL; i++) producer.ws.send(text);
    const base = t.base;
    await waitFor(async () => (await stats(base)).head_offset === TOTAL || null, 'all events committed', 480_000, 500);
    expect(seen.count).toBe(0);
    producer.resume();
    await waitFor(() => seen.count >= TOTAL || producer.isClosed || null, 'every ack to arrive', 120_000, 100);
    expect(producer.isClosed).toBe(false);
    expect(seen.notOk).toBeNull();
    expect(seen.count).toBe(TOTAL);
    expect(seen.inOrder).toBe(true);
    expect(seen.lastOffset).toBe(TOTAL);
  });

  it('closes a producer whose unread acks pass the bound with 4009, naming the offsets acked and committed', {
    timeout: 120_000,
  }, async () => {
    t = await startTestServer({ MAX_ACK_BACKLOG_BYTES: String(256 * 1024) });
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(producer);
    const seen = tally(producer);
    producer.pause();
    // Hint: `ref` is echoed, so 50 KB refs make 50 KB acks: 1,000 of them overflow kernel buffers, uWS's and the bound.
    const ref = 'r'.repeat(50_000);
    const text = JSON.stringify({ ...eventBody(), ref });
    for (let i = 0; i < 1_000; i++) producer.ws.send(text);
    const pipeline = t.server.pipeline;
    // The server closes once the backlog passes the bound; the producer only sees it once it reads again.
    await waitFor(() => pipeline.stats().publishers === 0 || null, 'the producer to be closed', 60_000, 50);
    producer.resume();
    const close = await producer.closed;
    expect(close.code).toBe(CLOSE_ACK_BACKLOG);
    const match = /^ack backlog full; acked through offset (\d+); committed through (\d+)$/.exec(close.reason);
    expect(match).not.toBeNull();
    const acked = Number(match![1]);
    const committed = Number(match![2]);
    expect(seen.count).toBeGreaterThan(0);
    expect(seen.count).toBeLessThan(1_000);
    expect(seen.notOk).toBeNull();
    expect(seen.inOrder).toBe(true);
    // Every ack the server counted as sent arrived before the close frame; nothing after it was lost silently.
    expect(seen.lastOffset).toBe(acked);
    expect(committed).toBeGreaterThan(acked);
    expect(pipeline.log.headOffset()).toBeGreaterThanOrEqual(committed);
  });
});
