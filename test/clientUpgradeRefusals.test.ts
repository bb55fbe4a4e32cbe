import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  type PublishEvent,
  Publisher,
  PublishRejectedError,
  SubscriptionRejectedError,
  subscribe,
} from '../src/client/index.js';
import { cleanAck, type SentMessage } from './support/fakePublishServer.js';
import { ManualScheduler } from './support/scriptedClient.js';
import { wireAck, wireRecord } from './support/scriptedServer.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const KEY = 'refusals-key';
const tick: PublishEvent = { event_type: 'timer_tick', source: 'refusals', payload: {} };

let t: TestServer | null = null;
let stopProxy: (() => Promise<void>) | null = null;
afterEach(async () => {
  await t?.stop();
  t = null;
  await stopProxy?.();
  stopProxy = null;
});

/** How a subscription ends: its error, or null when it ended without one. */
async function failure(options: Parameters<typeof subscribe>[0]): Promise<unknown> {
  const sub = subscribe({ from: 1, ...options });
  try {
    for await (const _ of sub) return null;
    return null;
  } catch (error) {
    return error;
  }
}

/** A `ws` socket sent from a page of `origin`, as a browser would send it. */
const fromPage = (origin: string) =>
  class extends WebSocket {
    constructor(url: string, protocols?: string[]) {
      super(url, protocols, { origin });
    }
  };

describe('the SDK on `ws` against a refused upgrade', () => {
  it("names what was refused and the server's reason, with the status, for a wrong key and a foreign Origin", async () => {
    t = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: KEY, CORS_ORIGINS: 'https://school.example' });
    const keyRefused = 'the server refused the API key (401: Invalid or missing API key)';
    expect(await failure({ url: t.base, apiKey: 'wrong' })).toEqual(new SubscriptionRejectedError(keyRefused, 401));
    expect(await failure({ url: t.base, apiKey: 'wrong' })).toMatchObject({ status: 401, message: keyRefused });
    const publisher = new Publisher({ url: t.base, apiKey: 'wrong', deliveryTimeoutMs: 60_000 });
    await expect(publisher.publish(tick)).rejects.toEqual(new PublishRejectedError(keyRefused, 401));
    publisher.destroy();

    const originRefused = 'the server refused access (403: Origin https://evil.example is not allowed (CORS_ORIGINS))';
    const WebSocket = fromPage('https://evil.example');
    expect(await failure({ url: t.base, apiKey: KEY, WebSocket })).toMatchObject({
      status: 403,
      message: originRefused,
    });
    const fromEvil = new Publisher({ url: t.base, apiKey: KEY, WebSocket, deliveryTimeoutMs: 60_000 });
    await expect(fromEvil.publish(tick)).rejects.toMatchObject({ code: 403, message: originRefused });
    fromEvil.destroy();
  });

  it('waits the Retry-After of a 429 before it tries again', async () => {
    t = await startTestServer({ RATE_LIMIT_QUERY: '1/minute' });
    expect((await fetch(`${t.base}/stats`)).status).toBe(200); // Hint: spends this address's budget
    const scheduler = new ManualScheduler();
    const notices: string[] = [];
    const sub = subscribe({ url: t.base, from: 1, scheduler, onNotice: (notice) => notices.push(notice.message) });
    try {
      await vi.waitFor(() => expect(notices).toHaveLength(1));
      const delay = Number(/reconnecting in (\d+) ms/.exec(notices[0]!)?.[1]);
      expect(notices[0]).toMatch(/^closed 1006 \(Unexpected server response: 429\); reconnecting in \d+ ms/);
      expect(delay).toBeGreaterThanOrEqual(50_000);
    } finally {
      await sub.close();
    }
  });
});

describe('an API key with spaces or tabs at its ends', () => {
  it('is sent without them, as REST takes it (the server takes no key that has them)', async () => {
    t = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: KEY });
    for (const apiKeyIn of ['protocol', 'query'] as const) {
      const publisher = new Publisher({ url: t.base, apiKey: `  ${KEY}\t`, apiKeyIn });
      const { offset } = await publisher.publish(tick);
      await publisher.close();
      const sub = subscribe({ url: t.base, apiKey: `\t${KEY} `, apiKeyIn, from: offset });
      for await (const record of sub) {
        expect(record.offset).toBe(offset);
        break;
      }
    }
  });
});

/**
 * A fake pipeline behind a proxy that answers `refusals` upgrades with its own `status` (no X-Upgrade-Refusal), as
 * while the server redeploys, once `redeploy()` dropped every connection; it acks publishes and subscribes.
 */
async function redeployingBehindProxy(status: number, refusals: number) {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  let refusing = 0;
  let offset = 0;
  let subscribes = 0;
  server.on('upgrade', (request, socket, head) => {
    if (refusing > 0) {
      refusing--;
      const body = JSON.stringify({ detail: 'Forbidden by the proxy' });
      const top = `HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${body.length}`;
      return void socket.end(`${top}\r\nConnection: close\r\n\r\n${body}`);
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data) => {
        // Hint: record 1 goes with the first ack only, so the test can tell that the subscription was acked.
        if (request.url?.endsWith('/ws/subscribe') === true) {
          ws.send(JSON.stringify(wireAck({ head_offset: 1 })));
          if (subscribes++ === 0) ws.send(JSON.stringify([wireRecord(1)]));
          return;
        }
        const message = JSON.parse(String(data)) as SentMessage;
        ws.send(cleanAck(message, offset + 1));
        offset += message.events.length;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stopProxy = async () => {
    for (const ws of wss.clients) ws.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  const redeploy = () => {
    refusing = refusals;
    for (const ws of wss.clients) ws.terminate();
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, redeploy, refused: () => refusing };
}

describe('the SDK on `ws` against an upgrade refused by a proxy (no X-Upgrade-Refusal), once connected', () => {
  // Hint: the platform WebSocket learns nothing from such an answer (askUpgrade) and retries; `ws` read its status
  // and ended the subscription (403 "the server refused access") and failed the queued publishes.
  it('retries, as after a drop: the subscription follows again and the publish is acknowledged', async () => {
    for (const status of [403, 401]) {
      const proxy = await redeployingBehindProxy(status, 2);
      const backoff = { initialMs: 10, maxMs: 50 };
      const notices: string[] = [];
      const errors: unknown[] = [];
      const got: number[] = [];
      const sub = subscribe({
        url: proxy.url,
        from: 1,
        backoff,
        onNotice: (notice) => notices.push(`${notice.kind}: ${notice.message}`),
        onEvent: (record) => void got.push(record.offset),
        onError: (error) => errors.push(error),
      });
      const publisher = new Publisher({ url: proxy.url, backoff, deliveryTimeoutMs: 60_000 });
      expect(await publisher.publish(tick)).toMatchObject({ offset: 1 });
      await vi.waitFor(() => expect(got).toEqual([1])); // subscribed: acked, and record 1 handed out
      proxy.redeploy();
      const second = publisher.publish(tick);
      await expect(second, String(status)).resolves.toMatchObject({ offset: 2 });
      await vi.waitFor(() => expect(notices.at(-1)).toBe('resumed: following again from offset 2'));
      expect(notices.some((notice) => notice.includes(`Unexpected server response: ${status}`))).toBe(true);
      expect([errors, proxy.refused()]).toEqual([[], 0]);
      await publisher.close();
      await sub.close();
      await stopProxy?.();
      stopProxy = null;
    }
  });
});
