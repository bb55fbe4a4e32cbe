import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import { decodePathSegment } from '../protocol/pathSegment.js';
import { requestIdFor } from './requestLog.js';

/** What a handler needs of the request, copied out synchronously (uWS requests die when the handler returns). */
export interface RequestInfo {
  /** Upper case, e.g. `GET`. */
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly origin: string;
  /** The Host header (where the client sent the request: a same-origin page's Origin names it). */
  readonly host: string;
  readonly apiKey: string;
  readonly contentType: string;
  /** Every Content-Length line, comma-separated (empty when none; see cutAtTwoLengths). */
  readonly contentLength: string;
  /** Empty when the request has none; every line of it (a second line said `gzip` after `identity`). */
  readonly contentEncoding: string;
  /** Every Transfer-Encoding line; empty when the request has none. */
  readonly transferEncoding: string;
  readonly forwardedFor: string;
  readonly forwardedProto: string;
  readonly params: readonly string[];
  /** The caller's X-Request-Id when sane, else a fresh one; echoed on the reply and in log lines. */
  readonly requestId: string;
}

/**
 * Every line of header `name` (lower case) as one list: repeated lines are one comma-separated list (RFC 9110), and
 * uWS's getHeader returns the first line only. Hint: only a request whose first line is not empty pays for the walk.
 */
function headerLines(req: HttpRequest, name: string): string {
  const first = req.getHeader(name);
  if (first === '') return first;
  const lines: string[] = [];
  req.forEach((key, value) => {
    if (key === name) lines.push(value);
  });
  return lines.length <= 1 ? first : lines.join(',');
}

/**
 * Every X-Forwarded-For line as one list. Hint: a proxy that adds a line of its own (HAProxy's `option
 * forwardedfor`) adds it after the client's: believing the first line let a client choose the address its limits
 * count.
 */
export function forwardedForOf(req: HttpRequest): string {
  return headerLines(req, 'x-forwarded-for');
}

/** Copy what we need from a uWS request. */
export function requestInfo(req: HttpRequest, paramCount: number): RequestInfo {
  const params: string[] = [];
  for (let i = 0; i < paramCount; i++) params.push(decodePathSegment(req.getParameter(i) ?? ''));
  return {
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: req.getQuery() ?? '',
    origin: req.getHeader('origin'),
    host: req.getHeader('host'),
    apiKey: req.getHeader('x-api-key'),
    contentType: req.getHeader('content-type'),
    contentLength: contentLengthOf(req),
    contentEncoding: headerLines(req, 'content-encoding'),
    transferEncoding: headerLines(req, 'transfer-encoding'),
    forwardedFor: forwardedForOf(req),
    forwardedProto: req.getHeader('x-forwarded-proto'),
    params,
    requestId: requestIdFor(req.getHeader('x-request-id')),
  };
}

/** The Content-Length lines as one value when they agree (RFC 9112 6.3), else as sent (see cutAtTwoLengths). */
function oneLength(lines: string): string {
  if (!lines.includes(',')) return lines;
  const values = new Set(lines.split(',').map((value) => value.trim()));
  return values.size === 1 ? [...values][0]! : lines;
}

/** Every Content-Length line of `req`, as one value when they agree (see cutAtTwoLengths). */
export function contentLengthOf(req: HttpRequest): string {
  return oneLength(headerLines(req, 'content-length'));
}

/**
 * Close the connection of a request whose Content-Length lines differ (`contentLength` as contentLengthOf reads
 * them), unanswered; true when it did. Hint: two lengths frame the body two ways (RFC 9112 6.3): uWS reads by the
 * first and serves the rest as a request of its own (a probe's smuggled `DELETE /events` was answered 200). An answer
 * cannot go out without uWS serving that rest too (it did after a 400 with `Connection: close`), so the connection
 * is closed at once, as uWS closes on framing it refuses. Every uWS request handler must ask this first.
 */
export function cutAtTwoLengths(res: HttpResponse, contentLength: string, path: string, logger: Logger): boolean {
  if (!contentLength.includes(',')) return false;
  logger.warn({ path, contentLength }, 'two Content-Length values; connection closed');
  res.close();
  return true;
}
