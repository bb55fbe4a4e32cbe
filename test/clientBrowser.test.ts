// The SDK's subscriber in a real chromium (the dashboard's copy of the built modules, after `npm run build`): a
// browser's WebSocket reports a refused upgrade as an error and close 1006, with no status.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { startTestServer, type TestServer } from './support/testServer.js';

const KEY = 'browser-key';
const DIST = fileURLToPath(new URL('../dist/src/', import.meta.url));

let browser: Browser | null = null;
let t: TestServer | null = null;
const sites: Server[] = [];
afterEach(async () => {
  await Promise.all((browser?.contexts() ?? []).map((context) => context.close()));
  for (const site of sites.splice(0)) await new Promise((resolve) => site.close(resolve));
  await t?.stop();
  t = null;
});
afterAll(async () => {
  await browser?.close();
});

/** How a subscription with `apiKey` to the test server fared in `page` within `waitMs` (no error: still retrying). */
function subscribed(page: Page, moduleUrl: string, apiKey: string, waitMs = 6_000) {
  // Hint: a string expression, so the test's TypeScript needs no DOM types.
  return page.evaluate<{
    name?: string;
    status?: number;
    message?: string;
    ms: number;
    notices: number;
  }>(`(async () => {
    const { subscribe } = await import(${JSON.stringify(moduleUrl)});
    const started = performance.now();
    let notices = 0;
    const error = await new Promise((resolve) => {
      const sub = subscribe({ url: ${JSON.stringify(t!.base)}, apiKey: ${JSON.stringify(apiKey)}, from: 1,
        onNotice: () => notices++, onEvent: () => {}, onError: resolve });
      setTimeout(() => { void sub.close(); resolve(null); }, ${waitMs});
    });
    return { name: error?.name, status: error?.status, message: error?.message, ms: performance.now() - started, notices };
  })()`);
}

/**
 * A page of another origin (another port of 127.0.0.1: a routed public host may not reach loopback at all, by Private
 * Network Access) that imports the built SDK from its own origin, served without a CSP.
 */
async function foreignPage(): Promise<{ page: Page; origin: string }> {
  const site = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const file = /^\/(client|protocol)\/[A-Za-z]+\.js$/.test(path) ? `${DIST}${path.slice(1)}` : null;
    if (path === '/')
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>page</title>');
    else if (file === null) response.writeHead(404).end();
    else response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  sites.push(site);
  const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser ??= await launchChromium();
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${origin}/`);
  return { page, origin };
}

describe('the SDK subscriber in a browser', () => {
  it('fails at once on a refused key, from a page of the server and from a listed origin (CORS)', async () => {
    const { page, origin } = await foreignPage();
    t = await startTestServer({ REQUIRE_AUTH: 'true', API_KEY: KEY, CORS_ORIGINS: origin });
    const own = await (await browser!.newContext()).newPage();
    // Hint: with REQUIRE_AUTH the dashboard only asks for a key: it opens no socket of its own.
    await own.goto(`${t.base}/dashboard`);
    const refused = {
      name: 'SubscriptionRejectedError',
      status: 401,
      message: 'the server refused the API key (401: Invalid or missing API key)',
      notices: 0,
    };
    const fromOwn = await subscribed(own, '/dashboard/client/subscriber.js', 'wrong');
    expect(fromOwn).toMatchObject(refused);
    expect(fromOwn.ms).toBeLessThan(3_000);
    expect(await subscribed(page, `${origin}/client/subscriber.js`, 'wrong')).toMatchObject(refused);
  });

  it('keeps retrying from an origin the server does not list: the browser hides the 403 from its script', async () => {
    const { page, origin } = await foreignPage();
    t = await startTestServer({ CORS_ORIGINS: 'http://other.example' });
    const outcome = await subscribed(page, `${origin}/client/subscriber.js`, '', 2_500);
    expect(outcome.name).toBeUndefined();
    expect(outcome.notices).toBeGreaterThan(0);
  });
});
