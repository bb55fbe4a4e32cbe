import type { PipelineHealth, PipelinePort } from '../actors/pipelinePort.js';
import { runningBuild } from '../packageVersion.js';
import { formatTimestamp } from '../protocol/eventRecord.js';
import { EVENT_TYPE_DESCRIPTIONS } from '../protocol/eventTypes.js';
import type { Reply } from './reply.js';
import type { RouteSpec } from './restRouter.js';

/** Why the server takes no more connections now (open files near RLIMIT_NOFILE), or null. */
export interface ConnectionPressure {
  reason(): string | null;
}

/** What /readiness answers 200 for (and `pipeline_ready` is 1): the log connected and writable, connections taken. */
export function isReady(health: Pick<PipelineHealth, 'connected' | 'writable'>, fds?: ConnectionPressure): boolean {
  return health.connected && health.writable && (fds?.reason() ?? null) === null;
}

/** GET /readiness: 200 while the log answers and takes writes and connections are taken; 503 with the reason otherwise. */
function readiness(pipeline: PipelinePort, reply: Reply, fds: ConnectionPressure | undefined): void {
  const router = pipeline.stats();
  const health = pipeline.health();
  const connected = health.connected;
  if (isReady(health, fds)) {
    reply.json(200, {
      ready: true,
      database: 'connected',
      head_offset: pipeline.headOffset(),
      epoch: pipeline.epoch,
      router,
    });
    return;
  }
  // Hint: the log's own trouble first; a load balancer should send new clients elsewhere for either.
  const reason = !connected
    ? 'database is not answering'
    : !health.writable
      ? (health.reason ?? 'the log does not accept writes')
      : (fds?.reason() ?? 'new connections are refused');
  // Hint: `disconnected` is the old service's word for a database that does not answer; monitors may match it.
  reply.json(503, { ready: false, database: connected ? 'connected' : 'disconnected', reason, router });
}

/** GET /stats, /event-types, /health and /readiness. */
export function adminRoutes(
  pipeline: PipelinePort,
  now: () => number,
  version: string,
  fds?: ConnectionPressure,
): RouteSpec[] {
  return [
    {
      method: 'GET',
      pattern: '/stats',
      rate: 'query',
      auth: true,
      handler: (_info, reply) => {
        const stats = pipeline.logStats(now());
        reply.json(200, {
          total_events: stats.total_events,
          events_last_hour: stats.events_last_hour,
          by_type: stats.by_type.map((t) => ({
            event_type: t.event_type,
            count: t.count,
            last_seen: formatTimestamp(t.last_seen),
          })),
          router: pipeline.stats(),
          head_offset: stats.head_offset,
          first_offset: stats.first_offset,
          epoch: stats.epoch,
          ...(stats.lost_without_purge === undefined ? {} : { lost_without_purge: stats.lost_without_purge }),
        });
      },
    },
    {
      // Hint: open and unlimited, as in the old service (no key, no RATE_LIMIT_QUERY): a fixed list the README
      // prints, no data, so nothing for a key or a budget to guard.
      method: 'GET',
      pattern: '/event-types',
      rate: 'none',
      auth: false,
      handler: (_info, reply) => reply.json(200, EVENT_TYPE_DESCRIPTIONS),
    },
    {
      method: 'GET',
      pattern: '/health',
      rate: 'none',
      auth: false,
      handler: (_info, reply) =>
        reply.json(200, {
          status: 'ok',
          service: 'event-pipeline',
          version,
          build: runningBuild(),
          epoch: pipeline.epoch,
        }),
    },
    {
      method: 'GET',
      pattern: '/readiness',
      rate: 'none',
      auth: false,
      handler: (_info, reply) => readiness(pipeline, reply, fds),
    },
  ];
}
