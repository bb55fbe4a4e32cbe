import { type WorkerMessage, WorkerProcess } from '../lib/childProcesses.js';
import { EventFactory } from '../lib/eventFactory.js';
import { LatencyHistogram } from '../lib/histogram.js';
import type { Scenario, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess } from '../lib/serverProcess.js';
import { TARGETS } from '../lib/targets.js';
import { withTempDir } from '../lib/tempDir.js';
import type { ReplayStormPlan } from '../workers/replayStormClient.js';
import { appendToLog } from './logAppend.js';

interface Stormed extends WorkerMessage {
  readonly finished: number;
  readonly records: number;
  readonly gaps: number;
  readonly slowestMs: number;
  readonly elapsedMs: number;
  readonly failure: string | null;
  readonly clientCpuMs: number;
}

/** Pause between probe requests: REST traffic at a steady ~100 requests/s, one at a time. */
const PROBE_GAP_MS = 10;

/** GET /events?limit=10 and /stats, one at a time, until `stop()` says so; each latency recorded. */
async function probeRest(base: string, stop: () => boolean): Promise<LatencyHistogram> {
  const histogram = new LatencyHistogram();
  const paths = ['/events?limit=10', '/stats'];
  for (let i = 0; !stop(); i++) {
    const started = performance.now();
    const response = await fetch(`${base}${paths[i % paths.length]!}`, { signal: AbortSignal.timeout(30_000) });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`REST probe answered ${response.status}`);
    histogram.record(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
  }
  return histogram;
}

/** 50 subscribers replay 200,000 events from offset 1 at once while REST requests measure the server's latency. */
export const replayStorm: Scenario = {
  name: 'replay-storm',
  summary: '50 concurrent replays from offset 1 of 200,000 events; REST latency during the storm',
  run: (context) =>
    withTempDir('replay-storm', async (dir): Promise<ScenarioOutcome> => {
      const total = context.quick ? 50_000 : 200_000;
      const replays = context.quick ? 20 : 50;
      const inputs = new EventFactory({ seed: 17, sessions: 1_000, users: 5_000 }).inputs(100_000);
      await appendToLog(`${dir}/events.db`, inputs, total);
      const server = await ServerProcess.start({
        dir,
        label: 'replay-storm',
        profileDir: context.profileDir,
        env: { MAX_SUBSCRIBERS: String(replays + 100), MAX_WS_CONNECTIONS_PER_IP: String(replays + 100) },
      });
      const client = WorkerProcess.start('replayStormClient');
      let idle: LatencyHistogram;
      let during: LatencyHistogram;
      let result: Stormed;
      let cpuMs: number;
      try {
        const idleUntil = performance.now() + (context.quick ? 1_000 : 3_000);
        idle = await probeRest(server.baseUrl, () => performance.now() > idleUntil);
        const plan: ReplayStormPlan = {
          url: `${server.wsUrl}/ws/subscribe`,
          replays,
          fromOffset: 1,
          lastOffset: total,
          timeoutMs: context.quick ? 60_000 : 300_000,
        };
        const cpuBefore = server.cpuTimeMs();
        let stormOver = false;
        const storm = client
          .request<Stormed>({ type: 'storm', plan }, 'stormed', plan.timeoutMs + 15_000)
          .finally(() => {
            stormOver = true;
          });
        // Hint: give the sockets a moment to subscribe, so the probes fall inside the storm.
        await new Promise((resolve) => setTimeout(resolve, 200));
        [during, result] = await Promise.all([probeRest(server.baseUrl, () => stormOver), storm]);
        cpuMs = server.cpuTimeMs() - cpuBefore;
        server.assertAlive();
      } finally {
        await client.stop();
        await server.stop();
      }
      if (result.failure !== null) throw new Error(`replay storm failed: ${result.failure}`);
      const aggregate = (result.records * 1000) / result.elapsedMs;
      return {
        metrics: [
          {
            name: 'REST p99 during the storm',
            value: during.percentile(99),
            unit: 'ms',
            target: { op: '<=', value: TARGETS.replayStorm.restP99Ms },
            ceiling: { name: 'REST p99 before the storm', value: idle.percentile(99) },
          },
          { name: 'REST p50 during the storm', value: during.percentile(50), unit: 'ms' },
          { name: 'replayed events/s, all replays together', value: aggregate, unit: 'ev/s' },
          { name: 'slowest replay', value: result.slowestMs, unit: 'ms' },
          { name: 'server CPU per replayed event', value: (cpuMs * 1000) / Math.max(1, result.records), unit: 'µs' },
          {
            name: 'missing or out-of-order',
            value: result.gaps + (replays * total - result.records) + (replays - result.finished),
            unit: '',
            target: { op: '<=', value: 0 },
            check: true,
          },
        ],
        details: { total, replays, idle: idle.toJSON(), during: during.toJSON(), result, serverCpuMs: cpuMs },
        notes: [
          `${replays} replays × ${total.toLocaleString('en-US')} events in ${(result.elapsedMs / 1000).toFixed(1)} s; ${during.count} REST probes during the storm (p99 ${during.percentile(99).toFixed(1)} ms, max ${during.max.toFixed(1)} ms)`,
        ],
      };
    }),
};
