import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import { type DashboardAsset, loadDashboardAssets } from './dashboardAssets.js';
import { endOrHold } from './heldAnswer.js';
import { statusLine } from './httpError.js';
import { contentLengthOf, cutAtTwoLengths } from './requestInfo.js';

/**
 * The page's policy: its own scripts, styles and connections only (no CDN, no inline code); `connect-src 'self'`
 * covers fetch and the same-origin WebSocket. The REST API keeps its stricter `default-src 'none'`.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The REST API's security headers (reply.ts), with the page's policy in place of its CSP. */
const HEADERS: readonly [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['X-XSS-Protection', '1; mode=block'],
  ['Content-Security-Policy', PAGE_CSP],
  ['Referrer-Policy', 'strict-origin-when-cross-origin'],
  ['Cache-Control', 'no-cache'],
];

const NOT_FOUND: DashboardAsset = {
  contentType: 'application/json',
  body: Buffer.from('{"detail":"Not Found"}'),
};

let loaded: Map<string, DashboardAsset> | null = null;

/**
 * Write one file (or its headers only, for HEAD). Hint: what the socket does not take at once is sent as the client
 * reads (endOrHold); a held file is the asset's own buffer, so it costs no copy, and needs no count per address.
 */
function send(res: HttpResponse, status: number, asset: DashboardAsset, head: boolean): void {
  res.cork(() => {
    res.writeStatus(statusLine(status));
    for (const [name, value] of HEADERS) res.writeHeader(name, value);
    res.writeHeader('Content-Type', asset.contentType);
    if (!head) {
      if (!endOrHold(res, asset.body, asset.body.byteLength, () => {})) res.onAborted(() => {});
      return;
    }
    // Hint: as in reply.ts, endWithoutBody(length) stalls uWS 20.30; the header is written by hand instead.
    res.writeHeader('Content-Length', String(asset.body.byteLength));
    res.endWithoutBody();
  });
}

/**
 * GET /dashboard: the live dashboard, a static page built on the client SDK, read into memory at start. The page
 * needs no key (it holds no data); with REQUIRE_AUTH=true it asks for one and sends it on every call it makes.
 */
export function registerDashboard(app: TemplatedApp, logger: Logger): void {
  // Hint: read once per process; servers started again in the same process (tests) reuse it.
  loaded ??= loadDashboardAssets();
  const assets = loaded;
  if (!assets.has('/dashboard')) logger.warn({}, 'dashboard page files not found; /dashboard answers 404');
  const serve = (res: HttpResponse, req: HttpRequest) => {
    try {
      if (cutAtTwoLengths(res, contentLengthOf(req), req.getUrl(), logger)) return;
      const head = req.getMethod().toUpperCase() === 'HEAD';
      const asset = assets.get(req.getUrl());
      send(res, asset === undefined ? 404 : 200, asset ?? NOT_FOUND, head);
    } catch (error) {
      // Hint: the socket can go away mid-write; nothing is left to answer, and no throw may reach uWS.
      logger.error({ err: error }, 'dashboard response could not be written');
    }
  };
  for (const path of ['/dashboard', '/dashboard/*']) {
    app.get(path, serve);
    app.head(path, serve);
  }
}
