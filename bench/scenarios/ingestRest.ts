import { type WorkerMessage, WorkerProcess } from '../lib/childProcesses.js';
import { withUwsServer } from '../lib/loadRuns.js';
import type { Scenario, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess } from '../lib/serverProcess.js';
import { TARGETS } from '../lib/targets.js';
import { withTempDir } from '../lib/tempDir.js';
import type { RestPlan } from '../workers/restLoad.js';

interface Loaded extends WorkerMessage {
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly warmupRequests: number;
  readonly durationSeconds: number;
  readonly perSecond: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  readonly clientCpuMs: number;
}

async function runRest(plan: RestPlan): Promise<Loaded> {
  const worker = WorkerProcess.start('restLoad');
  try {
    return await worker.request<Loaded>(
      { type: 'load', plan },
      'loaded',
      (plan.warmupSeconds + plan.durationSeconds) * 1000 + 30_000,
    );
  } finally {
    await worker.stop();
  }
}

/** Single-event POST /events over keep-alive (autocannon in its own process) vs a raw uWS HTTP echo. */
export const ingestRest: Scenario = {
  name: 'ingest-rest',
  summary: 'single-event POST /events, keep-alive, autocannon with 32 connections',
  run: (context) =>
    withTempDir('ingest-rest', async (dir): Promise<ScenarioOutcome> => {
      // Hint: autocannon counts whole seconds; fractional durations under-run and under-report.
      const base: Omit<RestPlan, 'url'> = {
        connections: 32,
        warmupSeconds: context.quick ? 0 : 2,
        durationSeconds: context.quick ? 2 : 10,
      };
      const server = await ServerProcess.start({ dir, label: 'ingest-rest', profileDir: context.profileDir });
      let result: Loaded;
      let cpuMs: number;
      let wallMs: number;
      try {
        const cpuBefore = server.cpuTimeMs();
        const t0 = performance.now();
        result = await runRest({ ...base, url: server.baseUrl });
        cpuMs = server.cpuTimeMs() - cpuBefore;
        wallMs = performance.now() - t0;
        server.assertAlive();
      } finally {
        await server.stop();
      }
      const echo = await withUwsServer('echo', (uws) =>
        runRest({
          ...base,
          url: `http://127.0.0.1:${uws.port}`,
          warmupSeconds: context.quick ? 0 : 1,
          durationSeconds: context.quick ? 1 : 4,
        }),
      );
      const total = result.ok + result.non2xx + result.warmupRequests;
      return {
        metrics: [
          {
            name: 'requests/s',
            value: result.perSecond,
            unit: 'req/s',
            target: { op: '>=', value: TARGETS.ingestRest.perSecond },
            ceiling: { name: 'raw uWS HTTP echo', value: echo.perSecond, upperBound: true },
          },
          { name: 'latency p99', value: result.latencyMs.p99, unit: 'ms' },
          { name: 'server CPU per request', value: (cpuMs * 1000) / Math.max(1, total), unit: 'µs' },
          {
            name: 'non-2xx + errors',
            value: result.non2xx + result.errors,
            unit: '',
            target: { op: '<=', value: 0 },
            check: true,
          },
        ],
        details: { plan: base, result, echo, serverCpuMs: cpuMs },
        notes: [
          `client (autocannon) CPU ${((result.clientCpuMs / (result.durationSeconds * 1000)) * 100).toFixed(0)}%, server CPU ${((cpuMs / wallMs) * 100).toFixed(0)}% of one core (incl. warmup)`,
        ],
      };
    }),
};
