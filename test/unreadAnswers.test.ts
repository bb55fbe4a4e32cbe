import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { subscriberHolds, unreadLimit } from '../src/http/unreadAnswers.js';
import { ACK_HIGH_WATER_BYTES } from '../src/http/wsPublish.js';
import { waitFor } from './support/pipelineRest.js';
import { startTestServer, type TestServer } from './support/testServer.js';

/** 100,000 pings of 125 bytes: 12.7 MB of pongs, far past the 4 MB or so a stopped socket's kernel buffers take here. */
const PINGS = 100_000;
const PAYLOAD = Buffer.alloc(125, 0x70);

async function open(t: TestServer, endpoint: 'publish' | 'subscribe'): Promise<WebSocket> {
  const ws = new WebSocket(`${t.wsBase}/ws/${endpoint}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  if (endpoint === 'subscribe') {
    ws.send('{}');
    const ack = await new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));
    expect(JSON.parse(ack)).toMatchObject({ status: 'subscribed' });
  }
  return ws;
}

async function connections(t: TestServer, endpoint: string): Promise<number> {
  const text = await t.server.metrics.scrape();
  return Number(new RegExp(`^pipeline_websocket_connections\\{endpoint="${endpoint}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
}

describe('a WebSocket peer that pings', () => {
  let t: TestServer | undefined;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await t?.stop();
    t = undefined;
  });

  // Hint: uWS answers every ping with a pong, queued however much the peer leaves unread; before this guard one
  // such peer held 64 MiB of the server's memory (uWS's own limit), 20 connections per address.
  for (const endpoint of ['publish', 'subscribe'] as const)
    it(`is closed with 1008 on /ws/${endpoint} once it pings without reading, its pongs bounded`, async () => {
      t = await startTestServer();
      const ws = await open(t, endpoint);
      sockets.push(ws);
      const closed = new Promise<[number, string]>((resolve) =>
        ws.once('close', (code, reason) => resolve([code, reason.toString()])),
      );
      ws.pause();
      for (let i = 0; i < PINGS; i++) ws.ping(PAYLOAD);
      await waitFor(async () => (await connections(t!, endpoint)) === 0, 'the server to close the peer', 20_000);
      ws.resume();
      const [code, reason] = await closed;
      expect(code).toBe(1008);
      expect(reason).toMatch(/^pings but does not read: \d+ bytes unread$/);
      // Closed at the first pong past what the endpoint holds for a reader and the slack.
      const holds = endpoint === 'publish' ? ACK_HIGH_WATER_BYTES : subscriberHolds(loadConfig({}));
      expect(Number(/\d+/.exec(reason)![0])).toBeLessThanOrEqual(unreadLimit(holds) + 127);
    });

  it('is answered every ping while it reads, and stays open', async () => {
    t = await startTestServer();
    const ws = await open(t, 'publish');
    sockets.push(ws);
    let pongs = 0;
    ws.on('pong', () => pongs++);
    for (let i = 0; i < PINGS; i++) ws.ping(PAYLOAD);
    await waitFor(() => pongs === PINGS, 'every pong', 20_000);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(await connections(t, 'publish')).toBe(1);
  });

  // Hint: `filters_updated` lists the keys an update ignored, so each answer here is as large as its message.
  it('is closed with 1008 on /ws/subscribe once it sends messages without reading their answers', async () => {
    // Hint: an answer lists at most 20 ignored keys (each of at most 64 characters), so it is about 1.6 KB however
    // large the message, and the kernel's socket buffers take a few MB: 4,000 answers pass them. The budget's clock
    // moves 20 ms a reading, so 1,000 messages per 10 s are never too many.
    const env = { SUBSCRIBER_BUFFER_BYTES: '1024', MAX_PAYLOAD_BYTES: '1024' };
    let tick = 0;
    t = await startTestServer(env, { clock: () => (tick += 20) });
    const ws = await open(t, 'subscribe');
    sockets.push(ws);
    const closed = new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, reason.toString()])),
    );
    ws.pause();
    const filters = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`unknown_${i}_${'k'.repeat(60)}`, 1]));
    const update = JSON.stringify({ type: 'update_filters', filters });
    for (let i = 0; i < 4_000 && ws.readyState === WebSocket.OPEN; i++) ws.send(update);
    await waitFor(async () => (await connections(t!, 'subscribe')) === 0, 'the server to close the peer', 20_000);
    ws.resume();
    const [code, reason] = await closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/^sends messages but does not read: \d+ bytes unread$/);
    // Closed at the first message after what it left unread passed the bound: one answer past it at most.
    const limit = unreadLimit(subscriberHolds(loadConfig(env)));
    expect(Number(/\d+/.exec(reason)![0])).toBeLessThanOrEqual(limit + 2 * update.length);
  });
});
