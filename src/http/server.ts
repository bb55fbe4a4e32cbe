import type { us_listen_socket } from 'uWebSockets.js';
import { customAlphabet, nanoid } from 'nanoid';
import { type Logger, silentLogger } from '../actors/logger.js';
import { Pipeline } from '../actors/pipeline.js';
import { type Scheduler, systemScheduler } from '../actors/scheduler.js';
import type { Config } from '../config.js';
import { packageVersion } from '../packageVersion.js';
import { checkDatabasePath } from '../persistence/databasePath.js';
import { LogOpenError } from '../persistence/eventLog.js';
import { SqliteEventLog } from '../persistence/sqliteEventLog.js';
import { explainListenFailure } from './listenFailure.js';
import { createRateLimiters } from './rateLimits.js';
import { registerRestApi } from './restApi.js';
import { loadNativeUws } from './uws.js';
import { registerWsApi, type SocketSet } from './wsApi.js';

/** Injected clock, scheduler and ids, so tests are deterministic. */
export interface ServerDeps {
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Time and deferral for the actors and the sweep (a ManualScheduler in tests); `now` defaults to its clock. */
  readonly scheduler?: Scheduler;
  readonly newEventId?: () => string;
}

/** Thrown when the server cannot bind its address (the log it opened is closed again); `variable` names a setting at fault. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    message: string,
    readonly variable: 'HOST' | 'PORT' | null = null,
  ) {
    super(message);
  }
}

/** A running server. */
export interface RunningServer {
  readonly port: number;
  readonly pipeline: Pipeline;
  /** One sweep now (keepalives, checkpoints, 4000/4008 closes, session passivation); it also runs every second. */
  sweep(): void;
  /** Stop accepting, finish in-flight commits and acks, close sockets with 1001, close the database. */
  close(): Promise<void>;
}

const VERSION = packageVersion();
const SWEEP_MS = 1_000;
const SERVER_ID = /^evt_[A-Za-z0-9_-]{21}$/;

/** Start the pipeline: open the log, start the actor system, serve REST and WebSocket on uWS. */
export async function startServer(config: Config, deps: ServerDeps = {}): Promise<RunningServer> {
  const uws = loadNativeUws();
  const pathProblem = checkDatabasePath(config.databasePath);
  if (pathProblem !== null) throw new LogOpenError(config.databasePath, pathProblem);
  const logger = deps.logger ?? silentLogger;
  const scheduler = deps.scheduler ?? systemScheduler(deps.now ?? Date.now);
  const now = deps.now ?? (() => scheduler.now());
  const log = new SqliteEventLog({
    path: config.databasePath,
    durability: config.durability,
    writer: config.logWriter,
    now,
    newId: deps.newEventId ?? (() => `evt_${nanoid()}`),
    isGeneratedId: deps.newEventId === undefined ? (id) => SERVER_ID.test(id) : () => true,
    newEpoch: customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 16),
    onNotice: (message) => logger.warn({}, message),
  });
  const newSubscriberId = () => `sub_${nanoid(12)}`;
  const pipeline = new Pipeline({
    log,
    logger,
    scheduler,
    newSubscriberId,
    maxPendingEvents: config.maxPendingEvents,
    maxSubscribers: config.maxSubscribers,
    subscriberBufferBytes: config.subscriberBufferBytes,
    slowConsumerTimeoutMs: config.slowConsumerTimeoutMs,
    keepaliveMs: config.keepaliveMs,
    checkpointMs: config.checkpointMs,
    subscribeTimeoutMs: 10_000,
    sessionIdleMs: config.sessionIdleMs,
    maxActiveSessions: config.maxActiveSessions,
  });

  const app = uws.App();
  const sockets: SocketSet = new Set();
  // Hint: one set of limiters, so RATE_LIMIT_PUBLISH is one budget for POST /events and /ws/publish messages.
  const limiters = createRateLimiters(config, now);
  registerWsApi(app, { config, pipeline, logger, publishLimiter: limiters.publish }, sockets);
  registerRestApi(app, { config, pipeline, now, version: VERSION, logger, limiters });

  // Hint: exclusive, not uWS's default SO_REUSEPORT, so a second server on the same port is refused instead of sharing it.
  const listenSocket = await new Promise<us_listen_socket | false>((resolve) =>
    app.listen(config.host, config.port, uws.LIBUS_LISTEN_EXCLUSIVE_PORT, resolve),
  );
  if (listenSocket === false) {
    await pipeline.shutdown();
    log.close();
    const failure = await explainListenFailure(config.host, config.port);
    throw new ListenError(failure.reason, failure.variable);
  }
  const port = uws.us_socket_local_port(listenSocket);

  const stopSweeping = scheduler.every(SWEEP_MS, () => pipeline.sweep());
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      uws.us_listen_socket_close(listenSocket);
      stopSweeping();
      await pipeline.shutdown();
      for (const ws of [...sockets]) {
        try {
          ws.end(1001, 'server shutting down');
        } catch {
          // already closed
        }
      }
      // Let uWS flush the close frames before the loop lets go.
      await new Promise((resolve) => setTimeout(resolve, 50));
      log.close();
      (app as { close?: () => void }).close?.();
    })());

  logger.info({ host: config.host, port, database: config.databasePath, epoch: log.epoch }, 'event pipeline listening');
  return { port, pipeline, sweep: () => pipeline.sweep(), close };
}
