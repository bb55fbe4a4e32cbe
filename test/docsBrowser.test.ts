import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchPage } from './support/browser.js';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';

// /docs as `npm start` serves it: Swagger UI from swagger-ui-dist (no CDN) rendering the generated OpenAPI document.

describe('/docs in chromium', () => {
  let dir: string;
  let server: ChildServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rep-docs-'));
    server = await spawnServer(join(dir, 'events.db'));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await killServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the REST operations with Swagger UI, loading nothing from elsewhere', async () => {
    const base = server!.base;
    const page = await browser!.newPage();
    const problems = watchPage(page, base);
    const response = await page.goto(`${base}/docs`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('.opblock', { timeout: 15_000 });
    const operations = await page.evaluate<string[]>(
      `[...document.querySelectorAll('.opblock')].map((block) =>
        (block.querySelector('.opblock-summary-method')?.textContent ?? '') + ' ' +
        (block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''))`,
    );
    // Hint: path parameters compared without their names ({id} or {event_id} alike).
    const shown = operations.map((operation) => operation.replace(/\{[^}]+\}/g, '{}'));
    expect(shown).toEqual(
      expect.arrayContaining([
        'POST /api/v1/events',
        'GET /api/v1/events',
        'GET /api/v1/events/{}',
        'GET /api/v1/stats',
        'GET /api/v1/sessions/{}',
        'GET /api/v1/subscribers',
      ]),
    );
    expect(problems.foreignRequests).toEqual([]);
    // Hint: a console error includes a failed request (a missing favicon was one) and a CSP violation.
    expect(problems.errors).toEqual([]);
  });
});
