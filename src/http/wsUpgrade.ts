import type { HttpRequest, HttpResponse, us_socket_context_t } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { SubscriberHandle } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import { UPGRADE_REFUSAL_HEADER, UPGRADE_REFUSAL_MARK } from '../protocol/upgradeRefusal.js';
import { readOfferedProtocols } from '../protocol/wsKeyProtocol.js';
import { AckQueue } from './ackQueue.js';
import { clientAddress } from './clientAddress.js';
import { CorsPolicy } from './corsPolicy.js';
import type { FdWatch } from './fdWatch.js';
import { keyMatches } from './keyMatches.js';
import type { ServerMetrics } from './metrics.js';
import { CountingAckQueue } from './metricsAckQueue.js';
import type { RateLimiter } from './rateLimiter.js';
import { type HeaderOptions, writeHeaders } from './replyHeaders.js';
import { forwardedForOf } from './requestInfo.js';
import { type RequestContext, type RequestLog, requestIdFor } from './requestLog.js';
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

/** Why an upgrade is refused: the answer's status, its `detail`, and its own headers (Retry-After, WWW-Authenticate). */
export interface UpgradeRefusal {
  readonly status: 401 | 403 | 429 | 503;
  readonly detail: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Close the connection with the answer (open files near their limit: it gives its descriptor back). */
  readonly closeConnection: boolean;
}

/**
 * The checks an upgrade passes before its socket opens, in order: the client's query budget (429), open files near
 * their limit (503), API key (401), Origin against CORS_ORIGINS (403), connections per client address (429). `probe`:
 * a plain GET asking what an upgrade would be answered (it takes no connection, so it is not counted as a refused one).
 */
export type UpgradeChecks = (
  request: RequestContext,
  apiKey: string,
  origin: string,
  probe: boolean,
) => UpgradeRefusal | null;

const RETRY_SOON = { 'Retry-After': '1' };

/** The checks of both endpoints' upgrades (and of a plain GET to them: see RestRouter); `stopping`: the drain began. */
export function upgradeChecks(
  config: Config,
  perIp: PerIpCount,
  observers: UpgradeObservers = {},
  budget?: UpgradeBudget,
  fds: FdWatch | null = null,
  stopping: () => boolean = () => false,
): UpgradeChecks {
  const { requestLog } = observers;
  const allOrigins = config.corsOrigins.includes('*');
  const tooManyConnections = `too many WebSocket connections from this address (MAX_WS_CONNECTIONS_PER_IP: ${config.maxWsConnectionsPerIp})`;
  const refusal = (status: UpgradeRefusal['status'], detail: string, headers = {}, closeConnection = false) => ({
    status,
    detail,
    headers: { ...headers, [UPGRADE_REFUSAL_HEADER]: UPGRADE_REFUSAL_MARK },
    closeConnection,
  });
  return (request, apiKey, origin, probe) => {
    const ip = request.client;
    // Hint: the listening socket is closed by then, but a keep-alive connection can still ask for an upgrade.
    if (stopping()) return refusal(503, 'server shutting down; retry against the next instance', RETRY_SOON, !probe);
    // Hint: the budget first, so opening connections in a loop (or guessing keys) spends it, as over REST.
    const wait = budget?.limiter.take(ip) ?? 0;
    if (wait > 0) {
      requestLog?.rateLimited(budget!.name);
      return refusal(429, budget!.limiter.refusal(wait), { 'Retry-After': String(wait) });
    }
    // Hint: near RLIMIT_NOFILE (FdWatch); the connection is closed with the answer, giving its descriptor back.
    const noFds = (probe ? fds?.reason() : fds?.refuse()) ?? null;
    if (noFds !== null) return refusal(503, noFds, RETRY_SOON, !probe);
    if (config.requireAuth && !keyMatches(apiKey, config.apiKeys)) {
      requestLog?.authFailed(request);
      return refusal(401, 'Invalid or missing API key', { 'WWW-Authenticate': 'ApiKey' });
    }
    // Hint: browsers always send Origin on a WebSocket upgrade; other clients usually send none and are allowed.
    if (!allOrigins && origin !== '' && !config.corsOrigins.includes(origin))
      return refusal(403, `Origin ${origin} is not allowed (CORS_ORIGINS)`);
    if ((perIp.get(ip) ?? 0) >= config.maxWsConnectionsPerIp) {
      requestLog?.rateLimited('ws_connections');
      return refusal(429, tooManyConnections);
    }
    return null;
  };
}

/** The upgrade handler shared by both endpoints: `checks` (see UpgradeChecks), then the socket opens with fresh state. */
export function createUpgrade(
  config: Config,
  checks: UpgradeChecks,
  logger: Logger,
  observers: UpgradeObservers = {},
  fds: FdWatch | null = null,
) {
  const { requestLog, metrics } = observers;
  const cors = new CorsPolicy(config.corsOrigins);
  return (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    let answered = false;
    let request: RequestContext | null = null;
    let headerOptions: HeaderOptions = { corsOrigin: null, https: false };
    const startedAt = requestLog?.clock() ?? 0;
    // Hint: a refused upgrade is an HTTP reply like REST's, with its headers (X-Request-Id, security, CORS).
    const refuse = (status: number, detail: string, headers: Readonly<Record<string, string>> = {}, close = false) => {
      answered = true;
      res.cork(() => {
        const requestId = headerOptions.requestId ?? requestIdFor('');
        writeHeaders(res, status, { 'Content-Type': 'application/json', ...headers }, { ...headerOptions, requestId });
        res.end(JSON.stringify({ detail }), close);
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
        const forwardedProto = req.getHeader('x-forwarded-proto');
        const { ip, https } = clientAddress(peer, forwardedForOf(req), forwardedProto, config.trustProxy);
        const requestId = requestIdFor(req.getHeader('x-request-id'));
        request = { method: 'GET', path: req.getUrl(), client: ip, request_id: requestId };
        headerOptions = { corsOrigin: cors.allowOrigin(origin), https, requestId };
        const refusal = checks(request, apiKey, origin, false);
        if (refusal !== null) return refuse(refusal.status, refusal.detail, refusal.headers, refusal.closeConnection);
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
