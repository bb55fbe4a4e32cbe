import { customAlphabet, nanoid } from 'nanoid';
import { existsSync, readFileSync } from 'node:fs';
import type { us_listen_socket, WebSocket } from 'uWebSockets.js';
import { Pipeline } from '../actors/pipeline.js';
import { silentLogger, type Logger } from '../actors/logger.js';
import type { Config } from '../config.js';
import { SqliteEventLog } from '../persistence/sqliteEventLog.js';
import { registerRestApi } from './restApi.js';
import { loadNativeUws } from './uws.js';
import { registerWsApi } from './wsApi.js';

/** Injected clock and ids, so tests are deterministic. */
export interface ServerDeps {
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly newEventId?: () => string;
}

/** Thrown when the server cannot bind its address; the log it opened is closed again. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

/** A running server. */
export interface RunningServer {
  readonly port: number;
  readonly pipeline: Pipeline;
  /** Stop accepting, finish in-flight commits and acks, close sockets with 1001, close the database. */
  close(): Promise<void>;
}

/** The package version, found by walking up from this file (src/ in tests, dist/src/ when built). */
function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    if (existsSync(new URL('package.json', dir))) {
      return (JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { version: string }).version;
    }
  }
  return 'unknown';
}

const VERSION = packageVersion();
const SWEEP_MS = 1_000;
const SERVER_ID = /^evt_[A-Za-z0-9_-]{21}$/;

/** Start the pipeline: open the log, start the actor system, serve REST and WebSocket on uWS. */
export async function startServer(config: Config, deps: ServerDeps = {}): Promise<RunningServer> {
  const uws = loadNativeUws();
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const log = new SqliteEventLog({
    path: config.databasePath,
    durability: config.durability,
    now,
    newId: deps.newEventId ?? (() => `evt_${nanoid()}`),
    isGeneratedId: deps.newEventId === undefined ? (id) => SERVER_ID.test(id) : () => true,
    newEpoch: customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 16),
    onIndexError: (message) => logger.error({ error: message }, 'index worker failed; reads fall back to the in-memory tail'),
  });
  const newSubscriberId = () => `sub_${nanoid(12)}`;
  const pipeline = new Pipeline({
    log,
    logger,
    now,
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
  const sockets = new Set<WebSocket<never>>();
  registerWsApi(app, { config, pipeline }, sockets as never);
  registerRestApi(app, { config, pipeline, now, version: VERSION });

  const listenSocket = await new Promise<us_listen_socket | false>((resolve) => app.listen(config.host, config.port, resolve));
  if (listenSocket === false) {
    await pipeline.shutdown();
    log.close();
    throw new ListenError(`could not listen on ${config.host}:${config.port} (address in use, or not allowed)`);
  }
  const port = uws.us_socket_local_port(listenSocket as never);

  const sweeper = setInterval(() => pipeline.supervisor.send({ type: 'maintenance.tick' }), SWEEP_MS);
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      uws.us_listen_socket_close(listenSocket);
      clearInterval(sweeper);
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
  return { port, pipeline, close };
}
