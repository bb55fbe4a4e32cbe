import { performance } from 'node:perf_hooks';
import { nanoid } from 'nanoid';
import type { Logger } from '../actors/logger.js';
import { AuthFailureLines } from './authFailureLines.js';
import type { PublishErrorReason, ServerMetrics, WsEndpoint } from './metrics.js';
import { NOT_UTF8, TOO_LARGE } from './wsText.js';

/** Who made a request, as log lines name it. */
export interface RequestContext {
  readonly method: string;
  readonly path: string;
  /** The client address (behind a trusted proxy, the forwarded one). */
  readonly client: string;
  readonly request_id: string;
}

/** An incoming X-Request-Id is kept when it is this sane (no spaces or control characters, bounded). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

/** The request id: the caller's own when sane (so traces join up across services), else a fresh one. */
export function requestIdFor(incoming: string, newId: () => string = () => nanoid(16)): string {
  return SANE_REQUEST_ID.test(incoming) ? incoming : newId();
}

/** Characters of a request path a log line keeps: a path is the client's to choose, up to uWS's header limit. */
export const LOGGED_PATH_CHARS = 512;

/** The path as log lines show it: cut to LOGGED_PATH_CHARS with its full length, so no client sets a line's size. */
export function loggedPath(path: string): string {
  if (path.length <= LOGGED_PATH_CHARS) return path;
  return `${path.slice(0, LOGGED_PATH_CHARS)}… (${path.length} characters)`;
}

/** The request's fields for a log line, its path cut. */
function fields(request: RequestContext): RequestContext {
  return request.path.length <= LOGGED_PATH_CHARS ? request : { ...request, path: loggedPath(request.path) };
}

const REST_PUBLISH_PATHS = new Set(['/events', '/api/v1/events']);

/** How a POST /events status reads as a publish refusal. */
const REFUSAL_BY_STATUS: Readonly<Record<number, PublishErrorReason>> = {
  400: 'bad_request',
  401: 'unauthorized',
  409: 'conflict',
  413: 'too_large',
  415: 'bad_request',
  422: 'invalid',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * How a /ws/publish error reply reads as a publish refusal, with the reasons REST's statuses give: a message that is
 * not UTF-8 is a bad request (400), one that is not JSON invalid (422, as FastAPI answers a body that is not JSON),
 * one over MAX_WS_MESSAGE_BYTES too large (413).
 */
export function wsRefusalReason(reply: {
  readonly code?: number;
  readonly retryable?: boolean;
  readonly message?: string;
}): PublishErrorReason {
  const message = reply.message ?? '';
  if (message === 'internal error') return 'internal';
  if (message.startsWith(NOT_UTF8)) return 'bad_request';
  if (message.endsWith(TOO_LARGE)) return 'too_large';
  if (reply.code === 409) return 'conflict';
  if (reply.code === 429) return 'rate_limited';
  return reply.retryable === true ? 'unavailable' : 'invalid';
}

/** What the request log needs. */
export interface RequestLogOptions {
  readonly logger: Logger;
  /** LOG_REQUESTS: one info line per request and per WebSocket open/close. */
  readonly enabled: boolean;
  readonly metrics: ServerMetrics | null;
  /** Milliseconds, monotonic (performance.now by default). */
  readonly clock?: () => number;
}

/**
 * The operator's view of traffic: one info line per HTTP request and WebSocket open/close (LOG_REQUESTS), a warn
 * line per failed API key (the first ten a minute, then a count: AuthFailureLines), and the matching /metrics counters. Failed auth is logged even with LOG_REQUESTS=false.
 */
export class RequestLog {
  readonly clock: () => number;
  private slowConsumerCloses = 0;
  private readonly authLines: AuthFailureLines;

  constructor(private readonly options: RequestLogOptions) {
    this.clock = options.clock ?? (() => performance.now());
    this.authLines = new AuthFailureLines(options.logger, this.clock);
  }

  /** Every sweep: write what ended windows of failed keys did not log one by one; `end` (shutdown): the open one too. */
  sweep(end = false): void {
    this.authLines.tick(end);
  }

  /** True when a request line will be written (callers skip gathering its fields otherwise). */
  get enabled(): boolean {
    return this.options.enabled;
  }

  /** An HTTP request was answered with `status` (0: the client went away first). */
  answered(request: RequestContext, status: number, startedAt: number): void {
    const { metrics, logger } = this.options;
    if (metrics !== null && request.method === 'POST' && REST_PUBLISH_PATHS.has(request.path)) {
      if (status === 200 || status === 201) metrics.publishAcked('rest');
      else if (status !== 0) metrics.publishRefused('rest', REFUSAL_BY_STATUS[status] ?? 'internal');
    }
    if (!this.options.enabled) return;
    const duration_ms = Math.round((this.clock() - startedAt) * 100) / 100;
    logger.info({ ...fields(request), status, duration_ms }, 'request');
  }

  /** A request or upgrade was refused for a missing or wrong API key. */
  authFailed(request: RequestContext): void {
    this.options.metrics?.authFailed();
    this.authLines.failed({ ...fields(request), status: 401 });
  }

  /** A request was refused by a rate limit (`limit`: publish, query, admin, ws_connections, http_streams). */
  rateLimited(limit: string): void {
    this.options.metrics?.refusedByRateLimit(limit);
  }

  /** A WebSocket connection opened. */
  wsOpened(endpoint: WsEndpoint, request: RequestContext): void {
    this.options.metrics?.wsOpened(endpoint);
    if (this.options.enabled) this.options.logger.info({ ...fields(request), endpoint }, 'websocket opened');
  }

  /**
   * A WebSocket connection closed with `code`; a slow-consumer close (4008) is always logged, with the running count.
   * `subscriberId`: the subscriber it carried, so the supervisor's lines join this one's client and request id.
   */
  wsClosed(
    endpoint: WsEndpoint,
    request: RequestContext,
    code: number,
    reason: string,
    openedAt: number,
    subscriberId?: string,
  ): void {
    this.options.metrics?.wsClosed(endpoint, code);
    const duration_ms = Math.round(this.clock() - openedAt);
    const who = subscriberId === undefined ? fields(request) : { ...fields(request), subscriber_id: subscriberId };
    if (code === 4008) {
      this.slowConsumerCloses++;
      this.options.logger.info(
        { ...who, code, reason, slow_consumer_closes: this.slowConsumerCloses },
        'slow consumer closed',
      );
    }
    if (!this.options.enabled) return;
    // Hint: uWS's own closes say why only here (`Received too big message` past the per-message cap: the client sees 1006).
    const why = reason === '' ? {} : { reason };
    this.options.logger.info({ ...who, endpoint, code, ...why, duration_ms }, 'websocket closed');
  }
}
