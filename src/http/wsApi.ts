import type { TemplatedApp, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { type Logger, silentLogger } from '../actors/logger.js';
import type { PipelinePort } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import { wsMessageCap } from '../protocol/wsPublishLimits.js';
import type { FdWatch } from './fdWatch.js';
import type { WsEndpoint } from './metrics.js';
import type { RateLimiter } from './rateLimiter.js';
import { subscriberHolds, unreadPingGuard } from './unreadAnswers.js';
import { subscriberBackpressureLimit, uwsTopicPublisher } from './uwsTopicPublisher.js';
import { guarded } from './wsBoundary.js';
import { ACK_HIGH_WATER_BYTES, publishHandlers } from './wsPublish.js';
import { subscribeHandlers } from './wsSubscribe.js';
import {
  type Connection,
  createUpgrade,
  type PerIpCount,
  type UpgradeChecks,
  type UpgradeObservers,
  upgradeChecks,
} from './wsUpgrade.js';

/** What the WebSocket endpoints need. */
export interface WsDeps {
  readonly config: Config;
  readonly pipeline: PipelinePort;
  readonly logger: Logger;
  /** The per-IP publish limiter, shared with POST /events (each /ws/publish message spends it). */
  readonly publishLimiter: RateLimiter;
  /** The per-IP query limiter, shared with the GET endpoints (every WebSocket upgrade spends it). */
  readonly queryLimiter?: RateLimiter;
  /** Open/close lines, failed auth and /metrics. */
  readonly observers?: UpgradeObservers;
  /** Open file descriptors against RLIMIT_NOFILE: upgrades are refused near it. */
  readonly fds?: FdWatch;
  /** Monotonic ms for the per-connection message budgets (performance.now by default). */
  readonly monotonic?: () => number;
}

/** Every open socket, so shutdown can close them with 1001. */
export type SocketSet = Set<WebSocket<Connection>>;

const MAX_BACKPRESSURE = 64 * 1024 * 1024;

/**
 * uWS's own per-message limit: uWS holds an unfinished message's frames until it is complete, up to this, and past it
 * closes the connection without a close frame (the client sees 1006; the close line says `Received too big message`).
 * Hint: MAX_WS_CONNECTIONS_PER_IP unfinished messages stay within MAX_BODY_BUFFER_BYTES_PER_IP (at 64 MiB each, 20
 * connections from one address held 1.2 GB for as long as they pinged); messages between MAX_WS_MESSAGE_BYTES and it
 * still get our "too large" reply. Never below MAX_WS_MESSAGE_BYTES, so every message we take reaches us. The
 * formula is wsMessageCap's, shared with the SDK, whose default maxMessageBytes is this at the default settings.
 */
export function uwsMaxPayload(config: Config): number {
  return wsMessageCap(config);
}

/**
 * Register /ws/publish and /ws/subscribe (also under /api/v1); returns their upgrade checks, which a plain GET to
 * them answers with too (see RestRouter).
 */
export function registerWsApi(app: TemplatedApp, deps: WsDeps, sockets: SocketSet): UpgradeChecks {
  const { config, pipeline } = deps;
  const logger = deps.logger ?? silentLogger;
  const perIp: PerIpCount = new Map();

  const opened = (ws: WebSocket<Connection>) => {
    perIp.set(ws.getUserData().ip, (perIp.get(ws.getUserData().ip) ?? 0) + 1);
    sockets.add(ws);
  };
  const closed = (ws: WebSocket<Connection>) => {
    const data = ws.getUserData();
    data.closed = true;
    sockets.delete(ws);
    const count = (perIp.get(data.ip) ?? 1) - 1;
    if (count <= 0) perIp.delete(data.ip);
    else perIp.set(data.ip, count);
  };

  // Hint: an upgrade is a GET request, so it spends RATE_LIMIT_QUERY (publish messages spend RATE_LIMIT_PUBLISH).
  const budget = deps.queryLimiter === undefined ? undefined : { limiter: deps.queryLimiter, name: 'query' as const };
  const stopping = () => deps.pipeline.stopping;
  const checks = upgradeChecks(config, perIp, deps.observers, budget, deps.fds ?? null, stopping);
  const common: WebSocketBehavior<Connection> = {
    upgrade: createUpgrade(config, checks, logger, deps.observers, deps.fds ?? null),
    maxPayloadLength: uwsMaxPayload(config),
    // Hint: uWS pings idle peers and drops dead ones; application keepalives come from the supervisor's sweep.
    idleTimeout: 120,
    sendPingsAutomatically: true,
    maxBackpressure: MAX_BACKPRESSURE,
    closeOnBackpressureLimit: 0,
  };
  const clock = deps.monotonic === undefined ? {} : { monotonic: deps.monotonic };
  const publish = publishHandlers(
    {
      config,
      pipeline,
      logger,
      limiter: deps.publishLimiter,
      ackBacklogBytes: config.maxAckBacklogBytes,
      ackBacklogTotalBytes: config.maxAckBacklogTotalBytes,
      metrics: deps.observers?.metrics ?? null,
      ...clock,
    },
    opened,
    closed,
  );
  deps.observers?.metrics?.holding('subscribers', () => subscriberBufferedBytes(sockets));
  const topics = uwsTopicPublisher(app);
  const subscribe = subscribeHandlers({ config, pipeline, logger, topics, ...clock }, opened, closed);
  // Hint: the router holds subscribers to SUBSCRIBER_BUFFER_BYTES; uWS's own limit only backs it up, by closing.
  const subscribeLimits = { maxBackpressure: subscriberBackpressureLimit(config), closeOnBackpressureLimit: 1 };

  const publishObserved = observed('publish', publish, deps.observers, logger);
  const subscribeObserved = observed('subscribe', subscribe, deps.observers, logger);
  const publishPing = unreadPingGuard(ACK_HIGH_WATER_BYTES, logger);
  const subscribePing = unreadPingGuard(subscriberHolds(config), logger);
  for (const prefix of ['', '/api/v1']) {
    app.ws<Connection>(`${prefix}/ws/publish`, { ...common, ...publishObserved, ping: publishPing });
    app.ws<Connection>(`${prefix}/ws/subscribe`, {
      ...common,
      ...subscribeLimits,
      ...subscribeObserved,
      ping: subscribePing,
    });
  }
  return checks;
}

/** What subscribers' sockets hold unsent, read at scrape time (one native call per open socket). */
function subscriberBufferedBytes(sockets: SocketSet): number {
  let bytes = 0;
  for (const ws of sockets) {
    const data = ws.getUserData();
    if (data.subscriber !== null && !data.closed) bytes += ws.getBufferedAmount();
  }
  return bytes;
}

type Handlers = Pick<WebSocketBehavior<Connection>, 'open' | 'message' | 'drain' | 'close'>;

/** The endpoint's handlers with an open and a close line (and their metrics) around them. */
function observed(
  endpoint: WsEndpoint,
  handlers: Handlers,
  observers: UpgradeObservers | undefined,
  logger: Logger,
): Handlers {
  const log = observers?.requestLog;
  if (log === undefined) return handlers;
  return {
    ...handlers,
    open: (ws) => {
      guarded(logger, 'ws open log', () => {
        const data = ws.getUserData();
        data.openedAt = log.clock();
        log.wsOpened(endpoint, data.request);
      });
      handlers.open?.(ws);
    },
    close: (ws, code, message) => {
      const subscriberId = ws.getUserData().subscriber?.id;
      handlers.close?.(ws, code, message);
      guarded(logger, 'ws close log', () => {
        const data = ws.getUserData();
        log.wsClosed(endpoint, data.request, code, Buffer.from(message).toString(), data.openedAt, subscriberId);
      });
    },
  };
}
