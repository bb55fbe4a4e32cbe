import { join } from 'node:path';
import type WebSocket from 'ws';
import { type WorkerMessage, WorkerProcess } from '../lib/childProcesses.js';
import { nowMicros } from '../lib/clock.js';
import { LatencyHistogram, type LatencySummary } from '../lib/histogram.js';
import { runPublisher, sleep, waitFor } from '../lib/loadRuns.js';
import { NatsCluster } from '../lib/natsCluster.js';
import type { Metric, Scenario, ScenarioContext, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess } from '../lib/serverProcess.js';
import { withTempDir } from '../lib/tempDir.js';
import { openSocket } from '../lib/wsClient.js';
import type { PublishPlan, PublishResult } from '../workers/wsPublisher.js';

interface Replayed extends WorkerMessage {
  readonly records: number;
  readonly gaps: number;
  readonly elapsedMs: number;
  readonly failure: string | null;
}

const rateOf = (results: readonly PublishResult[]) =>
  results.reduce((sum, r) => sum + (r.measuredMs > 0 ? (r.measuredEvents * 1000) / r.measuredMs : 0), 0);

function publishPlan(quick: boolean, url: string): PublishPlan {
  return {
    url,
    connections: 2,
    window: 8,
    eventsPerMessage: 100,
    expect: 'ack',
    traffic: 'realistic',
    seed: 7,
    warmupMs: quick ? 300 : 1_000,
    durationMs: quick ? 1_500 : 6_000,
    maxEvents: Number.MAX_SAFE_INTEGER,
    drainTimeoutMs: 15_000,
  };
}

async function replayRate(server: ServerProcess, lastOffset: number): Promise<Replayed> {
  const client = WorkerProcess.start('replayClient');
  try {
    const plan = { url: `${server.wsUrl}/ws/subscribe`, fromOffset: 1, lastOffset, timeoutMs: 60_000 };
    return await client.request<Replayed>({ type: 'replay', plan }, 'replayed', 75_000);
  } finally {
    await client.stop();
  }
}

/** Publish single events through `from` at a steady pace; a live subscriber on `to` measures publish → deliver. */
async function deliveryLatency(from: ServerProcess, to: ServerProcess, count: number): Promise<LatencySummary> {
  const histogram = new LatencyHistogram();
  const subscriber = await openSocket(`${to.wsUrl}/ws/subscribe`, 10_000);
  const publisher = await openSocket(`${from.wsUrl}/ws/publish`, 10_000);
  try {
    let received = 0;
    const subscribed = new Promise<void>((resolve) => subscriber.once('message', () => resolve()));
    subscriber.send(JSON.stringify({ source: 'latency' }));
    await subscribed;
    subscriber.on('message', (data: WebSocket.RawData) => {
      const record = JSON.parse(String(data)) as { payload?: { sent_at?: number } };
      if (record.payload?.sent_at === undefined) return;
      histogram.record((nowMicros() - record.payload.sent_at) / 1000);
      received++;
    });
    for (let i = 0; i < count; i++) {
      const event = { event_type: 'timer_tick', source: 'latency', payload: { sent_at: nowMicros() } };
      publisher.send(JSON.stringify(event));
      await sleep(5);
    }
    if (!(await waitFor(() => received >= count, 15_000))) throw new Error(`${received} of ${count} delivered`);
    return histogram.summary();
  } finally {
    subscriber.terminate();
    publisher.terminate();
  }
}

/** Wait until every server reports the same head; returns it. */
async function levelHeads(servers: readonly ServerProcess[]): Promise<number> {
  let head = 0;
  const level = await waitFor(async () => {
    const heads = await Promise.all(servers.map(async (s) => (await s.stats()).head_offset));
    head = heads[0]!;
    return heads.every((h) => h === head);
  }, 60_000);
  if (!level) throw new Error('the replicas did not reach the same head within 60 s');
  return head;
}

async function measure(context: ScenarioContext, dir: string, nats: NatsCluster): Promise<ScenarioOutcome> {
  const { quick, profileDir } = context;
  const embedded = await ServerProcess.start({ dir: join(dir, 'embedded'), label: 'cluster-embedded', profileDir });
  const env = { LOG_BACKEND: 'jetstream', NATS_URL: nats.url, NATS_STREAM: 'BENCH', NATS_REPLICAS: '3' };
  const a = await ServerProcess.start({ dir: join(dir, 'a'), env, label: 'cluster-a', profileDir });
  const b = await ServerProcess.start({ dir: join(dir, 'b'), env, label: 'cluster-b', profileDir });
  try {
    const embeddedIngest = rateOf([await runPublisher(publishPlan(quick, `${embedded.wsUrl}/ws/publish`))]);
    context.log(`embedded acked ingest ${Math.round(embeddedIngest)} ev/s`);
    const clusterRuns = await Promise.all([a, b].map((s) => runPublisher(publishPlan(quick, `${s.wsUrl}/ws/publish`))));
    const clusterIngest = rateOf(clusterRuns);
    context.log(`cluster acked ingest ${Math.round(clusterIngest)} ev/s through two nodes`);
    const head = await levelHeads([a, b]);
    const embeddedHead = (await embedded.stats()).head_offset;
    const replayTo = Math.min(head, embeddedHead);
    const embeddedReplay = await replayRate(embedded, replayTo);
    const clusterReplay = await replayRate(b, replayTo);
    const count = quick ? 200 : 1_000;
    const embeddedLatency = await deliveryLatency(embedded, embedded, count);
    const crossLatency = await deliveryLatency(a, b, count);
    for (const s of [embedded, a, b]) s.assertAlive();
    return outcome({ embeddedIngest, clusterIngest, embeddedReplay, clusterReplay, embeddedLatency, crossLatency });
  } finally {
    await Promise.all([a.stop(), b.stop(), embedded.stop()]);
  }
}

interface Figures {
  readonly embeddedIngest: number;
  readonly clusterIngest: number;
  readonly embeddedReplay: Replayed;
  readonly clusterReplay: Replayed;
  readonly embeddedLatency: LatencySummary;
  readonly crossLatency: LatencySummary;
}

function outcome(f: Figures): ScenarioOutcome {
  const replayRateOf = (r: Replayed) => (r.records * 1000) / Math.max(1, r.elapsedMs);
  const metrics: Metric[] = [
    {
      name: 'cluster acked ingest (2 nodes, R3)',
      value: f.clusterIngest,
      unit: 'ev/s',
      ceiling: { name: 'embedded acked ingest', value: f.embeddedIngest },
    },
    {
      name: 'replay from a replica',
      value: replayRateOf(f.clusterReplay),
      unit: 'ev/s',
      ceiling: { name: 'embedded replay', value: replayRateOf(f.embeddedReplay) },
    },
    {
      name: 'publish → deliver p50, node A → node B',
      value: f.crossLatency.p50,
      unit: 'ms',
      ceiling: { name: 'embedded p50', value: f.embeddedLatency.p50 },
    },
    { name: 'publish → deliver p99, node A → node B', value: f.crossLatency.p99, unit: 'ms' },
    { name: 'embedded publish → deliver p99', value: f.embeddedLatency.p99, unit: 'ms' },
    {
      name: 'replay missing or out-of-order',
      value: f.clusterReplay.gaps + f.embeddedReplay.gaps + (f.clusterReplay.failure === null ? 0 : 1),
      unit: '',
      target: { op: '<=', value: 0 },
      check: true,
    },
  ];
  return {
    metrics,
    details: { ...f },
    notes: [
      'cluster: 3 nats-server 2.9 nodes (stream R3, file storage) and 2 pipeline nodes on this machine; every process shares its cores',
      'cluster: one stream message per event (its sequence is its offset), so ingest is bound by JetStream storing each event as one replicated entry',
      'latency ceiling: the same single-event publish and live subscriber on one embedded server',
    ],
  };
}

/** Cluster mode (JetStream log, SQLite replicas) against embedded mode, measured in the same run. */
export const cluster: Scenario = {
  name: 'cluster',
  summary: '3 JetStream servers + 2 pipeline nodes vs embedded: acked ingest, replica replay, cross-node latency',
  run: (context) =>
    withTempDir('cluster', async (dir): Promise<ScenarioOutcome> => {
      const nats = await NatsCluster.start(3);
      try {
        return await measure(context, dir, nats);
      } finally {
        await nats.stop();
      }
    }),
};
