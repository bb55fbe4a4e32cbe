import { nanoid } from 'nanoid';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '../../src/actors/logger.js';
import { Pipeline } from '../../src/actors/pipeline.js';
import { loadConfig, type Config } from '../../src/config.js';
import { loadNativeUws } from '../../src/http/uws.js';
import { registerWsApi, type SocketSet, type WsDeps } from '../../src/http/wsApi.js';
import { SqliteEventLog } from '../../src/persistence/sqliteEventLog.js';

/** Only the WebSocket endpoints, with WsDeps a test chooses (a small ack bound, a logger that records). */
export interface WsOnlyServer {
  readonly wsBase: string;
  readonly pipeline: Pipeline;
  readonly config: Config;
  stop(): Promise<void>;
}

/** Start /ws/publish and /ws/subscribe on an ephemeral port over a temp log; `env` overrides configuration. */
export async function startWsOnlyServer(
  env: Record<string, string> = {},
  deps: Omit<WsDeps, 'config' | 'pipeline'> & { logger?: Logger } = {},
): Promise<WsOnlyServer> {
  const uws = loadNativeUws();
  const dir = mkdtempSync(join(tmpdir(), 'rep-ws-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATABASE_PATH: join(dir, 'events.db'), ...env });
  const log = new SqliteEventLog({
    path: config.databasePath,
    durability: config.durability,
    now: Date.now,
    newId: () => `evt_${nanoid()}`,
    isGeneratedId: () => false,
    newEpoch: () => nanoid(16),
    onIndexError: () => {},
  });
  const logger = deps.logger ?? { info() {}, warn() {}, error() {} };
  const pipeline = new Pipeline({
    log,
    logger,
    now: Date.now,
    newSubscriberId: () => `sub_${nanoid(12)}`,
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
  registerWsApi(app, { ...deps, logger, config, pipeline }, sockets);
  const listen = await new Promise<us_listen_socket | false>((resolve) => app.listen(config.host, 0, resolve));
  if (listen === false) throw new Error('could not listen');
  const port = uws.us_socket_local_port(listen);
  return {
    wsBase: `ws://127.0.0.1:${port}`,
    pipeline,
    config,
    stop: async () => {
      uws.us_listen_socket_close(listen);
      await pipeline.shutdown();
      for (const ws of [...sockets]) ws.end(1001, 'server shutting down');
      await new Promise((resolve) => setTimeout(resolve, 50));
      log.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
