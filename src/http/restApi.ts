import type { TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { PipelinePort } from '../actors/pipelinePort.js';
import type { Scheduler } from '../actors/scheduler.js';
import type { Config } from '../config.js';
import { type ApiDocuments, apiDocuments, docsRoutes } from './docsRoutes.js';
import type { ServerMetrics } from './metrics.js';
import { metricsRoutes } from './metricsRoutes.js';
import type { RateLimiters } from './rateLimits.js';
import type { RequestLog } from './requestLog.js';
import { adminRoutes, type ConnectionPressure } from './restAdmin.js';
import { eventRoutes } from './restEvents.js';
import { RestRouter, type RouteSpec } from './restRouter.js';
import { sessionRoutes } from './restSessions.js';
import { subscriberRoutes } from './restSubscribers.js';
import type { UpgradeChecks } from './wsUpgrade.js';

export { keyMatches } from './keyMatches.js';
export { validationError } from './validationError.js';

/** What the REST handlers need. */
export interface RestDeps {
  readonly config: Config;
  readonly pipeline: PipelinePort;
  readonly now: () => number;
  /** Defers the next page of a long reply (GET /events) to a later turn of the event loop. */
  readonly scheduler: Pick<Scheduler, 'immediate'>;
  readonly version: string;
  /** Where unexpected handler failures are logged (one error line each). */
  readonly logger: Logger;
  /** Per-IP budgets; `publish` is shared with /ws/publish. */
  readonly limiters: RateLimiters;
  /** Request lines and failed-auth warnings (absent: none). */
  readonly requestLog?: RequestLog;
  /** /metrics (absent: no such route). */
  readonly metrics?: ServerMetrics;
  /** Open file descriptors near RLIMIT_NOFILE make /readiness 503 (absent: not watched). */
  readonly fds?: ConnectionPressure;
  /** The WebSocket endpoints' upgrade checks, which a plain GET to them answers with (absent: 426 alone). */
  readonly wsChecks?: UpgradeChecks;
}

/** Every REST route: the API's, /metrics and the docs (the documents describe exactly this list). */
export function restRoutes(deps: RestDeps, documents: () => ApiDocuments): RouteSpec[] {
  const { config, pipeline, now } = deps;
  return [
    ...eventRoutes(config, pipeline, (fn) => deps.scheduler.immediate(fn), deps.metrics),
    ...adminRoutes(pipeline, now, deps.version, deps.fds),
    ...sessionRoutes(pipeline),
    ...subscriberRoutes(pipeline),
    ...(deps.metrics === undefined ? [] : metricsRoutes(deps.metrics, config)),
    ...docsRoutes(documents),
  ];
}

/**
 * Register the REST API, every path both under /api/v1 and unversioned. The OpenAPI and AsyncAPI documents are
 * built here, at start, from the very routes mounted: a route without an OpenAPI entry stops the server starting.
 */
export function registerRestApi(app: TemplatedApp, deps: RestDeps): MountedApi {
  let documents: ApiDocuments | null = null;
  const routes = restRoutes(deps, () => documents!);
  documents = apiDocuments(routes, deps.version);
  const router = new RestRouter({
    config: deps.config,
    limiters: deps.limiters,
    logger: deps.logger,
    ...(deps.requestLog === undefined ? {} : { requestLog: deps.requestLog }),
    draining: () => deps.pipeline.stopping,
    ...(deps.wsChecks === undefined ? {} : { wsChecks: deps.wsChecks }),
  });
  router.mount(app, routes);
  deps.metrics?.holding('answers', () => router.answersUnderWay);
  return {
    documents,
    answersUnderWay: () => router.answersUnderWay,
    routes: routes.map(({ method, pattern, asset }) => ({ method, pattern, ...(asset === true ? { asset } : {}) })),
  };
}

/** What registerRestApi mounted: the documents and the routes (each also under /api/v1; assets are no operations). */
export interface MountedApi {
  readonly documents: ApiDocuments;
  /** Answers being sent as their clients read (a shutdown waits for them, bounded). */
  readonly answersUnderWay: () => number;
  readonly routes: readonly Pick<RouteSpec, 'method' | 'pattern' | 'asset'>[];
}
