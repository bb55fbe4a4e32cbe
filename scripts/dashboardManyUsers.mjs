// What the dashboard reads and how long its page is busy with an open session of 50,000 users of 190 characters
// (run `npm run build` first; chromium at CHROMIUM_PATH, default /usr/bin/chromium):
//   node scripts/dashboardManyUsers.mjs [checkout=.]
// Starts <checkout>/dist/src/main.js on a temp database, publishes the session, opens it by id in the dashboard at
// 1280 px and prints how long it took to show, the bytes of GET /sessions/manyusers over the next 10 s, the length
// of its users line, and the page's longest task.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { publishManyUsers, startServer } from './manyUsersSession.mjs';

const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
const { base, stop } = await startServer(join(root, 'dist/src/main.js'), 'dashboard-users-');
let browser;

try {
  await publishManyUsers(base, 50_000);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const sizes = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname !== '/api/v1/sessions/manyusers') return;
    sizes.push(response.body().then((body) => body.length, () => 0));
  });
  await page.goto(`${base}/dashboard`);
  await page.waitForSelector('#tail-status[data-from]');
  await page.evaluate(
    'window.longest = 0; new PerformanceObserver((list) => { for (const task of list.getEntries()) ' +
      "window.longest = Math.max(window.longest, task.duration); }).observe({ type: 'longtask', buffered: true })",
  );
  await page.fill('#open-session-id', 'manyusers');
  const start = Date.now();
  await page.click('#open-session button[type="submit"]');
  await page.waitForSelector('#session-detail:not([hidden])', { timeout: 60_000 });
  const openMs = Date.now() - start;
  await page.waitForTimeout(10_000);
  const read = await Promise.all(sizes);
  const usersChars = await page.evaluate(
    `document.querySelector('#detail-state dd[data-field="users"]').textContent.length`,
  );
  const longestTaskMs = Math.round(await page.evaluate('window.longest'));
  const bytes = read.reduce((sum, n) => sum + n, 0);
  console.log(JSON.stringify({ root, openMs, viewReads: read.length, viewBytes: bytes, usersChars, longestTaskMs }));
} finally {
  await browser?.close();
  await stop();
}
