import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerProcess } from '../lib/childProcesses.js';
import { sessionName } from '../lib/eventFactory.js';
import { type LatencySummary, median } from '../lib/histogram.js';
import { waitFor, withUwsServer } from '../lib/loadRuns.js';
import { sameTally } from '../lib/offsetTally.js';
import type { Metric, Scenario, ScenarioContext, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess, type ServerStats } from '../lib/serverProcess.js';
import { SubscriberPools } from '../lib/subscriberPools.js';
import { TARGETS } from '../lib/targets.js';
import { withTempDir } from '../lib/tempDir.js';
import type { PacedPlan, PacedResult } from '../workers/pacedPublisher.js';
import type { Subscription } from '../workers/subscriberPool.js';

const SESSIONS = 1_000;
const FIREHOSE = 10;
/** The rates the performance issue names; BENCH_FANOUT_RATE overrides the first scenario's, e.g. to probe saturation. */
const RATE = Number(process.env.BENCH_FANOUT_RATE ?? '') || 20_000;
const LOWER_RATE = 10_000;

/** What one fan-out run (against the pipeline or the raw relay) observed. */
interface FanoutRun {
  readonly latencyMs: LatencySummary;
  readonly published: PacedResult;
  readonly expectedRecords: number;
  readonly receivedRecords: number;
  readonly wrongSubscribers: number;
  readonly outOfOrder: number;
  readonly controlErrors: number;
  readonly clientCpuMs: number;
  readonly firstMismatch: string | null;
}

/**
 * 1,000 per-session subscribers (one record per message) plus 10 firehose subscribers (batch:true), a paced
 * publisher stamping payload.sent_at; after a warmup, measure latency and check every subscriber's offsets.
 */
async function fanoutRun(
  wsBase: string,
  rate: number,
  quick: boolean,
  log: (text: string) => void,
): Promise<FanoutRun> {
  const warmupMs = quick ? 400 : 2_000;
  const pools = new SubscriberPools(`${wsBase}/ws/subscribe`, 2_000, true);
  const publisher = WorkerProcess.start('pacedPublisher');
  try {
    const subscriptions: Subscription[] = [];
    for (let s = 0; s < SESSIONS; s++) subscriptions.push({ session_id: sessionName(s), batch: false });
    for (let f = 0; f < FIREHOSE; f++) subscriptions.push({ batch: true });
    const connected = await pools.add(subscriptions);
    if (connected.failed > 0)
      throw new Error(`${connected.failed} subscribers failed to connect: ${connected.errors.join('; ')}`);
    const plan = (durationMs: number): PacedPlan => ({
      url: `${wsBase}/ws/publish`,
      eventsPerSecond: rate,
      durationMs,
      maxBatch: 100,
      sessions: SESSIONS,
      drainTimeoutMs: 10_000,
    });
    const publish = (durationMs: number) =>
      publisher.request<PacedResult>({ type: 'run', plan: plan(durationMs) }, 'paced', durationMs + 30_000);
    const deliveredAll = (expected: number, timeoutMs: number) =>
      waitFor(async () => (await pools.received()) >= expected, timeoutMs, 100);

    const warm = await publish(warmupMs);
    await deliveredAll(warm.expectedAll.count * (FIREHOSE + 1), 15_000);
    await pools.resetLatency();
    const published = await publish(quick ? 2_000 : 10_000);
    const expectedRecords = published.expectedAll.count * (FIREHOSE + 1);
    if (!(await deliveredAll(expectedRecords, 30_000))) log('not every record arrived within 30 s of the last publish');
    const collected = await pools.collect();
    let wrong = 0;
    let firstMismatch: string | null = null;
    for (const tally of collected.tallies) {
      const expected =
        tally.key === '*'
          ? published.expectedAll
          : published.expectedBySession[Number(tally.key.slice('sess_'.length))];
      if (expected === undefined || !sameTally(tally, expected)) {
        wrong++;
        firstMismatch ??= `${tally.key}: got ${tally.count} records (sum ${tally.sum}), expected ${expected?.count ?? '?'} (sum ${expected?.sum ?? '?'})`;
      }
    }
    return {
      latencyMs: collected.histogram.summary(),
      published,
      expectedRecords,
      receivedRecords: await pools.received(),
      wrongSubscribers: wrong + (SESSIONS + FIREHOSE - collected.tallies.length),
      outOfOrder: collected.tallies.reduce((s, t) => s + t.outOfOrder, 0),
      controlErrors: collected.tallies.reduce((s, t) => s + t.controlErrors, 0),
      clientCpuMs: collected.clientCpuMs,
      firstMismatch,
    };
  } finally {
    await publisher.stop();
    await pools.stop();
  }
}

/** Rounds of one pipeline run then one relay run (one with --quick); each side's latencies are its medians. */
const ROUNDS = 3;

/** One pipeline run on a fresh server, then one relay run at the same rate. */
interface Round {
  readonly ours: FanoutRun;
  readonly relay: FanoutRun;
  readonly stats: ServerStats;
  readonly cpuMs: number;
  readonly ioCpuMs: number;
}

async function fanoutRound(dir: string, rate: number, context: ScenarioContext): Promise<Round> {
  const server = await ServerProcess.start({
    dir,
    label: 'fanout',
    profileDir: context.profileDir,
    env: { MAX_SUBSCRIBERS: '5000', MAX_WS_CONNECTIONS_PER_IP: '5000' },
  });
  let ours: FanoutRun;
  let stats: ServerStats;
  let cpuMs: number;
  let ioCpuMs: number;
  try {
    const cpuBefore = server.cpuTimeMs();
    const ioBefore = server.ioThreadCpuMs();
    ours = await fanoutRun(server.wsUrl, rate, context.quick, context.log);
    cpuMs = server.cpuTimeMs() - cpuBefore;
    ioCpuMs = server.ioThreadCpuMs() - ioBefore;
    stats = await server.stats();
  } finally {
    await server.stop();
  }
  context.log(
    `pipeline p50 ${ours.latencyMs.p50.toFixed(2)} ms, p99 ${ours.latencyMs.p99.toFixed(2)} ms; running the raw uWS relay for the floor`,
  );
  // Hint: the relay is measured as long as the pipeline (it used to get the quick 2 s window against our 10 s,
  // and a p99 over fewer samples misses more of the rare stalls both share: the machine's, the client's).
  const relay = await withUwsServer('relay', (uws) =>
    fanoutRun(`ws://127.0.0.1:${uws.port}`, rate, context.quick, context.log),
  );
  return { ours, relay, stats, cpuMs, ioCpuMs };
}

/**
 * Publish→deliver latency and zero loss with 1,010 subscribers at `rate` events/s, vs a raw uWS relay at that rate.
 * Hint: in rounds, each a fresh server then the relay, medians compared: single runs put the ratio anywhere
 * from 1.4× to 15.7× on this machine, the relay's own p99 moving from 4.5 to 18 ms (bench/HISTORY.md).
 */
function fanoutScenario(name: string, rate: number): Scenario {
  return {
    name,
    summary: `1,000 session subscribers + 10 firehose (batch) subscribers, ${rate.toLocaleString('en-US')} events/s paced`,
    run: (context) =>
      withTempDir('fanout', async (dir): Promise<ScenarioOutcome> => {
        const rounds: Round[] = [];
        for (let r = 0; r < (context.quick ? 1 : ROUNDS); r++) {
          const roundDir = join(dir, `round-${r}`);
          mkdirSync(roundDir);
          rounds.push(await fanoutRound(roundDir, rate, context));
        }
        return fanoutOutcome(rounds, rate);
      }),
  };
}

function fanoutOutcome(rounds: readonly Round[], rate: number): ScenarioOutcome {
  const of = (side: 'ours' | 'relay', key: 'p50' | 'p99' | 'max') =>
    median(rounds.map((round) => round[side].latencyMs[key]));
  const ours = { p50: of('ours', 'p50'), p99: of('ours', 'p99'), max: of('ours', 'max') };
  const relay = { p50: of('relay', 'p50'), p99: of('relay', 'p99'), max: of('relay', 'max') };
  const achievedRate = Math.min(
    ...rounds.map((round) => (round.ours.published.ackedEvents * 1000) / round.ours.published.elapsedMs),
  );
  const wrong = rounds.reduce((sum, { ours: o }) => sum + o.wrongSubscribers + o.outOfOrder + o.controlErrors, 0);
  const metrics: Metric[] = [
    { name: 'latency p50', value: ours.p50, unit: 'ms', ceiling: { name: 'raw uWS relay', value: relay.p50 } },
    // Hint: the performance issue's target (README), a ratio, which holds on a shared machine where rates move by 2×.
    {
      name: 'latency p99',
      value: ours.p99,
      unit: 'ms',
      ceiling: { name: 'raw uWS relay', value: relay.p99 },
      ratioTarget: { op: '<=', value: TARGETS.fanout.p99OfRelay },
    },
    { name: 'latency max', value: ours.max, unit: 'ms', ceiling: { name: 'raw uWS relay', value: relay.max } },
    { name: 'publish rate achieved', value: achievedRate, unit: 'ev/s' },
    { name: 'subscribers with wrong offsets', value: wrong, unit: '', target: { op: '<=', value: 0 }, check: true },
  ];
  const ms = (values: number[]) => values.map((v) => v.toFixed(1)).join(' / ');
  const notes = [
    `${rounds.length} round(s) of the pipeline then the relay, medians compared: pipeline p99 ${ms(rounds.map((r) => r.ours.latencyMs.p99))} ms, relay p99 ${ms(rounds.map((r) => r.relay.latencyMs.p99))} ms`,
  ];
  if (achievedRate < rate * 0.95)
    notes.push(
      `the publisher reached ${Math.round(achievedRate).toLocaleString('en-US')} of the ${rate.toLocaleString('en-US')} events/s asked: the latencies are of a lower rate`,
    );
  for (const [i, round] of rounds.entries()) {
    const o = round.ours;
    notes.push(
      `round ${i + 1}: ${o.expectedRecords.toLocaleString('en-US')} records expected, ${o.receivedRecords.toLocaleString('en-US')} received (incl. warmup); server CPU ${(round.cpuMs / 1000).toFixed(1)} s (I/O thread ${(round.ioCpuMs / 1000).toFixed(1)} s); subscriber-process CPU ${(o.clientCpuMs / 1000).toFixed(1)} s; lagging subscribers at end: ${round.stats.router.lagging_subscribers}`,
    );
    if (o.firstMismatch !== null) notes.push(`round ${i + 1}, first mismatch: ${o.firstMismatch}`);
    if (o.published.errorReplies > 0)
      notes.push(`round ${i + 1}, publish errors: ${o.published.firstErrors.join(' | ')}`);
  }
  const strip = (run: FanoutRun) => ({ ...run, published: { ...run.published, expectedBySession: undefined } });
  return {
    metrics,
    details: {
      rounds: rounds.map((round) => ({ ...round, ours: strip(round.ours), relay: strip(round.relay) })),
    },
    notes,
  };
}

export const fanout = fanoutScenario('fanout', RATE);
/** Below saturation: the second fan-out rate. */
export const fanout10k = fanoutScenario('fanout-10k', LOWER_RATE);
