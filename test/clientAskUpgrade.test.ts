import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { askUpgrade } from '../src/client/askUpgrade.js';
import { startTestServer, type TestServer } from './support/testServer.js';

let proxy: Server | null = null;
let ts: TestServer | null = null;
afterEach(async () => {
  await new Promise((resolve) => (proxy === null ? resolve(undefined) : proxy.close(resolve)));
  proxy = null;
  await ts?.stop();
  ts = null;
});

/** A server answering every request `status` with a JSON detail, as a proxy in front might. */
async function answering(status: number, headers: Record<string, string> = {}): Promise<string> {
  proxy = createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify({ detail: 'Forbidden by the proxy' }));
  });
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

describe("askUpgrade: a plain GET's answer as the upgrade's verdict", () => {
  it("takes this server's marked refusal, with its detail", async () => {
    ts = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: 'right-key-0123456789' });
    expect(await askUpgrade({ url: ts.base, apiKey: 'wrong' }, '/ws/subscribe')).toEqual({
      status: 401,
      detail: 'Invalid or missing API key',
      retryAfterMs: null,
    });
    // The right key: the upgrade would be taken (426), so nothing is learned.
    expect(await askUpgrade({ url: ts.base, apiKey: 'right-key-0123456789' }, '/ws/subscribe')).toBeNull();
  });

  it("learns nothing from another responder's refusal (a proxy's 403 or 404 for plain requests on /ws/)", async () => {
    for (const status of [403, 404, 401]) {
      const url = await answering(status);
      expect(await askUpgrade({ url, apiKey: 'k' }, '/ws/subscribe'), String(status)).toBeNull();
      await new Promise((resolve) => proxy!.close(resolve));
      proxy = null;
    }
  });
});
