import type { Config } from '../config.js';
import type { ServerMetrics } from './metrics.js';
import type { RouteSpec } from './restRouter.js';

/** GET /metrics: Prometheus text from this server's registry; behind the API key unless METRICS_PUBLIC=true. */
export function metricsRoutes(metrics: ServerMetrics, config: Config): RouteSpec[] {
  return [
    {
      method: 'GET',
      pattern: '/metrics',
      rate: 'none',
      auth: !config.metricsPublic,
      doc: {
        summary: 'Prometheus metrics',
        description:
          "Prometheus text exposition: commits, publish acks and errors, subscribers, sessions, index lag, refusals, process metrics and, in cluster mode, the NATS connection, the stream and the replica lag. Behind `X-API-Key` when REQUIRE_AUTH=true unless METRICS_PUBLIC=true; no rate class covers it, but a missing or wrong key spends the client's RATE_LIMIT_QUERY budget (429 once it is spent)",
        tag: 'operator',
        responses: { 200: { description: 'Prometheus text format 0.0.4', mediaType: 'text/plain' } },
      },
      handler: (_info, reply) => {
        metrics.scrape().then(
          (text) => reply.run(() => reply.send(200, text, { 'Content-Type': metrics.registry.contentType })),
          (error: unknown) => reply.fail(error),
        );
      },
    },
  ];
}
