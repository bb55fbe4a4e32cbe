import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BATCH_MESSAGE_BYTES } from '../src/actors/subscriber.js';
import { eventBody, waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { WsClient } from './support/wsClient.js';

/** Publish `count` records whose payload is `chars` long, 10 per message; returns the head offset. */
async function publishLarge(t: TestServer, count: number, chars: number): Promise<number> {
  const p = await WsClient.open(`${t.wsBase}/ws/publish`);
  let last = 0;
  try {
    for (let i = 0; i < count; i += 10) {
      p.send(Array.from({ length: 10 }, (_, j) => eventBody({ payload: { i: i + j, blob: 'x'.repeat(chars) } })));
    }
    for (let i = 0; i < count; i += 10) last = (await p.next()).last_offset as number;
  } finally {
    await p.close();
  }
  return last;
}

/** A reader that reads normally: it records message sizes and record offsets until it has `head`. */
async function readAll(
  t: TestServer,
  request: object,
  head: number,
): Promise<{ sizes: number[]; offsets: number[]; closed: boolean }> {
  const client = await WsClient.open(`${t.wsBase}/ws/subscribe`);
  const sizes: number[] = [];
  const offsets: number[] = [];
  client.stream((text) => {
    const message = JSON.parse(text) as unknown;
    const records = Array.isArray(message) ? message : [message];
    let isData = false;
    for (const r of records as { offset?: unknown; event_type?: unknown }[]) {
      if (typeof r.offset === 'number' && typeof r.event_type === 'string') {
        offsets.push(r.offset);
        isData = true;
      }
    }
    if (isData) sizes.push(Buffer.byteLength(text));
  });
  client.send(request);
  try {
    await waitFor(() => offsets.at(-1) === head || client.isClosed || null, `records through ${head}`, 60_000, 20);
    return { sizes, offsets, closed: client.isClosed };
  } finally {
    await client.close();
  }
}

describe('subscribers of large records', () => {
  let t: TestServer | null = null;
  afterEach(async () => {
    await t?.stop();
    t = null;
  });
  const env = { MAX_PAYLOAD_BYTES: '100000', SLOW_CONSUMER_TIMEOUT_MS: '3000' };

  it('replays 1,000 records of 60 KB with batch:true in messages bounded by bytes, to a reader that reads', {
    timeout: 120_000,
  }, async () => {
    t = await startTestServer(env);
    const head = await publishLarge(t, 1_000, 60_000);
    const { sizes, offsets, closed } = await readAll(t, { from_offset: 1, batch: true }, head);
    expect(closed).toBe(false);
    expect(offsets).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    // A message holds at most MAX_BATCH_MESSAGE_BYTES, or one record when a single record is larger.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_BATCH_MESSAGE_BYTES + 70_000);
    expect(sizes.length).toBeGreaterThan(1);
  });

  it('replays 1,000 records of 16 KB one per message to a reader that reads, without closing it as slow', {
    timeout: 120_000,
  }, async () => {
    t = await startTestServer(env);
    const head = await publishLarge(t, 1_000, 16_000);
    const { offsets, closed } = await readAll(t, { from_offset: 1 }, head);
    expect(closed).toBe(false);
    expect(offsets).toEqual(Array.from({ length: head }, (_, i) => i + 1));
  });

  it('bounds a live batch:true message by bytes too', { timeout: 120_000 }, async () => {
    t = await startTestServer({ ...env, MAX_WS_MESSAGE_BYTES: String(8 * 1024 * 1024) });
    const client = await WsClient.open(`${t.wsBase}/ws/subscribe`);
    client.send({ batch: true });
    expect(await client.next()).toMatchObject({ status: 'subscribed' });
    const sizes: number[] = [];
    let records = 0;
    client.stream((text) => {
      const message = JSON.parse(text) as unknown;
      if (!Array.isArray(message)) return;
      sizes.push(Buffer.byteLength(text));
      records += message.length;
    });
    try {
      // One message of 100 × 60 KB: one group commit, 6 MB of matches for this subscriber.
      const p = await WsClient.open(`${t.wsBase}/ws/publish`);
      const big = JSON.stringify(
        Array.from({ length: 100 }, (_, i) => eventBody({ payload: { i, blob: 'y'.repeat(60_000) } })),
      );
      p.send(big);
      await p.next();
      await p.close();
      await waitFor(() => records >= 100 || client.isClosed || null, 'live records', 30_000);
      expect(client.isClosed).toBe(false);
      expect(records).toBe(100);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_BATCH_MESSAGE_BYTES + 70_000);
    } finally {
      await client.close();
    }
  });
});
