import type { TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../actors/logger.js';
import type { PipelinePort } from '../actors/pipelinePort.js';
import type { Config } from '../config.js';
import type { RateLimiters } from './rateLimits.js';
import { adminRoutes } from './restAdmin.js';
import { eventRoutes } from './restEvents.js';
import { RestRouter } from './restRouter.js';
import { sessionRoutes } from './restSessions.js';
import { subscriberRoutes } from './restSubscribers.js';

export { keyMatches } from './restRouter.js';
export { validationError } from './validationError.js';

/** What the REST handlers need. */
export interface RestDeps {
  readonly config: Config;
  readonly pipeline: PipelinePort;
  readonly now: () => number;
  readonly version: string;
  /** Where unexpected handler failures are logged (one error line each). */
  readonly logger: Logger;
  /** Per-IP budgets; `publish` is shared with /ws/publish. */
  readonly limiters: RateLimiters;
}

/** Register the REST API, every path both under /api/v1 and unversioned. */
export function registerRestApi(app: TemplatedApp, deps: RestDeps): void {
  const { config, pipeline, now } = deps;
  const router = new RestRouter({
    config,
    limiters: deps.limiters,
    logger: deps.logger,
  });
  router.mount(app, [
    ...eventRoutes(config, pipeline),
    ...adminRoutes(pipeline, now, deps.version),
    ...sessionRoutes(pipeline),
    ...subscriberRoutes(pipeline),
  ]);
}
