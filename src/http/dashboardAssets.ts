import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the dashboard serves, read once at start. */
export interface DashboardAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Where the page's files are: beside this module (src/http/dashboard, or its copy the build puts in dist). */
export const PAGE_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

/**
 * The compiled client SDK's root (holding client/ and protocol/): dist/src when this module runs from dist, the
 * package's dist/src when it runs from the sources (tests, after `npm run build`); null when neither was built.
 */
export function sdkRoot(): string | null {
  for (const candidate of [new URL('../', import.meta.url), new URL('../../dist/src/', import.meta.url)]) {
    if (existsSync(new URL('client/subscriber.js', candidate))) return fileURLToPath(candidate);
  }
  return null;
}

/** Add every servable file of `dir` (not its subfolders) under `prefix`, keeping only `only` extensions if given. */
function addFiles(assets: Map<string, DashboardAsset>, prefix: string, dir: string, only?: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const extension = extname(name);
    const contentType = CONTENT_TYPES[extension];
    if (contentType === undefined || (only !== undefined && extension !== only)) continue;
    assets.set(prefix + name, { contentType, body: readFileSync(join(dir, name)) });
  }
}

/**
 * Every file of the dashboard by URL path: the page (`/dashboard`, `/dashboard/app.js`, …) and the compiled SDK
 * modules it imports (`/dashboard/client/*.js`, and `/dashboard/protocol/*.js` that they import relatively).
 */
export function loadDashboardAssets(pageDir = PAGE_DIR, sdk = sdkRoot()): Map<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  addFiles(assets, '/dashboard/', pageDir);
  if (sdk !== null) {
    addFiles(assets, '/dashboard/client/', join(sdk, 'client'), '.js');
    addFiles(assets, '/dashboard/protocol/', join(sdk, 'protocol'), '.js');
  }
  const index = assets.get('/dashboard/index.html');
  if (index !== undefined) {
    assets.set('/dashboard', index);
    assets.set('/dashboard/', index);
  }
  return assets;
}
