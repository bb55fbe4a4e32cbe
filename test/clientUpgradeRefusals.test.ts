import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import {
  type PublishEvent,
  Publisher,
  PublishRejectedError,
  SubscriptionRejectedError,
  subscribe,
} from '../src/client/index.js';
import { ManualScheduler } from './support/scriptedClient.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const KEY = 'refusals-key';
const tick: PublishEvent = { event_type: 'timer_tick', source: 'refusals', payload: {} };

let t: TestServer | null = null;
afterEach(async () => {
  await t?.stop();
  t = null;
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
