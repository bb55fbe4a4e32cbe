import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page, Response as PageResponse } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../src/protocol/eventRecord.js';
import { launchChromium, type PageProblems, tableRows, textOf, watchPage } from './support/browser.js';
import { type ChildServer, killServer, spawnServer } from './support/childServer.js';
import { WsClient } from './support/wsClient.js';

// The dashboard as `npm start` serves it (dist, after `npm run build`), driven by a real chromium.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOT = join(ROOT, 'test-output', 'dashboard.png');
/** `UPDATE_DOCS_SCREENSHOT=1` also refreshes the README's copy (a tracked file, so not on every run). */
const DOCS_SCREENSHOT = join(ROOT, 'docs', 'dashboard.png');
/** The budget: what was published shows within a second of the publish being acknowledged. */
const WITHIN_A_SECOND = { timeout: 1_000, interval: 25 };
const PATIENT = { timeout: 10_000, interval: 50 };

type Event = { event_type: string; source: string; session_id?: string; user_id?: string; payload?: object };

/** POST a batch over REST; the records as committed. */
async function publish(base: string, events: Event[], apiKey?: string): Promise<EventRecord[]> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (apiKey !== undefined) headers['X-API-Key'] = apiKey;
  const res = await fetch(`${base}/api/v1/events`, { method: 'POST', headers, body: JSON.stringify(events) });
  expect(res.status).toBe(201);
  return (await res.json()) as EventRecord[];
}

/** The tail's offsets, newest first, as shown. */
async function tailOffsets(page: Page): Promise<number[]> {
  return (await tableRows(page, '#tail')).map((row) => Number(row.data.offset));
}

/** SIGTERM, then wait for the exit (SIGKILL if it hangs). */
async function stopServer(server: ChildServer | undefined): Promise<void> {
  if (server === undefined) return;
  server.proc.kill('SIGTERM');
  const timer = setTimeout(() => server.proc.kill('SIGKILL'), 10_000);
  await server.exited;
  clearTimeout(timer);
}

const ev = (event_type: string, session_id: string, user_id: string, payload: object = {}): Event => ({
  event_type,
  source: 'quiz_engine',
  session_id,
  user_id,
  payload,
});

/**
 * One chromium for the file, each block's pages in contexts of their own (closed when the block ends). Why: a launch
 * took 2-5 s of a loaded machine, and the file launched one per block.
 */
let sharedBrowser: Promise<Browser> | undefined;
const fileBrowser = () => {
  sharedBrowser ??= launchChromium();
  return sharedBrowser;
};
const closeContexts = async (browser: Browser | undefined) => {
  await Promise.all((browser?.contexts() ?? []).map((context) => context.close()));
};
afterAll(async () => {
  await (await sharedBrowser)?.close();
});

describe('dashboard in chromium', () => {
  let dir: string;
  let server: ChildServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let problems: PageProblems;
  const all: EventRecord[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rep-dashboard-'));
    server = await spawnServer(join(dir, 'events.db'));
    browser = await fileBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    problems = watchPage(page, server.base);
  });

  afterAll(async () => {
    await closeContexts(browser);
    await stopServer(server).catch(() => killServer(server));
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows published events in the tail, the counts and the sessions within a second', async () => {
    const base = server!.base;
    const response = await page.goto(`${base}/dashboard`);
    expect(response?.status()).toBe(200);
    // The tail follows from the head it read at load (an empty log: offset 1), so nothing published after is missed.
    await page.waitForSelector('#tail-status[data-from="1"]', { timeout: 10_000 });
    const records = await publish(base, [
      ev('session_created', 's-alpha', 'u-1'),
      ev('quiz_started', 's-alpha', 'u-1', { quiz_id: 'fractions-1' }),
      ev('answer_submitted', 's-alpha', 'u-1', { answer: 'B' }),
      ev('answer_submitted', 's-alpha', 'u-1', { answer: 'C' }),
      ev('quiz_started', 's-beta', 'u-2', { quiz_id: 'fractions-1' }),
      ev('timer_tick', 's-beta', 'u-2', { remaining: 30 }),
    ]);
    all.push(...records);
    const shown = async () => ({
      tail: await tailOffsets(page),
      answers: (await tableRows(page, '#type-counts')).find((r) => r.data.type === 'answer_submitted')?.cells[1],
      sessions: (await tableRows(page, '#sessions')).map((r) => `${r.data.session}:${r.cells[1]}`).sort(),
      head: await textOf(page, '#head-offset'),
    });
    await expect.poll(shown, WITHIN_A_SECOND).toEqual({
      tail: records.map((r) => r.offset).reverse(),
      answers: '2',
      sessions: ['s-alpha:in_progress', 's-beta:in_progress'],
      head: String(records.at(-1)!.offset),
    });
    expect(await textOf(page, '#epoch')).toMatch(/^[0-9a-z]{16}$/);
  });

  it('applies a filter: only matching events reach the tail', async () => {
    const base = server!.base;
    await page.selectOption('#filter-type', 'answer_submitted');
    await page.fill('#filter-user', 'u-1');
    await page.click('#filter-apply');
    const wanted = JSON.stringify({ event_types: ['answer_submitted'], user_id: 'u-1' });
    await page.waitForSelector(`#tail-status[data-filters='${wanted}']`, { timeout: 10_000 });
    expect(await tailOffsets(page)).toEqual([]);
    const records = await publish(base, [
      ev('answer_submitted', 's-beta', 'u-2', { answer: 'A' }),
      ev('answer_submitted', 's-alpha', 'u-1', { answer: 'D' }),
      ev('timer_tick', 's-alpha', 'u-1', { remaining: 10 }),
      ev('quiz_completed', 's-alpha', 'u-1', { score: 0.75 }),
    ]);
    all.push(...records);
    await expect.poll(() => tailOffsets(page), WITHIN_A_SECOND).toEqual([records[1]!.offset]);
    // The rest of that commit has been counted by now, and still none of it is in the tail.
    await expect.poll(() => textOf(page, '#head-offset'), PATIENT).toBe(String(records.at(-1)!.offset));
    const rows = await tableRows(page, '#tail');
    expect(rows.map((r) => [r.data.type, r.data.user])).toEqual([['answer_submitted', 'u-1']]);
  });

  it('replays from an offset with the filter in place', async () => {
    await page.fill('#replay-offset', '1');
    await page.click('#replay');
    const expected = all
      .filter((r) => r.event_type === 'answer_submitted' && r.user_id === 'u-1')
      .map((r) => r.offset)
      .reverse();
    expect(expected).toHaveLength(3);
    await expect.poll(() => tailOffsets(page), PATIENT).toEqual(expected);
  });

  it('lists subscribers by mode with their filter and lag', async () => {
    const base = server!.base;
    const wsBase = server!.wsBase;
    const live = await WsClient.open(`${wsBase}/ws/subscribe`);
    live.send({ session_id: 's-beta' });
    expect(await live.next()).toMatchObject({ status: 'subscribed' });
    const silent = await WsClient.open(`${wsBase}/ws/subscribe`);
    try {
      await expect
        .poll(async () => (await tableRows(page, '#subscribers')).map((r) => r.data.mode).sort(), PATIENT)
        .toEqual(['awaiting_config', 'live', 'live']);
      const rows = await tableRows(page, '#subscribers');
      const listing = (await (await fetch(`${base}/api/v1/subscribers`)).json()) as {
        subscribers: { id: string; mode: string; lag: number | null }[];
      };
      expect(rows.map((r) => r.data.subscriber).sort()).toEqual(listing.subscribers.map((s) => s.id).sort());
      const byFilter = new Map(rows.map((r) => [r.cells[2], r]));
      expect(byFilter.get('type=answer_submitted user_id=u-1')?.cells[4]).toBe('0');
      expect(byFilter.get('session_id=s-beta')?.cells[4]).toBe('0');
      expect(byFilter.get('everything')?.data.mode).toBe('awaiting_config');
      expect(byFilter.get('everything')?.cells[4]).toBe('–');
      const chips = await page.evaluate<string[]>(
        `[...document.querySelectorAll('#subscriber-mode-counts li')].map((li) => li.textContent)`,
      );
      expect(chips).toEqual(['awaiting_config: 1', 'replaying: 0', 'live: 2', 'lagging: 0']);
    } finally {
      await live.close();
      await silent.close();
    }
  });

  it("opens a session's state and timeline on click", async () => {
    await page.click('#sessions button:text-is("s-alpha")');
    await page.waitForSelector('#session-detail:not([hidden])', { timeout: 10_000 });
    const alpha = all.filter((r) => r.session_id === 's-alpha');
    await expect
      .poll(async () => (await tableRows(page, '#timeline')).map((r) => Number(r.data.offset)), PATIENT)
      .toEqual(alpha.map((r) => r.offset));
    expect(await textOf(page, '#detail-id')).toBe('s-alpha');
    expect(await textOf(page, '#detail-state dd[data-field="status"]')).toBe('completed');
    expect(await textOf(page, '#detail-state dd[data-field="events"]')).toBe(String(alpha.length));
    expect(await textOf(page, '#detail-state dd[data-field="quiz"]')).toBe('fractions-1');
  });

  it('opens a session when a press on its row spans a refresh under live traffic', async () => {
    const base = server!.base;
    await page.click('#detail-close');
    await page.waitForSelector('#session-detail[hidden]', { state: 'attached', timeout: 10_000 });
    const button = '#sessions tr[data-session="s-press"] button';
    const events = () => textOf(page, '#sessions tr[data-session="s-press"] td:nth-child(3)');
    let flowing = true;
    // About 30 events a second into one session: it stays the most recently active, and every record redraws the list.
    const traffic = (async () => {
      for (let i = 0; flowing; i++) {
        all.push(...(await publish(base, [ev('timer_tick', 's-press', 'u-7', { i })])));
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    try {
      await page.waitForSelector(button, { timeout: 10_000 });
      const box = (await page.locator(button).boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const before = await events();
      await page.mouse.down();
      // The row under the pointer has been refreshed while the button is held down.
      await expect.poll(events, PATIENT).not.toBe(before);
      await page.mouse.up();
      await page.waitForSelector('#session-detail:not([hidden])', { timeout: 10_000 });
      expect(await textOf(page, '#detail-id')).toBe('s-press');
    } finally {
      flowing = false;
      await traffic;
    }
  });

  it('cuts long ids and quiz ids with an ellipsis, the whole text in the title', async () => {
    const base = server!.base;
    const quiz = 'q'.repeat(10_000);
    const users = Array.from({ length: 20 }, (_, i) => `student-with-a-long-name-${'x'.repeat(60)}-${i}`);
    all.push(
      ...(await publish(base, [
        ev('quiz_started', 's-long', users[0]!, { quiz_id: quiz }),
        ...users.map((user) => ev('question_viewed', 's-long', user)),
      ])),
    );
    const quizCell = '#sessions tr[data-session="s-long"] td:nth-child(5)';
    await page.waitForSelector(quizCell, { timeout: 10_000 });
    expect(await page.getAttribute(quizCell, 'title')).toBe(quiz);
    const width = await page.evaluate<number>(`document.querySelector('#sessions-panel').scrollWidth`);
    expect(width).toBeLessThan(1440);
  });

  it('shows hidden characters in ids by name, so a spoofed name does not pass for another', async () => {
    const base = server!.base;
    await page.fill('#filter-user', '');
    await page.selectOption('#filter-type', '');
    await page.click('#filter-apply');
    await page.waitForSelector(`#tail-status[data-filters='{}']`, { timeout: 10_000 });
    const spoofs = {
      '\u202E10-tneduts': '⟨U+202E⟩10-tneduts',
      'student\u200B-01': 'student⟨U+200B⟩-01',
      'student-01': 'student-01',
    };
    all.push(
      ...(await publish(
        base,
        Object.keys(spoofs).map((id) => ev('quiz_started', id, 'line1\nline2')),
      )),
    );
    const shown = async () =>
      Object.fromEntries(
        (await tableRows(page, '#sessions'))
          .filter((r) => r.data.session! in spoofs)
          .map((r) => [r.data.session, r.cells[0]]),
      );
    await expect.poll(shown, PATIENT).toEqual(spoofs);
    const users = async () =>
      (await tableRows(page, '#tail')).filter((r) => r.data.user === 'line1\nline2').map((r) => r.cells[4]);
    await expect.poll(users, PATIENT).toEqual(['line1⏎line2', 'line1⏎line2', 'line1⏎line2']);
    // The real id is still the one looked up.
    await page.click('#sessions tr[data-session="\u202E10-tneduts"] button');
    await expect.poll(() => textOf(page, '#detail-state dd[data-field="users"]'), PATIENT).toBe('line1⏎line2');
    expect(await textOf(page, '#detail-id')).toBe('⟨U+202E⟩10-tneduts');
  });

  it("shows a long session's newest 500 events and says how many it has", async () => {
    const base = server!.base;
    const many = await publish(
      base,
      Array.from({ length: 510 }, (_, i) => ev('timer_tick', 's-many', 'u-8', { i })),
    );
    all.push(...many);
    await page.click('#sessions tr[data-session="s-many"] button', { timeout: 10_000 });
    await expect.poll(() => textOf(page, '#detail-id'), PATIENT).toBe('s-many');
    const offsets = async () => (await tableRows(page, '#timeline')).map((r) => Number(r.data.offset));
    await expect.poll(offsets, PATIENT).toEqual(many.slice(10).map((r) => r.offset));
    expect(await textOf(page, '#timeline-note')).toBe('showing the newest 500 of 510 events');
  });

  it('shows every time in local time, with the date when not today, and the exact UTC time as its title', async () => {
    const base = server!.base;
    const zone = 'America/Los_Angeles';
    /** `iso` in Los Angeles: its date and its time to the millisecond. */
    const inZone = (iso: string) => {
      const parts = Object.fromEntries(
        new Intl.DateTimeFormat('en-US', {
          timeZone: zone,
          ...{ year: 'numeric', month: '2-digit', day: '2-digit', hourCycle: 'h23' },
          ...{ hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 },
        })
          .formatToParts(new Date(iso))
          .map((part) => [part.type, part.value]),
      );
      const time = `${parts.hour}:${parts.minute}:${parts.second}.${parts.fractionalSecond}`;
      return { date: `${parts.year}-${parts.month}-${parts.day}`, time };
    };
    const alpha = all.filter((r) => r.session_id === 's-alpha');
    const started = alpha.find((r) => r.event_type === 'quiz_started')!.timestamp;
    const completed = alpha.find((r) => r.event_type === 'quiz_completed')!.timestamp;
    /** A page in Los Angeles, its clock `daysAhead` days past now; shows a new record and opens s-alpha. */
    const shownIn = async (daysAhead: number) => {
      const context = await browser!.newContext({ timezoneId: zone, viewport: { width: 1440, height: 1100 } });
      if (daysAhead > 0) await context.clock.setFixedTime(Date.now() + daysAhead * 86_400_000);
      const zoned = await context.newPage();
      await zoned.goto(`${base}/dashboard`);
      await zoned.waitForSelector('#tail-status[data-from]', { timeout: 10_000 });
      const [record] = await publish(base, [ev('timer_tick', 's-tz', 'u-tz')]);
      all.push(record!);
      const row = `#tail tr[data-offset="${record!.offset}"] td:nth-child(2)`;
      await zoned.waitForSelector(row, { timeout: 10_000 });
      const tick = `#type-counts tr[data-type="timer_tick"] td:nth-child(3)`;
      await expect.poll(() => zoned.getAttribute(tick, 'title'), PATIENT).toBe(record!.timestamp);
      await zoned.fill('#open-session-id', 's-alpha');
      await zoned.press('#open-session-id', 'Enter');
      await expect.poll(() => textOf(zoned, '#detail-id'), PATIENT).toBe('s-alpha');
      const first = `#timeline tr[data-offset="${alpha[0]!.offset}"] td:nth-child(2)`;
      await zoned.waitForSelector(first, { timeout: 10_000 });
      const cell = async (selector: string) => [
        await textOf(zoned, selector),
        await zoned.getAttribute(selector, 'title'),
      ];
      const shown = {
        tail: await cell(row),
        lastSeen: await cell(tick),
        timeline: await cell(first),
        started: await cell('#detail-state dd[data-field="started"]'),
        completed: await cell('#detail-state dd[data-field="completed"]'),
      };
      await context.close();
      return { shown, record: record! };
    };
    const today = await shownIn(0);
    expect(today.shown).toEqual({
      tail: [inZone(today.record.timestamp).time, today.record.timestamp],
      lastSeen: [inZone(today.record.timestamp).time, today.record.timestamp],
      timeline: [inZone(alpha[0]!.timestamp).time, alpha[0]!.timestamp],
      started: [inZone(started).time, started],
      completed: [inZone(completed).time, completed],
    });
    // Two days later, every time carries its date.
    const dated = (iso: string) => [`${inZone(iso).date} ${inZone(iso).time}`, iso];
    const later = await shownIn(2);
    expect(later.shown).toEqual({
      tail: dated(later.record.timestamp),
      lastSeen: dated(later.record.timestamp),
      timeline: dated(alpha[0]!.timestamp),
      started: dated(started),
      completed: dated(completed),
    });
  });

  it('fits a phone: at 390 x 844 the page is no wider than the screen', async () => {
    const phone = await browser!.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${server!.base}/dashboard`);
    await phone.waitForSelector('#sessions tr[data-session="s-long"]', { timeout: 10_000 });
    await phone.waitForSelector('#subscribers tbody tr', { timeout: 10_000 });
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.close();
  });

  it('takes a screenshot with traffic flowing, having loaded nothing from elsewhere and logged no error', async () => {
    const base = server!.base;
    await page.fill('#filter-user', '');
    await page.selectOption('#filter-type', '');
    await page.click('#filter-apply');
    await page.waitForSelector(`#tail-status[data-filters='{}']`, { timeout: 10_000 });
    const types = ['question_viewed', 'answer_submitted', 'answer_changed', 'timer_tick', 'mastery_updated'];
    // Uneven traffic over more than one second, so the events-per-second chart draws several buckets; about five
    // seconds only when the screenshot is for the docs (the chart's shape is what a reader sees, not what is proved).
    const pauseMs = process.env.UPDATE_DOCS_SCREENSHOT === '1' ? 500 : 120;
    for (let round = 0; round < 10; round++) {
      const size = 6 + Math.round(20 * Math.abs(Math.sin(round / 2)));
      const batch = Array.from({ length: size }, (_, i) =>
        ev(types[i % types.length]!, `s-${['gamma', 'delta', 'epsilon'][i % 3]}`, `u-${3 + (i % 4)}`, { i, round }),
      );
      all.push(...(await publish(base, batch)));
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    await expect.poll(() => tailOffsets(page).then((o) => o[0]), PATIENT).toBe(all.at(-1)!.offset);
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);
    expect(problems.errors).toEqual([]);
    expect(problems.foreignRequests).toEqual([]);
  });
});

/** A server (with `env`) and a chromium for one describe block: started before its tests, stopped after them. */
function serverAndBrowser(prefix: string, env: Record<string, string> = {}) {
  const running: { server?: ChildServer; browser?: Browser; dir: string } = { dir: '' };
  beforeAll(async () => {
    running.dir = mkdtempSync(join(tmpdir(), prefix));
    running.server = await spawnServer(join(running.dir, 'events.db'), env);
    running.browser = await fileBrowser();
  });
  afterAll(async () => {
    await closeContexts(running.browser);
    await stopServer(running.server).catch(() => killServer(running.server));
    rmSync(running.dir, { recursive: true, force: true });
  });
  return running;
}

describe('dashboard with a subscriber whose filter is long', () => {
  const running = serverAndBrowser('rep-dashboard-filter-');

  it('cuts the filter with an ellipsis, the whole in its title, keeping every column in view at 1280 px and on a phone', async () => {
    const session = `session-${'s'.repeat(180)}`;
    const user = `user-${'u'.repeat(180)}`;
    const subscriber = await WsClient.open(`${running.server!.wsBase}/ws/subscribe`);
    subscriber.send({ session_id: session, user_id: user, event_types: ['quiz_started', 'answer_submitted'] });
    expect(await subscriber.next()).toMatchObject({ status: 'subscribed' });
    const whole = `type=quiz_started|answer_submitted session_id=${session} user_id=${user}`;
    try {
      for (const viewport of [
        { width: 1280, height: 900 },
        { width: 390, height: 844 },
      ]) {
        const page = await running.browser!.newPage({ viewport });
        await page.goto(`${running.server!.base}/dashboard`);
        const long = `[...document.querySelectorAll('#subscribers tbody tr')].find((r) => r.cells[2].title.includes('${session}'))`;
        // Hint: a locator, not waitForFunction with a string: polling a string predicate evaluates it in the page,
        // which the dashboard's CSP (script-src 'self') refuses whenever the row is not there at the first look.
        await page
          .locator(`#subscribers tbody tr td:nth-child(3)[title*="${session}"]`)
          .first()
          .waitFor({ timeout: 10_000 });
        // Hint: a string expression, so the test's TypeScript needs no DOM types.
        const layout = await page.evaluate<{
          panelOverflow: number;
          panelRight: number;
          cellRights: number[];
          filterCut: boolean;
          title: string;
        }>(`(() => {
          const panel = document.querySelector('#subscribers-panel');
          const row = ${long};
          const filter = row.cells[2];
          return {
            panelOverflow: panel.scrollWidth - panel.clientWidth,
            panelRight: panel.getBoundingClientRect().right,
            cellRights: [...row.cells].map((cell) => cell.getBoundingClientRect().right),
            filterCut: filter.scrollWidth > filter.clientWidth,
            title: filter.title,
          };
        })()`);
        const at = `at ${viewport.width} px`;
        expect(layout.panelOverflow, at).toBe(0);
        for (const right of layout.cellRights) expect(right, at).toBeLessThanOrEqual(layout.panelRight);
        expect(layout.filterCut, at).toBe(true);
        expect(layout.title, at).toBe(whole);
        await page.close();
      }
    } finally {
      await subscriber.close();
    }
  });
});

describe('dashboard with a session of many users', () => {
  const running = serverAndBrowser('rep-dashboard-users-');

  it('opens it with its first users named and the rest counted, and its polls do not read the whole view again', async () => {
    const base = running.server!.base;
    // Hint: 3,000 users of 190 characters made a 580 KB view, read again on every poll; 50,000 made 9.65 MB.
    const users = Array.from({ length: 3000 }, (_, i) => `user-${String(i).padStart(5, '0')}-`.padEnd(190, 'x'));
    for (let i = 0; i < users.length; i += 1000)
      await publish(
        base,
        users.slice(i, i + 1000).map((user) => ev('answer_submitted', 'manyusers', user)),
      );
    const page = await running.browser!.newPage();
    const viewBytes: Promise<number>[] = [];
    let polls = 0;
    let timelineReads = 0;
    const count = (response: PageResponse): void => {
      const url = new URL(response.url());
      if (url.pathname === '/api/v1/sessions/manyusers') viewBytes.push(response.body().then((body) => body.length));
      else if (url.pathname === '/api/v1/stats') polls++;
      else if (url.pathname === '/api/v1/events' && url.searchParams.get('session_id') === 'manyusers') timelineReads++;
    };
    page.on('response', count);
    await page.goto(`${base}/dashboard`);
    await page.fill('#open-session-id', 'manyusers');
    await page.click('#open-session button[type="submit"]');
    const field = '#detail-state dd[data-field="users"]';
    await expect.poll(() => textOf(page, field), PATIENT).toBe(`${users.slice(0, 20).join(', ')} (+2,980 more)`);
    expect(await page.getAttribute(field, 'title')).toBe(await textOf(page, field));
    expect(await textOf(page, '#detail-state dd[data-field="events"]')).toBe('3,000');
    // Six polls with the session open and nothing published: each asks whether its event count moved, in a few
    // hundred bytes, and none reads its users or its timeline again.
    const opened = polls;
    await expect.poll(() => polls - opened, PATIENT).toBeGreaterThanOrEqual(6);
    // Stop counting before reading the bodies: a poll answered after this point would push a body read that the
    // page's close rejects, unawaited (CI at 2ddc88b).
    page.off('response', count);
    const sizes = await Promise.all(viewBytes);
    expect(sizes.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...sizes)).toBeLessThan(20 * 193 + 1000);
    expect(sizes.filter((size) => size > 1000)).toHaveLength(1);
    expect(timelineReads).toBe(1);
    await page.close();
  });
});

describe('dashboard with 20 sessions of UUID ids, three users each', () => {
  const running = serverAndBrowser('rep-dashboard-columns-');

  it('keeps every sessions column in view at 1280 px and on a phone, ids cut with an ellipsis, whole in the title', async () => {
    const sessions = Array.from({ length: 20 }, () => randomUUID());
    await publish(
      running.server!.base,
      sessions.flatMap((session) => [
        ev('quiz_started', session, 'student-01', { quiz_id: 'quiz-algebra-01' }),
        ev('answer_submitted', session, 'student-02'),
        ev('answer_submitted', session, 'student-03'),
      ]),
    );
    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const page = await running.browser!.newPage({ viewport });
      await page.goto(`${running.server!.base}/dashboard`);
      await expect.poll(async () => (await tableRows(page, '#sessions')).length, PATIENT).toBe(15);
      // Hint: a string expression, so the test's TypeScript needs no DOM types. A cell's text sits in the cell or,
      // for the session id, in its button; whichever is cut must show the cut (an ellipsis) and hold it all in its title.
      const layout = await page.evaluate<{
        panelOverflow: number;
        panelRight: number;
        cellRights: number[];
        cut: { text: string; ellipsis: boolean; title: string }[];
        idTitle: string;
      }>(`(() => {
        const panel = document.querySelector('#sessions-panel');
        const rows = [...document.querySelectorAll('#sessions tbody tr')];
        const holders = rows.flatMap((row) => [...row.cells].map((cell) => cell.querySelector('button') ?? cell));
        return {
          panelOverflow: panel.scrollWidth - panel.clientWidth,
          panelRight: panel.getBoundingClientRect().right,
          cellRights: rows.flatMap((row) => [...row.cells].map((cell) => cell.getBoundingClientRect().right)),
          cut: holders
            .filter((node) => node.scrollWidth > node.clientWidth)
            .map((node) => ({
              text: node.textContent,
              ellipsis: getComputedStyle(node).textOverflow === 'ellipsis',
              title: node.title,
            })),
          idTitle: rows[0].cells[0].querySelector('button').title,
        };
      })()`);
      const at = `at ${viewport.width} px`;
      expect(layout.panelOverflow, at).toBe(0);
      for (const right of layout.cellRights) expect(right, at).toBeLessThanOrEqual(layout.panelRight);
      for (const cell of layout.cut) expect(cell, at).toEqual({ text: cell.text, ellipsis: true, title: cell.text });
      expect(sessions, at).toContain(layout.idTitle);
      // On a phone the ids are cut: the check above has something to check there.
      if (viewport.width === 390)
        expect(
          layout.cut.map((c) => c.text),
          at,
        ).toEqual(expect.arrayContaining([layout.idTitle]));
      await page.close();
    }
  });
});

describe('dashboard with payloads and quiz ids that try to pass for other text', () => {
  const running = serverAndBrowser('rep-dashboard-spoof-');

  it('names bidi controls, noncharacters, private-use characters and lone surrogates as it names them in ids', async () => {
    const base = running.server!.base;
    const page = await running.browser!.newPage();
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('#tail-status[data-from="1"]', { timeout: 10_000 });
    await publish(base, [
      ev('quiz_started', 's-spoof', 'u-1', { t: '\u202Egnirts', quiz_id: 'quiz\uE000-\uFDD0\uFFFE\uD800' }),
    ]);
    // Hint: JSON.stringify already writes a lone surrogate as its escape, and the naming leaves that alone.
    const payload = '{"t":"⟨U+202E⟩gnirts","quiz_id":"quiz⟨U+E000⟩-⟨U+FDD0⟩⟨U+FFFE⟩\\ud800"}';
    const quiz = 'quiz⟨U+E000⟩-⟨U+FDD0⟩⟨U+FFFE⟩⟨U+D800⟩';
    await expect.poll(async () => (await tableRows(page, '#tail')).map((r) => r.cells[6]), PATIENT).toEqual([payload]);
    expect(await page.getAttribute('#tail tbody td.payload', 'title')).toBe(payload);
    await expect.poll(() => textOf(page, '#sessions tr[data-session="s-spoof"] td:nth-child(5)'), PATIENT).toBe(quiz);
    await page.click('#sessions tr[data-session="s-spoof"] button');
    await expect.poll(() => textOf(page, '#detail-state dd[data-field="quiz"]'), PATIENT).toBe(quiz);
    await expect
      .poll(async () => (await tableRows(page, '#timeline')).map((r) => r.cells[4]), PATIENT)
      .toEqual([payload]);
    await page.close();
  });
});

describe('dashboard when the open session cannot be read', () => {
  const running = serverAndBrowser('rep-dashboard-gone-');

  it('keeps every panel live after a click on session ".." or when retention deletes the open session', async () => {
    const base = running.server!.base;
    const page = await running.browser!.newPage();
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('#tail-status[data-from="1"]', { timeout: 10_000 });
    await publish(base, [ev('quiz_started', '..', 'u-1'), ev('quiz_started', 'old', 'u-1')]);
    const head = async (count: number) =>
      (
        await publish(
          base,
          Array.from({ length: count }, () => ev('timer_tick', 'new', 'u-2')),
        )
      ).at(-1)!.offset;
    // A browser reads `/sessions/..` as a directory step: the dashboard says so instead of failing every poll.
    await page.click('#sessions tr[data-session=".."] button', { timeout: 10_000 });
    await expect.poll(() => textOf(page, '#connection'), PATIENT).toMatch(/cannot be opened from a browser/);
    const afterDots = await head(3);
    await expect.poll(() => textOf(page, '#head-offset'), PATIENT).toBe(String(afterDots));
    await page.click('#sessions button:text-is("old")');
    await page.waitForSelector('#session-detail:not([hidden])', { timeout: 10_000 });
    await fetch(`${base}/events`, { method: 'DELETE' });
    const afterDelete = await head(2);
    await expect.poll(() => textOf(page, '#head-offset'), PATIENT).toBe(String(afterDelete));
    await page.waitForSelector('#session-detail[hidden]', { state: 'attached', timeout: 10_000 });
    expect(await textOf(page, '#connection')).toBe(
      'connected; session old closed: it has no events left (deleted by retention, or it never existed)',
    );
    await expect
      .poll(async () => (await tableRows(page, '#sessions')).map((r) => r.data.session), PATIENT)
      .toEqual(['new']);
    await page.close();
  });
});

describe('dashboard on an empty log', () => {
  const running = serverAndBrowser('rep-dashboard-empty-');

  it('says each panel is empty, and the chart does not claim a rate it never measured', async () => {
    const page = await running.browser!.newPage();
    // The page's own tail is always a subscriber, so an empty listing is what a server with none would answer.
    const none = { by_mode: { awaiting_config: 0, replaying: 0, live: 0, lagging: 0 }, subscribers: [] };
    await page.route('**/api/v1/subscribers?*', (route) => route.fulfill({ json: none }));
    await page.goto(`${running.server!.base}/dashboard`);
    const empty = (panel: string) => textOf(page, `${panel} p.empty`);
    const shown = async () => ({
      types: await empty('#types-panel'),
      sessions: await empty('#sessions-panel'),
      subscribers: await empty('#subscribers-panel'),
      tail: await empty('#tail-panel'),
      chart: await textOf(page, '#rate-max'),
    });
    await expect.poll(shown, PATIENT).toEqual({
      types: 'no events yet',
      sessions: 'no sessions yet',
      subscribers: 'no subscribers',
      tail: 'no events yet',
      chart: expect.stringMatching(/^no events over \d+ s$/),
    });
    await page.selectOption('#filter-type', 'answer_submitted');
    await page.click('#filter-apply');
    await expect.poll(() => empty('#tail-panel'), PATIENT).toBe('no matching events yet');
    // The first event: the notes go, and the chart says what it measured.
    await publish(running.server!.base, [ev('answer_submitted', 's-first', 'u-1')]);
    await expect.poll(shown, PATIENT).toEqual({
      types: '',
      sessions: '',
      subscribers: 'no subscribers',
      tail: '',
      chart: expect.stringMatching(/^max \d+\.\d\/s over \d+ s$/),
    });
    await page.close();
  });
});

describe('dashboard with more sessions than it lists', () => {
  const running = serverAndBrowser('rep-dashboard-many-');

  it('says how many sessions there are and opens any of them by id', async () => {
    const base = running.server!.base;
    const page = await running.browser!.newPage();
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('#tail-status[data-from="1"]', { timeout: 10_000 });
    // A class of 30 and its own session: the 15 latest are listed, and student-01 is not among them.
    const students = Array.from({ length: 30 }, (_, i) => `student-${String(i + 1).padStart(2, '0')}`);
    await publish(base, [
      ev('session_created', 'class', 'teacher'),
      ...students.map((id) => ev('quiz_started', id, `u-${id}`, { quiz_id: 'fractions-1' })),
    ]);
    await expect.poll(() => textOf(page, '#sessions-note'), PATIENT).toBe('15 latest of 31');
    expect((await tableRows(page, '#sessions')).map((r) => r.data.session)).not.toContain('student-01');
    await page.fill('#open-session-id', 'student-01');
    await page.press('#open-session-id', 'Enter');
    await expect.poll(() => textOf(page, '#detail-id'), PATIENT).toBe('student-01');
    await expect.poll(async () => (await tableRows(page, '#timeline')).length, PATIENT).toBe(1);
    expect(await textOf(page, '#detail-state dd[data-field="users"]')).toBe('u-student-01');
    await page.fill('#open-session-id', 'nobody');
    await page.click('#open-session button[type="submit"]');
    await page.waitForSelector('#session-detail[hidden]', { state: 'attached', timeout: 10_000 });
    await expect
      .poll(() => textOf(page, '#connection'), PATIENT)
      .toBe('connected; session nobody: it has no events left (deleted by retention, or it never existed)');
    expect(new URL(page.url()).search).toBe('');
    // Past the 1,000 the counts read, the total is not known: the note says so.
    await publish(
      base,
      Array.from({ length: 1000 }, (_, i) => ev('quiz_started', `more-${i}`, 'u-1')),
    );
    await expect
      .poll(() => textOf(page, '#sessions-note'), PATIENT)
      .toBe('15 latest of 1,000+ (by status: the 1,000 most recently active)');
    await page.close();
  });
});

describe('dashboard while the server is down', () => {
  const running = serverAndBrowser('rep-dashboard-down-');

  it("says a proxy's 502 for a server that is down is unreachable, not the server refusing", async () => {
    const page = await running.browser!.newPage();
    // Hint: what nginx answers when the server behind it is down: an HTML page, no `{detail}`.
    await page.route('**/stats', (route) =>
      route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' }),
    );
    await page.goto(`${running.server!.base}/dashboard`);
    await expect
      .poll(() => textOf(page, '#connection'), PATIENT)
      .toBe('server unreachable (the proxy in front answered HTTP 502)');
    await page.close();
  });

  it('dims every polled panel with the time it was read, and is live again once the server is back', async () => {
    const old = running.server!;
    const page = await running.browser!.newPage();
    await page.goto(`${old.base}/dashboard`);
    await page.waitForSelector('#tail-status[data-from="1"]', { timeout: 10_000 });
    const [record] = await publish(old.base, [ev('quiz_started', 's-down', 'u-1')]);
    await expect.poll(() => tailOffsets(page), PATIENT).toEqual([record!.offset]);
    await page.waitForSelector('#subscribers tr[data-mode="live"]', { timeout: 10_000 });
    old.proc.kill('SIGKILL');
    await old.exited;
    const panels = ['#rate-panel', '#types-panel', '#sessions-panel', '#subscribers-panel'];
    const asOf = () =>
      page.evaluate<(string | null)[]>(
        `${JSON.stringify(panels)}.map((id) => document.querySelector(id + '.stale h2 .as-of')?.textContent ?? null)`,
      );
    await expect.poll(asOf, PATIENT).toEqual(panels.map(() => expect.stringMatching(/^as of \d\d:\d\d:\d\d$/)));
    expect(await page.getAttribute('#figures', 'class')).toContain('stale');
    await expect.poll(() => textOf(page, '#tail-status'), PATIENT).toMatch(/reconnecting in \d+ ms/);
    // Back on the same address and log, and nothing published: the panels and the tail say they are live again.
    running.server = await spawnServer(join(running.dir, 'events.db'), { PORT: String(old.port) });
    await expect.poll(asOf, PATIENT).toEqual(panels.map(() => null));
    expect(await page.getAttribute('#figures', 'class')).not.toContain('stale');
    await expect
      .poll(() => textOf(page, '#tail-status'), PATIENT)
      .toBe(`following again from offset ${record!.offset + 1}`);
    await page.close();
  });

  it('says how old the figures are while a poll waits on the server, instead of `connected`', async () => {
    const page = await running.browser!.newPage();
    // Hint: the page's clock, so the 3 s a poll may wait before it says so pass without the test waiting them out.
    await page.clock.install();
    await page.goto(`${running.server!.base}/dashboard`);
    await expect.poll(() => textOf(page, '#connection'), PATIENT).toBe('connected');
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = () => {};
    const asking = new Promise<void>((resolve) => (asked = resolve));
    await page.route('**/api/v1/stats', async (route) => {
      asked();
      await held;
      await route.continue().catch(() => undefined);
    });
    await asking;
    await page.clock.fastForward(4_000);
    await expect
      .poll(() => textOf(page, '#connection'), PATIENT)
      .toMatch(/^waiting for the server: figures \d+ s old$/);
    expect(await page.getAttribute('#figures', 'class')).toContain('stale');
    expect(await textOf(page, '#rate-panel.stale h2 .as-of')).toMatch(/^as of \d\d:\d\d:\d\d$/);
    release();
    await expect.poll(() => textOf(page, '#connection'), PATIENT).toBe('connected');
    expect(await page.getAttribute('#figures', 'class')).not.toContain('stale');
    await page.close();
  });
});

describe('dashboard replaying a log that retention trimmed', () => {
  const running = serverAndBrowser('rep-dashboard-trimmed-');

  it('keeps saying what a replay skipped once records arrive, until the tail restarts or the note is dismissed', async () => {
    const base = running.server!.base;
    const page = await running.browser!.newPage();
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('#tail-status[data-from="1"]', { timeout: 10_000 });
    await publish(
      base,
      Array.from({ length: 3 }, () => ev('quiz_started', 'deleted', 'u-1')),
    );
    expect((await fetch(`${base}/events`, { method: 'DELETE' })).status).toBe(200);
    const kept = await publish(base, [ev('quiz_started', 'kept', 'u-2'), ev('timer_tick', 'kept', 'u-2')]);
    const offsets = kept.map((r) => r.offset).reverse();
    expect(offsets).toEqual([5, 4]);
    const replay = async (from: number) => {
      await page.fill('#replay-offset', String(from));
      await page.click('#replay');
      await expect.poll(() => tailOffsets(page), PATIENT).toEqual(offsets);
    };
    const note = async () => ((await page.isVisible('#tail-skipped')) ? textOf(page, '#tail-skipped-text') : null);
    await replay(1);
    // The badge says the tail follows again; what it skipped stays said beside it.
    await expect.poll(() => textOf(page, '#tail-status'), PATIENT).toBe('following, at offset 4');
    expect(await note()).toBe('offsets 1-3 were deleted by retention; replay starts at 4');
    await replay(4);
    expect(await note()).toBeNull();
    await replay(1);
    await expect.poll(note, PATIENT).toBe('offsets 1-3 were deleted by retention; replay starts at 4');
    await page.click('#tail-skipped-clear');
    expect(await note()).toBeNull();
    await page.close();
  });
});

describe('dashboard when the server comes back with another log', () => {
  const running = serverAndBrowser('rep-dashboard-epoch-');

  it("empties the tail on the SDK's log-replaced notice instead of showing both logs' offsets 1, 2, 3", async () => {
    const old = running.server!;
    const page = await running.browser!.newPage();
    // The subscribe acks the tail receives, by the epoch they name.
    const acks: string[] = [];
    page.on('websocket', (socket) =>
      socket.on('framereceived', ({ payload }) => {
        const text = String(payload);
        if (text.includes('"status":"subscribed"')) acks.push((JSON.parse(text) as { epoch: string }).epoch);
      }),
    );
    await page.goto(`${old.base}/dashboard`);
    await page.waitForSelector('#tail-status[data-from="1"]', { timeout: 10_000 });
    await publish(
      old.base,
      Array.from({ length: 5 }, () => ev('quiz_started', 'old-log', 'u-1')),
    );
    await expect.poll(() => tailOffsets(page), PATIENT).toEqual([5, 4, 3, 2, 1]);
    await stopServer(old);
    // Same address, a fresh database: another epoch, numbered from 1 again.
    running.server = await spawnServer(join(running.dir, 'replaced.db'), { PORT: String(old.port) });
    await expect.poll(() => textOf(page, '#tail-status'), PATIENT).toMatch(/^log replaced \(epoch/);
    // The new log's ack of the tail's resubscription (the second under its epoch) leaves that notice standing.
    const { epoch } = (await (await fetch(`${running.server.base}/api/v1/stats`)).json()) as { epoch: string };
    await expect.poll(() => acks.filter((e) => e === epoch).length, PATIENT).toBe(2);
    await expect.poll(() => textOf(page, '#epoch'), PATIENT).toBe(epoch);
    expect(await textOf(page, '#tail-status')).toMatch(/^log replaced \(epoch/);
    await publish(
      running.server.base,
      Array.from({ length: 3 }, () => ev('quiz_started', 'new-log', 'u-2')),
    );
    const shown = async () => (await tableRows(page, '#tail')).map((r) => `${r.data.offset} ${r.data.session}`);
    await expect.poll(shown, PATIENT).toEqual(['3 new-log', '2 new-log', '1 new-log']);
    await page.close();
  });
});

describe('dashboard with REQUIRE_AUTH=true', () => {
  const KEY = 'dashboard-test-key';
  const running = serverAndBrowser('rep-dashboard-auth-', { REQUIRE_AUTH: 'true', API_KEY: KEY });

  it('asks for the key, refuses a wrong one, then works over REST and WebSocket and keeps it for a reload', async () => {
    const base = running.server!.base;
    const page = await running.browser!.newPage();
    const socketUrls: string[] = [];
    page.on('websocket', (socket) => socketUrls.push(socket.url()));
    const response = await page.goto(`${base}/dashboard`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('#key-form:not([hidden])', { timeout: 10_000 });
    expect(await textOf(page, '#connection')).toBe('API key needed');

    await page.fill('#key-input', 'wrong-key');
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#key-error:not([hidden])', { timeout: 10_000 });
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('event-pipeline:api-key')`)).toBeNull();

    await page.fill('#key-input', KEY);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#tail-status[data-from="1"]', { timeout: 10_000 });
    expect(await page.isHidden('#key-form')).toBe(true);
    const [record] = await publish(base, [ev('quiz_started', 's-auth', 'u-9')], KEY);
    await expect
      .poll(async () => ({ tail: await tailOffsets(page), head: await textOf(page, '#head-offset') }), WITHIN_A_SECOND)
      .toEqual({ tail: [record!.offset], head: String(record!.offset) });
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('event-pipeline:api-key')`)).toBe(KEY);

    await page.reload();
    await page.waitForSelector('#tail-status[data-from="2"]', { timeout: 10_000 });
    expect(await page.isHidden('#key-form')).toBe(true);
    const [next] = await publish(base, [ev('answer_submitted', 's-auth', 'u-9')], KEY);
    await expect.poll(() => tailOffsets(page), WITHIN_A_SECOND).toEqual([next!.offset]);
    // The key travels in Sec-WebSocket-Protocol: a URL reaches proxies' access logs and the browser's history.
    expect(socketUrls.length).toBeGreaterThanOrEqual(2);
    expect(socketUrls.filter((url) => url.includes(KEY) || url.includes('api_key'))).toEqual([]);
  });
  it('never puts anything in the URL: not the key on a second Connect while the first is tried, nor the filters', async () => {
    const base = running.server!.base;
    const page = await running.browser!.newPage();
    const navigations: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest()) navigations.push(request.url());
    });
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('#key-form:not([hidden])', { timeout: 10_000 });
    // Enter in a tail filter field before any key is accepted.
    await page.fill('#filter-session', 's-auth');
    await page.press('#filter-session', 'Enter');
    // A slow reply: the first key check is held until Connect has been clicked again.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = () => {};
    const checking = new Promise<void>((resolve) => (asked = resolve));
    await page.route('**/api/v1/stats', async (route) => {
      asked();
      await held;
      await route.continue().catch(() => undefined);
    });
    await page.fill('#key-input', KEY);
    await page.click('#key-form button[type="submit"]');
    await checking;
    await page.click('#key-form button[type="submit"]');
    release();
    const shown = async () => ({
      query: new URL(page.url()).search,
      from: await page.getAttribute('#tail-status', 'data-from'),
    });
    await expect.poll(shown, PATIENT).toEqual({ query: '', from: expect.stringMatching(/^[0-9]+$/) });
    expect(navigations).toEqual([`${base}/dashboard`]);
    await page.close();
  });

  it('trims spaces around a typed key, so the live tail connects too; names a key no header can carry', async () => {
    const base = running.server!.base;
    const page = await running.browser!.newPage();
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('#key-form:not([hidden])', { timeout: 10_000 });
    // Hint: fetch throws on a header with a character past U+00FF or a NUL; the page said "server unreachable".
    for (const typed of ['ключ', `${KEY}\u0000`]) {
      await page.fill('#key-input', typed);
      await page.click('#key-form button[type="submit"]');
      await expect
        .poll(() => textOf(page, '#key-error'), PATIENT)
        .toMatch(/^That key cannot be sent: an API key is printable ASCII .*character \d+ is not\.$/);
      expect(await textOf(page, '#connection')).toBe('API key needed');
    }
    await page.fill('#key-input', `  ${KEY}  `);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#tail-status[data-from]', { timeout: 10_000 });
    const [record] = await publish(base, [ev('quiz_started', 's-spaced', 'u-9')], KEY);
    await expect
      .poll(async () => (await tableRows(page, '#tail')).map((r) => r.data.session), PATIENT)
      .toContain('s-spaced');
    expect(await textOf(page, '#tail-status')).not.toMatch(/closed|reconnecting/);
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('event-pipeline:api-key')`)).toBe(KEY);
    expect(record!.session_id).toBe('s-spaced');
    await page.close();
  });

  it('asks for the key again when the server is restarted with another one', async () => {
    const old = running.server!;
    const page = await running.browser!.newPage();
    await page.goto(`${old.base}/dashboard`);
    await page.fill('#key-input', KEY);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#tail-status[data-from]', { timeout: 10_000 });
    await stopServer(old);
    const NEW_KEY = 'dashboard-test-key-2';
    const env = { REQUIRE_AUTH: 'true', API_KEY: NEW_KEY, PORT: String(old.port) };
    running.server = await spawnServer(join(running.dir, 'events.db'), env);
    await page.waitForSelector('#key-form:not([hidden])', { timeout: 10_000 });
    expect(await textOf(page, '#key-error')).toMatch(/^The key in use was refused/);
    await page.fill('#key-input', NEW_KEY);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#key-form[hidden]', { state: 'attached', timeout: 10_000 });
    const [record] = await publish(running.server.base, [ev('quiz_started', 's-rekeyed', 'u-9')], NEW_KEY);
    await expect
      .poll(async () => ({ tail: (await tailOffsets(page))[0], head: await textOf(page, '#head-offset') }), PATIENT)
      .toEqual({ tail: record!.offset, head: String(record!.offset) });
    await page.close();
  });
});

describe('dashboard under RATE_LIMIT_QUERY', () => {
  const running = serverAndBrowser('rep-dashboard-limited-', { RATE_LIMIT_QUERY: '3/minute' });

  it("says the server refused its polls and why, instead of 'server unreachable'", async () => {
    // Hint: a poll is 3-5 GETs every 0.5 s, so this budget is spent by the first; the server answers 429 naming it.
    const page = await running.browser!.newPage();
    await page.goto(`${running.server!.base}/dashboard`);
    await expect
      .poll(() => textOf(page, '#connection'), PATIENT)
      .toMatch(/HTTP 429: rate limit exceeded \(RATE_LIMIT_QUERY: 3 per minute per client\); retry in \d+ s/);
    await page.close();
  });
});
