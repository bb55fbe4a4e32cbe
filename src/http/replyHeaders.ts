import type { HttpResponse } from 'uWebSockets.js';
import { FIRST_AVAILABLE_HEADER } from '../protocol/eventQuery.js';
import { IGNORED_FIELDS_HEADER } from '../protocol/publishMessage.js';
import { IGNORED_PARAMS_HEADER } from '../protocol/queryParams.js';
import { UPGRADE_REFUSAL_HEADER } from '../protocol/upgradeRefusal.js';
import { statusLine } from './httpError.js';

/** Headers every response carries (the old service's set). */
const SECURITY_HEADERS: readonly [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['X-XSS-Protection', '1; mode=block'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Referrer-Policy', 'strict-origin-when-cross-origin'],
];

/** Sent only on requests that arrived over https (via a trusted TLS proxy). */
const HSTS = 'max-age=31536000; includeSubDomains';
/** Response headers a cross-origin script may read: the request id, ignored names, when to retry, a refusal's mark. */
const EXPOSED_HEADERS = [
  'X-Request-Id',
  IGNORED_PARAMS_HEADER,
  IGNORED_FIELDS_HEADER,
  FIRST_AVAILABLE_HEADER,
  'Retry-After',
  UPGRADE_REFUSAL_HEADER,
].join(', ');

/** What the headers of a reply depend on besides its own. */
export interface HeaderOptions {
  readonly corsOrigin: string | null;
  readonly https: boolean;
  readonly requestId?: string;
}

/** Write the status line, the security and CORS headers every reply carries, and `headers`. */
export function writeHeaders(
  res: HttpResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  options: HeaderOptions,
): void {
  res.writeStatus(statusLine(status));
  // Hint: a page (the docs) may bring its own Content-Security-Policy; every other header is always sent.
  for (const [name, value] of SECURITY_HEADERS) if (headers[name] === undefined) res.writeHeader(name, value);
  if (options.requestId !== undefined) res.writeHeader('X-Request-Id', options.requestId);
  if (options.https) res.writeHeader('Strict-Transport-Security', HSTS);
  const corsOrigin = options.corsOrigin;
  if (corsOrigin !== null) {
    res.writeHeader('Access-Control-Allow-Origin', corsOrigin);
    // Hint: a browser's script sees only safelisted response headers unless they are exposed.
    res.writeHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (corsOrigin !== '*') res.writeHeader('Vary', 'Origin');
  }
  for (const name in headers) res.writeHeader(name, headers[name]!);
}
