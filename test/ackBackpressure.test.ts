import { afterEach, describe, expect, it } from 'vitest';
import { ACK_HIGH_WATER_BYTES, CLOSE_ACK_BACKLOG } from '../src/http/wsPublish.js';
import { eventBody, stats, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { WsClient } from './support/wsClient.js';

/** What a producer saw of its acks: how many (and bytes), whether offsets rose strictly, the last, any non-ok reply. */
interface AckTally {
  count: number;
  bytes: number;
  inOrder: boolean;
  lastOffset: number;
  notOk: string | null;
}

function tally(client: WsClient): AckTally {
  const seen: AckTally = { count: 0, bytes: 0, inOrder: true, lastOffset: 0, notOk: null };
  client.stream((text) => {
    const ack = JSON.parse(text) as { status: string; offset: number };
    if (ack.status !== 'ok') seen.notOk ??= text.slice(0, 300);
    if (ack.offset <= seen.lastOffset) seen.inOrder = false;
    seen.lastOffset = ack.offset;
    seen.count++;
    seen.bytes += text.length;
  });
  return seen;
}

/** /metrics' refusals and closes at memory bounds, by setting (only those counted). */
async function boundRefusals(base: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, setting, count] of text.matchAll(/^pipeline_memory_bound_refusals_total\{setting="(\w+)"\} (\d+)$/gm))
    counts[setting!] = Number(count);
  return counts;
}

describe('/ws/publish acks under backpressure', () => {
  let t: TestServer | null = null;
  const clients: WsClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await t?.stop();
    t = null;
  });

  // Hint: 100,000 acks padded by a 600-character `ref` (echoed in each ack) make about 67 MB of unread acks, more
  // than the 1,000,000 bare acks (about 66 bytes each) this test used to send, at a tenth of the events. Loopback's
  // kernel buffers (a few MB) and the 1 MiB socket high water hold a small part of that, so most of it must wait in the
  // server's ack queue: the test checks that figure below, so the queue path cannot be skipped silently.
  it('delivers every ack, in order, to a producer that writes 100,000 events (67 MB of acks) before reading any', {
    timeout: 600_000,
  }, async () => {
    const TOTAL = 100_000;
    t = await startTestServer();
    const producer = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(producer);
    const seen = tally(producer);
    producer.pause();
    const text = JSON.stringify({ ...eventBody({ payload: { n: 1 } }), ref: 'r'.repeat(600) });
    for (let i = 0; i < TOTAL; i++) producer.ws.send(text);
    const base = t.base;
    await waitFor(async () => (await stats(base)).head_offset === TOTAL || null, 'all events committed', 480_000, 100);
    expect(seen.count).toBe(0);
    producer.resume();
    await waitFor(() => seen.count >= TOTAL || producer.isClosed || null, 'every ack to arrive', 120_000, 50);
    expect(producer.isClosed).toBe(false);
    expect(seen.notOk).toBeNull();
    expect(seen.count).toBe(TOTAL);
    expect(seen.inOrder).toBe(true);
    expect(seen.lastOffset).toBe(TOTAL);
    // Far more than kernel buffers and the socket's high water can hold while the producer does not read.
    expect(seen.bytes).toBeGreaterThan(64 * ACK_HIGH_WATER_BYTES);
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
    expect(await boundRefusals(t.base)).toEqual({ MAX_ACK_BACKLOG_BYTES: 1 });
  });

  it("closes the producer holding the most once all producers' unread acks pass MAX_ACK_BACKLOG_TOTAL_BYTES", {
    timeout: 120_000,
  }, async () => {
    // Hint: each producer alone stays far under its own bound (the default 128 MiB); together they pass the total.
    t = await startTestServer({ MAX_ACK_BACKLOG_TOTAL_BYTES: String(4 * 1024 * 1024) });
    const large = await WsClient.open(`${t.wsBase}/ws/publish`);
    const small = await WsClient.open(`${t.wsBase}/ws/publish`);
    clients.push(large, small);
    const [largeSeen, smallSeen] = [tally(large), tally(small)];
    large.pause();
    small.pause();
    const text = JSON.stringify({ ...eventBody(), ref: 'r'.repeat(50_000) });
    // 20 acks of 50 KB (1 MB) fit in kernel buffers and the socket's high water; 400 (20 MB) do not.
    for (let i = 0; i < 20; i++) small.ws.send(text);
    await waitFor(async () => (await stats(t!.base)).head_offset === 20 || null, 'the small producer committed');
    for (let i = 0; i < 400; i++) large.ws.send(text);
    const pipeline = t.server.pipeline;
    await waitFor(() => pipeline.stats().publishers === 1 || null, 'the large producer to be closed', 60_000, 50);
    large.resume();
    small.resume();
    const close = await large.closed;
    expect(close.code).toBe(CLOSE_ACK_BACKLOG);
    const match = /^ack backlog full \(server total\); acked through offset (\d+); committed through (\d+)$/.exec(
      close.reason,
    );
    expect(match).not.toBeNull();
    expect(largeSeen.lastOffset).toBe(Number(match![1]));
    expect(largeSeen.count).toBeLessThan(400);
    // The other producer keeps its connection and gets every ack.
    await waitFor(() => smallSeen.count === 20 || null, 'the small producer to get its acks');
    expect(small.isClosed).toBe(false);
    expect([smallSeen.notOk, smallSeen.inOrder, smallSeen.lastOffset]).toEqual([null, true, 20]);
    expect(await boundRefusals(t.base)).toEqual({ MAX_ACK_BACKLOG_TOTAL_BYTES: 1 });
  });

  it("past MAX_ACK_BACKLOG_TOTAL_BYTES closes the largest producer of the address holding the most, not another address's larger one", {
    timeout: 120_000,
  }, async () => {
    const bound = 8 * 1024 * 1024;
    t = await startTestServer({ MAX_ACK_BACKLOG_TOTAL_BYTES: String(bound) });
    const server = t.server;
    const open = async (address: string) => {
      const client = await WsClient.open(`${t!.wsBase}/ws/publish`, { headers: { 'X-Forwarded-For': address } });
      clients.push(client);
      client.pause();
      return client;
    };
    const text = JSON.stringify({ ...eventBody(), ref: 'r'.repeat(50_000) });
    let sent = 0;
    let honestSent = 0;
    // Five 50 KB acks, committed, flushed (or queued) and counted before the next step.
    const fiveMore = async (client: WsClient) => {
      for (let i = 0; i < 5; i++) client.ws.send(text);
      sent += 5;
      if (client === honest) honestSent += 5;
      await waitFor(() => server.pipeline.log.headOffset() === sent || null, `${sent} events committed`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const unread = async () => Number(/^pipeline_unread_ack_bytes (\d+)$/m.exec(await server.metrics.scrape())![1]);
    // One honest producer holds between a third and half of the bound (its kernel buffers fill first, so count).
    const honest = await open('198.51.100.1');
    const honestSeen = tally(honest);
    while ((await unread()) < 0.4 * bound) await fiveMore(honest);
    const honestHolds = await unread();
    expect(honestHolds).toBeLessThan(0.5 * bound);
    // Two producers of another address, in turn, each holding less than the honest one, until the total passes.
    const greedy = [await open('198.51.100.2'), await open('198.51.100.2')];
    for (let turn = 0; server.pipeline.stats().publishers === 3; turn++) {
      expect(turn).toBeLessThan(200);
      await fiveMore(greedy[turn % 2]!);
    }
    // The address holding the most (about 0.6 of the bound, in two halves) loses one; the honest producer stays.
    expect(server.pipeline.stats().publishers).toBe(2);
    for (const client of [honest, ...greedy]) client.resume();
    const all = [honest, ...greedy];
    const first = await Promise.race(all.map((client) => client.closed.then((info) => ({ client, info }))));
    expect(first.client === honest ? 'the honest producer' : 'a greedy producer').toBe('a greedy producer');
    expect(first.info.code).toBe(CLOSE_ACK_BACKLOG);
    expect(first.info.reason).toMatch(/^ack backlog full \(server total\); /);
    await waitFor(() => honestSeen.count === honestSent || null, 'the honest producer to get every ack');
    expect([honestSeen.notOk, honestSeen.inOrder, honest.isClosed]).toEqual([null, true, false]);
  });
});
