import type { HttpRequest, HttpResponse, us_socket_context_t } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { SubscriberHandle } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import { readOfferedProtocols } from '../protocol/wsKeyProtocol.js';
import { AckQueue } from './ackQueue.js';
import { clientAddress } from './clientAddress.js';
import type { FdWatch } from './fdWatch.js';
import { statusLine } from './httpError.js';
import type { ServerMetrics } from './metrics.js';
import { CountingAckQueue } from './metricsAckQueue.js';
import type { RateLimiter } from './rateLimiter.js';
import { forwardedForOf } from './requestInfo.js';
import { type RequestContext, type RequestLog, requestIdFor } from './requestLog.js';
import { keyMatches } from './restApi.js';
import { guarded } from './wsBoundary.js';

/** Per-connection state kept in uWS user data. */
export interface Connection {
  /** The client address (behind a trusted proxy, the forwarded one): the key of per-IP limits. */
  readonly ip: string;
  closed: boolean;
  /** Publish: replies in message order, held while the socket is backed up. */
  readonly acks: AckQueue;
  subscriber: SubscriberHandle | null;
  /** Subscribe: set when the server was at capacity at open; the first message is answered and the socket closed. */
  atCapacity: boolean;
  /** Closes a refused subscriber that never speaks. */
  timer: ReturnType<typeof setTimeout> | null;
  /** The upgrade request, as the open and close log lines name it. */
  readonly request: RequestContext;
  /** When the socket opened (RequestLog clock), for the close line's duration. */
  openedAt: number;
}

/** The request log and metrics an upgrade reports to (absent in unit tests). */
export interface UpgradeObservers {
  readonly requestLog?: RequestLog;
  readonly metrics?: ServerMetrics | null;
}

/** Open WebSocket connections per client address (MAX_WS_CONNECTIONS_PER_IP). */
export type PerIpCount = Map<string, number>;

/** The per-client budget upgrades spend (RATE_LIMIT_QUERY: an upgrade is a GET request). */
export interface UpgradeBudget {
  readonly limiter: RateLimiter;
  /** The rate class, as /metrics names refusals. */
  readonly name: 'query';
}

/**
 * The upgrade handler shared by both endpoints: the client's query budget (429), open files near their limit (503), API key (401), Origin against CORS_ORIGINS (403),
 * connections per client address (429); then the socket opens with fresh connection state.
 */
export function createUpgrade(
  config: Config,
  perIp: PerIpCount,
  logger: Logger,
  observers: UpgradeObservers = {},
  budget?: UpgradeBudget,
  fds: FdWatch | null = null,
) {
  const { requestLog, metrics } = observers;
  const allOrigins = config.corsOrigins.includes('*');
  const tooManyConnections = `too many WebSocket connections from this address (MAX_WS_CONNECTIONS_PER_IP: ${config.maxWsConnectionsPerIp})`;
  return (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    let answered = false;
    let request: RequestContext | null = null;
    const startedAt = requestLog?.clock() ?? 0;
    const refuse = (status: number, detail: string, retryAfter?: number, closeConnection = false) => {
      answered = true;
      res.cork(() => {
        res.writeStatus(statusLine(status)).writeHeader('Content-Type', 'application/json');
        if (retryAfter !== undefined) res.writeHeader('Retry-After', String(retryAfter));
        res.end(JSON.stringify({ detail }), closeConnection);
      });
      // Hint: a refused upgrade is an HTTP request like any other, so it gets its request line.
      if (request !== null) requestLog?.answered(request, status, startedAt);
    };
    guarded(
      logger,
      'ws upgrade',
      () => {
        const key = req.getHeader('sec-websocket-key');
        const offered = readOfferedProtocols(req.getHeader('sec-websocket-protocol'));
        const extensions = req.getHeader('sec-websocket-extensions');
        const origin = req.getHeader('origin');
        const apiKey =
          req.getHeader('x-api-key') ||
          (offered.apiKey ?? new URLSearchParams(req.getQuery() ?? '').get('api_key')) ||
          '';
        const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
        const { ip } = clientAddress(peer, forwardedForOf(req), req.getHeader('x-forwarded-proto'), config.trustProxy);
        request = {
          method: 'GET',
          path: req.getUrl(),
          client: ip,
          request_id: requestIdFor(req.getHeader('x-request-id')),
        };
        // Hint: the budget first, so opening connections in a loop (or guessing keys) spends it, as over REST.
        const wait = budget?.limiter.take(ip) ?? 0;
        if (wait > 0) {
          requestLog?.rateLimited(budget!.name);
          return refuse(429, budget!.limiter.refusal(wait), wait);
        }
        // Hint: near RLIMIT_NOFILE (FdWatch); the connection is closed with the answer, giving its descriptor back.
        const noFds = fds?.refuse() ?? null;
        if (noFds !== null) return refuse(503, noFds, 1, true);
        if (config.requireAuth && !keyMatches(apiKey, config.apiKeys)) {
          requestLog?.authFailed(request);
          return refuse(401, 'Invalid or missing API key');
        }
        // Hint: browsers always send Origin on a WebSocket upgrade; other clients usually send none and are allowed.
        if (!allOrigins && origin !== '' && !config.corsOrigins.includes(origin))
          return refuse(403, `Origin ${origin} is not allowed (CORS_ORIGINS)`);
        if ((perIp.get(ip) ?? 0) >= config.maxWsConnectionsPerIp) {
          requestLog?.rateLimited('ws_connections');
          return refuse(429, tooManyConnections);
        }
        answered = true;
        res.upgrade(freshConnection(ip, request, metrics), key, offered.answer, extensions, context);
        fds?.accepted();
      },
      () => {
        if (!answered) refuse(500, 'internal error');
      },
    );
  };
}

/** A new socket's state: nothing subscribed, no acks queued. */
function freshConnection(ip: string, request: RequestContext, metrics: ServerMetrics | null | undefined): Connection {
  return {
    ip,
    closed: false,
    acks: metrics ? new CountingAckQueue(metrics) : new AckQueue(),
    subscriber: null,
    atCapacity: false,
    timer: null,
    request,
    openedAt: 0,
  };
}
