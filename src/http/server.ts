import { customAlphabet, nanoid } from 'nanoid';
import { type Logger, silentLogger } from '../actors/logger.js';
import { Pipeline } from '../actors/pipeline.js';
import type { PipelineOptions } from '../actors/pipelineOptions.js';
import { type Scheduler, systemScheduler } from '../actors/scheduler.js';
import type { Config } from '../config.js';
import { packageVersion, runningBuild } from '../packageVersion.js';
import { checkDatabasePath } from '../persistence/databasePath.js';
import { LogOpenError } from '../persistence/eventLog.js';
import type { JetStreamEventLog } from '../persistence/jetstream/jetStreamEventLog.js';
import { replicaRefusal } from '../persistence/jetstream/replicaPosition.js';
import { foreignFileRefusal } from '../persistence/logFileContent.js';
import { realLogPath } from '../persistence/logPath.js';
import { SqliteEventLog } from '../persistence/sqliteEventLog.js';
import { offsetIds } from '../protocol/offsetIds.js';
import { cryptoBytes } from '../protocol/prefixedIds.js';
import { risingIds, SERVER_COUNTER_CHARS } from '../protocol/risingIds.js';
import { registerDashboard } from './dashboard.js';
import { type FdSource, FdWatch, procFdSource } from './fdWatch.js';
import { explainListenFailure } from './listenFailure.js';
import { ListenGate } from './listenGate.js';
import { ServerMetrics } from './metrics.js';
import { createRateLimiters } from './rateLimits.js';
import { RequestLog } from './requestLog.js';
import { isReady } from './restAdmin.js';
import { type MountedApi, registerRestApi } from './restApi.js';
import { drainAndClose } from './serverClose.js';
import { loadNativeUws } from './uws.js';
import { registerWsApi, type SocketSet } from './wsApi.js';

/** Injected clock, scheduler and ids, so tests are deterministic. */
export interface ServerDeps {
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Time and deferral for the actors and the sweep (a ManualScheduler in tests); `now` defaults to its clock. */
  readonly scheduler?: Scheduler;
  readonly newEventId?: () => string;
  /**
   * Monotonic milliseconds: request durations and commit latency (performance.now by default), rate-limit windows and
   * WebSocket message budgets (the scheduler's `monotonic` by default).
   */
  readonly clock?: () => number;
  /** Open file descriptors and their limit (this process's, from /proc, by default). */
  readonly fdSource?: FdSource;
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
  /** This server's Prometheus registry. */
  readonly metrics: ServerMetrics;
  /** The routes mounted (each also under /api/v1) and the documents built from them. */
  readonly api: MountedApi;
  /** One sweep now (open files against RLIMIT_NOFILE, keepalives, checkpoints, 4000/4008 closes, session passivation); it also runs every second. */
  sweep(): void;
  /** Stop accepting, finish in-flight commits and acks, close sockets with 1001, close the database. */
  close(): Promise<void>;
}

const VERSION = packageVersion();
const SWEEP_MS = 1_000;
const SERVER_ID = /^evt_[A-Za-z0-9_-]{21}$/;

/** The index tail rebuilt in memory at open, reported for operators. */
function reportUnindexed(log: SqliteEventLog | JetStreamEventLog, logger: Logger): void {
  const unindexed = log.unindexedCount();
  if (unindexed > 0)
    logger.info(
      { unindexed_offsets: unindexed, head_offset: log.headOffset() },
      'index tail rebuilt in memory at open',
    );
}

/** Point the metrics at the pipeline and the log, and make the request log (LOG_REQUESTS). */
function operatorSurface(
  config: Config,
  deps: ServerDeps,
  logger: Logger,
  metrics: ServerMetrics,
  pipeline: Pipeline,
  log: SqliteEventLog | JetStreamEventLog,
  fds: FdWatch,
): RequestLog {
  metrics.attach({
    stats: () => pipeline.stats(),
    headOffset: () => log.headOffset(),
    subscribers: (limit) => pipeline.subscribers(limit),
    sessionsPassivated: () => pipeline.sessionsPassivated(),
    clockBehindMs: () => pipeline.clockBehindMs(),
    subscriberBufferShare: () => pipeline.subscriberBufferShare(),
    unindexedCount: () => log.unindexedCount(),
    ready: () => isReady(pipeline.health(), fds),
  });
  if ('clusterFigures' in log) metrics.attachCluster(() => log.clusterFigures());
  return new RequestLog({
    logger,
    // Hint: request lines are info lines; at LOG_LEVEL=warn and above their fields are not even gathered.
    enabled: config.logRequests && ['trace', 'debug', 'info'].includes(config.logLevel),
    metrics,
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  });
}

/** The pipeline's bounds and timings, from configuration. */
function pipelineTuning(config: Config) {
  return {
    maxPendingEvents: config.maxPendingEvents,
    maxPendingBytes: config.maxPendingBytes,
    maxSubscribers: config.maxSubscribers,
    subscriberBufferBytes: config.subscriberBufferBytes,
    subscriberBufferTotalBytes: config.subscriberBufferTotalBytes,
    slowConsumerTimeoutMs: config.slowConsumerTimeoutMs,
    keepaliveMs: config.keepaliveMs,
    checkpointMs: config.checkpointMs,
    subscribeTimeoutMs: 10_000,
    sessionIdleMs: config.sessionIdleMs,
    maxActiveSessions: config.maxActiveSessions,
  } satisfies Partial<PipelineOptions>;
}

/** Start the pipeline: open the log, start the actor system, serve REST and WebSocket on uWS. */
export async function startServer(given: Config, deps: ServerDeps = {}): Promise<RunningServer> {
  // Hint: the log's files are named after the file itself, so a server on a link to a running log meets its lock.
  const config = { ...given, databasePath: realLogPath(given.databasePath) };
  const uws = loadNativeUws();
  // Hint: before NATS too (cluster mode): a file that is not a log is refused before anything is written anywhere.
  const pathProblem = checkDatabasePath(config.databasePath) ?? foreignFileRefusal(config.databasePath);
  if (pathProblem !== null) throw new LogOpenError(config.databasePath, pathProblem);
  const logger = deps.logger ?? silentLogger;
  const scheduler = deps.scheduler ?? systemScheduler(deps.now ?? Date.now);
  const now = deps.now ?? (() => scheduler.now());
  const log = await openLog(config, deps, logger, now);
  reportUnindexed(log, logger);
  const newSubscriberId = () => `sub_${nanoid(12)}`;
  const metrics = new ServerMetrics(deps.clock);
  const pipeline = new Pipeline({
    log,
    logger,
    metrics,
    scheduler,
    newSubscriberId,
    ...pipelineTuning(config),
    ...('concurrentCommits' in log ? { replicaFeed: log, maxInFlightCommits: log.concurrentCommits } : {}),
  });
  const fds = FdWatch.of(deps.fdSource ?? procFdSource, logger);
  fds.sample();
  const requestLog = operatorSurface(config, deps, logger, metrics, pipeline, log, fds);
  const app = uws.App();
  const sockets: SocketSet = new Set();
  // Hint: windows on the wall clock locked every client out for a day after the system clock stepped back a day.
  const monotonic = deps.clock ?? (() => scheduler.monotonic());
  // Hint: one set of limiters, so RATE_LIMIT_PUBLISH is one budget for POST /events and /ws/publish messages.
  const limiters = createRateLimiters(config, monotonic);
  const observers = { requestLog, metrics };
  const wsLimiters = { publishLimiter: limiters.publish, queryLimiter: limiters.query };
  const wsChecks = registerWsApi(app, { config, pipeline, logger, ...wsLimiters, observers, fds, monotonic }, sockets);
  registerDashboard(app, logger);
  const restDeps = { config, pipeline, now, scheduler, version: VERSION, logger, limiters, requestLog, metrics, fds };
  const api = registerRestApi(app, { ...restDeps, wsChecks });

  const gate = await ListenGate.listen(app, uws, config.host, config.port, logger);
  if (gate === null) {
    await pipeline.shutdown();
    log.close();
    const failure = await explainListenFailure(config.host, config.port);
    throw new ListenError(failure.reason, failure.variable);
  }
  const port = gate.port;

  const sweep = () => {
    fds.sample();
    gate.sync(fds.accepting);
    pipeline.sweep();
    requestLog.sweep();
  };
  const stopSweeping = scheduler.every(SWEEP_MS, sweep);
  let closing: Promise<void> | null = null;
  const closeLog = () => {
    requestLog.sweep(true);
    log.close();
  };
  const answersUnderWay = api.answersUnderWay;
  const close = () =>
    (closing ??= drainAndClose({ gate, stopSweeping, pipeline, sockets, answersUnderWay, closeLog, app }));

  const cluster = 'natsServer' in log ? { nats_connected_to: log.natsServer } : {};
  logger.info({ ...listeningFields(config, port, log.epoch), ...cluster }, 'event pipeline listening');
  return { port, pipeline, metrics, api, sweep, close };
}

/** The fields of the `event pipeline listening` line: where, which log (in cluster mode: which stream, on which servers), and how durable its acks are. */
function listeningFields(config: Config, port: number, epoch: string) {
  const { jetstream } = config;
  const cluster =
    jetstream === null
      ? {}
      : { nats_servers: jetstream.servers.join(','), nats_stream: jetstream.stream, nats_replicas: jetstream.replicas };
  const { host, databasePath: database, durability } = config;
  return { host, port, database, epoch, durability, build: runningBuild(), ...cluster };
}

/** The embedded SQLite log, or in cluster mode (LOG_BACKEND=jetstream) a JetStream stream with this file as its replica. */
function openLog(
  config: Config,
  deps: ServerDeps,
  logger: Logger,
  now: () => number,
): Promise<SqliteEventLog | JetStreamEventLog> | SqliteEventLog {
  const logOptions = {
    path: config.databasePath,
    durability: config.durability,
    integrityCheck: config.integrityCheck,
    now,
    isGeneratedId: deps.newEventId === undefined ? (id: string) => SERVER_ID.test(id) : () => true,
    onNotice: (message: string) => logger.warn({}, message),
    newEpoch: customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 16),
  };
  // Hint: the NATS client (73 modules) loads only in cluster mode; the writer thread is for the embedded log only.
  const { jetstream } = config;
  // Hint: a cluster node's ids are made before the stream numbers them, so they cannot name their offset; they rise
  // (a random head per process, then a counter), so its replica's id index grows at a few places, not at every page.
  const clusterIds = () => risingIds('evt_', cryptoBytes, SERVER_COUNTER_CHARS);
  if (jetstream !== null)
    return import('../persistence/jetstream/jetStreamEventLog.js').then(({ JetStreamEventLog }) =>
      JetStreamEventLog.open({ ...logOptions, newId: deps.newEventId ?? clusterIds(), jetstream }),
    );
  const refusal = replicaRefusal(config.databasePath);
  if (refusal !== null) throw new LogOpenError(config.databasePath, refusal);
  // Hint: embedded ids name their offset (offsetIds), so finding one, or checking a producer's id, is one read.
  return new SqliteEventLog({
    ...logOptions,
    newId: deps.newEventId ?? offsetIds('evt_'),
    writer: config.logWriter,
    refuseWalLoss: config.integrityCheck !== 'off',
  });
}
