import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CommitEnd, PipelineMetrics } from '../actors/pipelineMetrics.js';
import { type ClusterFigures, registerClusterMetrics } from './clusterMetrics.js';
import { type MetricsSources, registerScrapeMetrics } from './scrapeMetrics.js';

/** Which WebSocket endpoint. */
export type WsEndpoint = 'publish' | 'subscribe';

/** Why a publish was refused, as /metrics labels it. */
export type PublishErrorReason =
  | 'bad_request'
  | 'unauthorized'
  | 'invalid'
  | 'too_large'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** The settings that bound what the server holds in memory for clients, as /metrics labels their refusals. */
export type MemoryBound =
  | 'MAX_PENDING_EVENTS'
  | 'MAX_PENDING_BYTES'
  | 'MAX_BODY_BUFFER_BYTES'
  | 'MAX_BODY_BUFFER_BYTES_PER_IP'
  | 'MAX_ACK_BACKLOG_BYTES'
  | 'MAX_ACK_BACKLOG_TOTAL_BYTES';

/** What the server holds for clients now, read at scrape time from whoever holds it. */
type Held = 'bodies' | 'acks' | 'subscribers' | 'answers';

/**
 * One server's Prometheus registry (never the global one, so several servers in a process do not clash). Counters
 * kept elsewhere are read in `collect` at scrape time; only commits, publish outcomes, connections and refusals are
 * counted as they happen.
 */
export class ServerMetrics implements PipelineMetrics {
  readonly registry = new Registry();
  private readonly appended: Counter<'event_type'>;
  private readonly commitFailures: Counter;
  private readonly commitSeconds: Histogram;
  private readonly batchEvents: Histogram;
  /** Acks by transport, counted as plain numbers (one per publish) and handed to prom-client at scrape time. */
  private readonly acked = { rest: 0, ws: 0 };
  private readonly publishErrors: Counter<'transport' | 'reason'>;
  private readonly wsConnections: Gauge<'endpoint'>;
  private readonly slowConsumerCloses: Counter;
  private readonly rateLimited: Counter<'limit'>;
  private readonly authFailures: Counter;
  private readonly boundRefusals: Counter<'setting'>;
  private readonly held: Record<Held, () => number> = {
    bodies: () => 0,
    acks: () => 0,
    subscribers: () => 0,
    answers: () => 0,
  };
  private sources: MetricsSources | null = null;

  constructor(private readonly clock: () => number = () => performance.now()) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.appended = counter('pipeline_events_appended_total', 'Events appended (duplicates excluded), by type', [
      'event_type',
    ]);
    this.commitFailures = counter('pipeline_commit_failures_total', 'Group commits the log refused (nothing stored)');
    this.commitSeconds = new Histogram({
      name: 'pipeline_commit_duration_seconds',
      help: 'Group commit latency: from handing the batch to the log until it reported the commit',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.batchEvents = new Histogram({
      name: 'pipeline_commit_batch_events',
      help: 'Events per group commit',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    });
    const acked = this.acked;
    new Counter({
      name: 'pipeline_publish_acks_total',
      help: 'Publishes acked as committed (per request or message)',
      labelNames: ['transport'],
      registers,
      collect() {
        // Hint: prom-client's inc() builds a label key per call; at one call per ack that was ~1% of the I/O thread.
        this.reset();
        for (const transport of ['rest', 'ws'] as const) this.inc({ transport }, acked[transport]);
      },
    });
    this.publishErrors = counter('pipeline_publish_errors_total', 'Publishes refused, by transport and reason', [
      'transport',
      'reason',
    ]);
    this.wsConnections = new Gauge({
      name: 'pipeline_websocket_connections',
      help: 'Open WebSocket connections, by endpoint',
      labelNames: ['endpoint'],
      registers,
    });
    for (const endpoint of ['publish', 'subscribe']) this.wsConnections.set({ endpoint }, 0);
    this.slowConsumerCloses = counter('pipeline_slow_consumer_closes_total', 'Subscribers closed with 4008');
    this.rateLimited = counter('pipeline_rate_limit_refusals_total', '429 refusals, by limit', ['limit']);
    this.authFailures = counter('pipeline_auth_failures_total', 'Requests and upgrades refused for the API key');
    this.boundRefusals = counter(
      'pipeline_memory_bound_refusals_total',
      'Publishes refused (retryable) and producers closed (4009) at a bound on memory held for clients, by setting',
      ['setting'],
    );
    this.heldGauges(registers);
    registerScrapeMetrics(registers, (pick, fallback) => (this.sources === null ? fallback : pick(this.sources)));
  }

  private heldGauges(registers: Registry[]): void {
    const held = this.held;
    const gauge = (name: string, help: string, kind: Held) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(held[kind]());
        },
      });
    gauge(
      'pipeline_request_body_bytes',
      'POST /events body bytes received and not yet answered (MAX_BODY_BUFFER_BYTES)',
      'bodies',
    );
    gauge(
      'pipeline_unread_ack_bytes',
      "Producers' acks not yet taken by their sockets (MAX_ACK_BACKLOG_TOTAL_BYTES)",
      'acks',
    );
    gauge(
      'pipeline_subscriber_buffered_bytes',
      "Bytes queued in subscribers' sockets, not yet taken by their readers (MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES)",
      'subscribers',
    );
    gauge(
      'pipeline_http_answers_under_way',
      'REST answers being sent as their clients read: GET /events answers, and answers the socket could not take at once (MAX_HTTP_STREAMS_PER_IP per address)',
      'answers',
    );
  }

  /** Where a figure of what is held for clients is read at scrape time. */
  holding(kind: Held, read: () => number): void {
    this.held[kind] = read;
  }

  /** A publish was refused, or a producer closed, at the bound `setting` (rare: counted with labels). */
  refusedAtBound(setting: MemoryBound): void {
    this.boundRefusals.inc({ setting });
  }

  /** Where scrape-time figures come from; set once the pipeline exists. */
  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** A cluster node's NATS connection, stream and replica lag (registered only then: absent in embedded mode). */
  attachCluster(read: () => ClusterFigures): void {
    registerClusterMetrics([this.registry], read);
  }

  commitStarted(events: number): CommitEnd {
    const started = this.clock();
    return (outcomes) => {
      if (outcomes === null) {
        this.commitFailures.inc();
        return;
      }
      this.commitSeconds.observe((this.clock() - started) / 1000);
      this.batchEvents.observe(events);
      // Hint: one label lookup per type in the batch, not per event.
      const byType = new Map<string, number>();
      for (const outcome of outcomes) {
        if (!outcome.ok) continue;
        for (const record of outcome.appended) byType.set(record.event_type, (byType.get(record.event_type) ?? 0) + 1);
      }
      for (const [eventType, count] of byType) this.appended.inc({ event_type: eventType }, count);
    };
  }

  /** A publish was acked (committed or a duplicate). */
  publishAcked(transport: 'rest' | 'ws'): void {
    this.acked[transport]++;
  }

  /** A publish was refused. */
  publishRefused(transport: 'rest' | 'ws', reason: PublishErrorReason): void {
    this.publishErrors.inc({ transport, reason });
  }

  wsOpened(endpoint: WsEndpoint): void {
    this.wsConnections.inc({ endpoint });
  }

  wsClosed(endpoint: WsEndpoint, code: number): void {
    this.wsConnections.dec({ endpoint });
    if (code === 4008) this.slowConsumerCloses.inc();
  }

  refusedByRateLimit(limit: string): void {
    this.rateLimited.inc({ limit });
  }

  authFailed(): void {
    this.authFailures.inc();
  }

  /** The Prometheus text of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
