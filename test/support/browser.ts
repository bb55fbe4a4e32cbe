import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's chromium (`.ci/run` installs it when missing); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless chromium that talks to nothing but the pages it is sent to (no updates, sync or QUIC probes). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What a page did wrong: uncaught errors, console errors (CSP violations land here) and requests to other origins. */
export interface PageProblems {
  readonly errors: string[];
  readonly foreignRequests: string[];
}

/** Record `page`'s problems from now on; `origin` is the only origin it may load from. */
export function watchPage(page: Page, origin: string): PageProblems {
  const problems: PageProblems = { errors: [], foreignRequests: [] };
  page.on('pageerror', (error) => problems.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.errors.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) problems.foreignRequests.push(url);
  });
  return problems;
}

/** One table row as the page shows it: its data attributes and its cells' text. */
export interface ShownRow {
  readonly data: Record<string, string>;
  readonly cells: string[];
}

/** The body rows of the table matching `selector`. */
export function tableRows(page: Page, selector: string): Promise<ShownRow[]> {
  // Hint: a string expression, so the test's TypeScript needs no DOM types.
  return page.evaluate<ShownRow[]>(
    `[...document.querySelectorAll(${JSON.stringify(`${selector} tbody tr`)})]` +
      '.map((r) => ({ data: { ...r.dataset }, cells: [...r.cells].map((c) => c.textContent) }))',
  );
}

/** The text of the element matching `selector` ('' when there is none). */
export function textOf(page: Page, selector: string): Promise<string> {
  return page.evaluate<string>(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`);
}
