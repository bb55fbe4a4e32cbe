import { Counter, Gauge, type Registry } from 'prom-client';
import type { RouterStats } from '../actors/pipelinePort.js';
import type { SubscriberListing } from '../actors/subscriberSummary.js';

/** What /metrics reads at scrape time (the Pipeline and the log implement these). */
export interface MetricsSources {
  stats(): RouterStats;
  headOffset(): number;
  /** GET /subscribers' figures: counts by mode, and (limit 1) the most lagging subscriber, so both agree. */
  subscribers(limit: number): SubscriberListing;
  sessionsPassivated(): number;
  /** Ms the wall clock is behind the log's newest event timestamp, which new events get meanwhile (0: not behind). */
  clockBehindMs(): number;
  /** Each subscriber's socket bound now: SUBSCRIBER_BUFFER_BYTES, or its share of MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES. */
  subscriberBufferShare(): number;
  /** Offsets appended but not yet in the derived index (served from memory meanwhile). */
  unindexedCount(): number;
  /** Whether /readiness answers 200 now (the log connected and writable, connections taken). */
  ready(): boolean;
}

/** Read a source at scrape time, or `fallback` before the sources are attached. */
type Read = <T>(pick: (sources: MetricsSources) => T, fallback: T) => T;

/** Set a counter that mirrors a running total kept elsewhere (prom-client counters have no `set`). */
function mirror(counter: Counter, total: number): void {
  counter.reset();
  counter.inc(total);
}

/** The metrics read from the pipeline and the log when /metrics is scraped. */
export function registerScrapeMetrics(registers: Registry[], read: Read): void {
  new Counter({
    name: 'pipeline_group_commits_total',
    help: 'Group commits that reached the log',
    registers,
    collect() {
      mirror(
        this,
        read((s) => s.stats().group_commits, 0),
      );
    },
  });
  new Gauge({
    name: 'pipeline_pending_events',
    help: 'Events accepted and waiting for the next group commit',
    registers,
    collect() {
      this.set(read((s) => s.stats().queue_size, 0));
    },
  });
  new Gauge({
    name: 'pipeline_pending_payload_bytes',
    help: 'Payload bytes (as JSON) of the events waiting for the next group commit (MAX_PENDING_BYTES)',
    registers,
    collect() {
      this.set(read((s) => s.stats().queue_bytes, 0));
    },
  });
  new Gauge({
    name: 'pipeline_head_offset',
    help: 'Offset of the newest event in the log',
    registers,
    collect() {
      this.set(read((s) => s.headOffset(), 0));
    },
  });
  new Gauge({
    name: 'pipeline_index_unindexed_offsets',
    help: 'Index build lag: offsets appended but not yet in the derived index',
    registers,
    collect() {
      this.set(read((s) => s.unindexedCount(), 0));
    },
  });
  new Gauge({
    name: 'pipeline_session_actors',
    help: 'Session actors in memory',
    registers,
    collect() {
      this.set(read((s) => s.stats().active_sessions, 0));
    },
  });
  new Counter({
    name: 'pipeline_session_passivations_total',
    help: 'Session actors passivated (idle past SESSION_IDLE_MS, over MAX_ACTIVE_SESSIONS, or failed)',
    registers,
    collect() {
      mirror(
        this,
        read((s) => s.sessionsPassivated(), 0),
      );
    },
  });
  new Gauge({
    name: 'pipeline_ready',
    help: '1 when /readiness answers 200 (the log is connected and writable, connections are taken), else 0 (/readiness says why)',
    registers,
    collect() {
      this.set(read((s) => s.ready(), false) ? 1 : 0);
    },
  });
  subscriberMetrics(registers, read);
  clockMetrics(registers, read);
}

/** The wall clock against the log's newest timestamp (see ClockWatch). */
function clockMetrics(registers: Registry[], read: Read): void {
  new Gauge({
    name: 'pipeline_wall_clock_behind_log_seconds',
    help: "How far the wall clock is behind the log's newest event timestamp: new events get that timestamp (times in the log never go back) until it catches up",
    registers,
    collect() {
      this.set(read((s) => s.clockBehindMs(), 0) / 1000);
    },
  });
}

function subscriberMetrics(registers: Registry[], read: Read): void {
  new Gauge({
    name: 'pipeline_subscribers',
    help: 'Subscribers by mode: awaiting_config (no subscribe message yet), replaying, live, lagging',
    labelNames: ['mode'],
    registers,
    collect() {
      const listing = read((s) => s.subscribers(1), null);
      if (listing === null) return;
      for (const [mode, count] of Object.entries(listing.by_mode)) this.set({ mode }, count);
    },
  });
  new Gauge({
    name: 'pipeline_subscriber_buffer_bytes_each',
    help: "Each subscriber's socket buffer bound now: SUBSCRIBER_BUFFER_BYTES, or its share of MAX_SUBSCRIBER_BUFFER_TOTAL_BYTES",
    registers,
    collect() {
      this.set(read((s) => s.subscriberBufferShare(), 0));
    },
  });
  new Gauge({
    name: 'pipeline_subscriber_lag_max_offsets',
    help: 'The largest subscriber lag as GET /subscribers reports it: head offset minus the last offset sent',
    registers,
    collect() {
      // Hint: the listing puts the most lagging subscriber first (lag as GET /subscribers defines it).
      this.set(read((s) => s.subscribers(1).subscribers[0]?.lag ?? 0, 0));
    },
  });
}
