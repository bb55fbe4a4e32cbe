import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { event, publish } from './support/httpCall.js';
import { rawRequest } from './support/rawHttp.js';
import { startTestServer, type TestServer } from './support/testServer.js';

/** How many events the server holds. */
async function total(t: TestServer): Promise<number> {
  return ((await (await fetch(`${t.base}/stats`)).json()) as { total_events: number }).total_events;
}

describe('DELETE /events from a web page of another origin', () => {
  const servers: TestServer[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const t = await startTestServer(env);
    servers.push(t);
    for (let i = 0; i < 3; i++) await publish(t.base, event());
    return t;
  };
  afterEach(async () => {
    for (const t of servers.splice(0).reverse()) await t.stop();
  });

  it('under the default CORS_ORIGINS=*, is refused (403) and its preflight offers no DELETE; reads and publishes are not', async () => {
    const t = await start();
    const host = `127.0.0.1:${t.server.port}`;
    const evil = { Origin: 'https://evil.example', Host: host };
    const preflight = await rawRequest(t.server.port, 'OPTIONS', '/events', evil);
    expect(preflight?.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, OPTIONS');
    expect(preflight?.headers.get('access-control-allow-origin')).toBe('*');
    const refused = await rawRequest(t.server.port, 'DELETE', '/events', evil);
    expect([refused?.status, JSON.parse(refused?.body ?? '{}')]).toEqual([
      403,
      {
        detail:
          'DELETE from a page of another origin (Origin: "https://evil.example") is refused: list that origin in ' +
          'CORS_ORIGINS to let its pages delete events',
      },
    ]);
    expect(await total(t)).toBe(3);
    // Reads and publishes from any page, as the FastAPI service allowed.
    const read = await rawRequest(t.server.port, 'GET', '/stats', evil);
    expect([read?.status, read?.headers.get('access-control-allow-origin')]).toEqual([200, '*']);
    // The server's own pages (Swagger UI's "Try it out") and clients that are not pages may delete.
    const own = await rawRequest(t.server.port, 'DELETE', '/events?before=2000-01-01T00:00:00Z', {
      Origin: `http://${host}`,
      Host: host,
    });
    expect([own?.status, own?.body]).toEqual([200, '{"deleted":0}']);
    const curl = await rawRequest(t.server.port, 'DELETE', '/api/v1/events', { Host: host });
    expect([curl?.status, curl?.body]).toEqual([200, '{"deleted":3}']);
    expect(await total(t)).toBe(0);
  });

  it('is allowed from an origin CORS_ORIGINS lists by name, and refused from another', async () => {
    const t = await start({ CORS_ORIGINS: 'https://admin.example' });
    const preflight = await rawRequest(t.server.port, 'OPTIONS', '/events', { Origin: 'https://admin.example' });
    expect(preflight?.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, DELETE, OPTIONS');
    const other = await rawRequest(t.server.port, 'DELETE', '/events', { Origin: 'https://other.example' });
    expect(other?.status).toBe(403);
    const admin = await rawRequest(t.server.port, 'DELETE', '/events', { Origin: 'https://admin.example' });
    expect([admin?.status, admin?.body]).toEqual([200, '{"deleted":3}']);
  });
});

describe('a page on another origin, in a real browser, against the default settings', () => {
  let browser: Browser;
  let t: TestServer;
  let page: Server;
  beforeAll(async () => {
    t = await startTestServer();
    page = createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => page.close(resolve));
    await t.stop();
  });

  it('can publish and read, but its DELETE never reaches the log', async () => {
    // Before: `fetch(…, {method: 'DELETE'})` from any site a user of the server visited emptied the log (200).
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`);
    const results = await tab.evaluate<string[], string>(async (base) => {
      const attempt = async (method: string, body?: string) => {
        try {
          const init =
            body === undefined ? { method } : { method, body, headers: { 'Content-Type': 'application/json' } };
          const res = await fetch(`${base}/events`, init);
          return `${method} ${res.status}`;
        } catch (error) {
          return `${method} ${(error as Error).name}`;
        }
      };
      return [
        await attempt('POST', JSON.stringify({ event_type: 'timer_tick', source: 'page', payload: {} })),
        await attempt('GET'),
        await attempt('DELETE'),
      ];
    }, t.base);
    expect(results).toEqual(['POST 201', 'GET 200', 'DELETE TypeError']);
    expect(await total(t)).toBe(1);
  });
});
