import { type WorkerMessage, WorkerProcess } from '../lib/childProcesses.js';
import { EventFactory } from '../lib/eventFactory.js';
import type { Scenario, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess } from '../lib/serverProcess.js';
import { rawScan } from '../lib/sqliteCeilings.js';
import { withTempDir } from '../lib/tempDir.js';
import type { ReplayPlan } from '../workers/replayClient.js';
import { appendToLog } from './logAppend.js';

interface Replayed extends WorkerMessage {
  readonly records: number;
  readonly messages: number;
  readonly bytes: number;
  readonly gaps: number;
  readonly lastOffset: number;
  readonly elapsedMs: number;
  readonly firstRecordMs: number;
  readonly failure: string | null;
  readonly clientCpuMs: number;
}

/** A subscriber replaying the whole log (from_offset 1, batch:true) vs a raw SQLite scan of the same table. */
export const replay: Scenario = {
  name: 'replay',
  summary: 'one subscriber replays the whole log from offset 1 (batch:true)',
  run: (context) =>
    withTempDir('replay', async (dir): Promise<ScenarioOutcome> => {
      const total = context.quick ? 100_000 : 1_000_000;
      const inputs = new EventFactory({ seed: 13, sessions: 1_000, users: 5_000 }).inputs(100_000);
      const populate = await appendToLog(`${dir}/events.db`, inputs, total);
      context.log(`populated ${total.toLocaleString('en-US')} events in ${(populate.elapsedMs / 1000).toFixed(1)} s`);
      // Hint: scan once to warm the page cache the same way the server's replay will find it, then measure.
      rawScan(`${dir}/events.db`);
      const scan = rawScan(`${dir}/events.db`);

      const server = await ServerProcess.start({
        dir,
        label: 'replay',
        profileDir: context.profileDir,
        readyTimeoutMs: 120_000,
      });
      const client = WorkerProcess.start('replayClient');
      let result: Replayed;
      let cpuMs: number;
      try {
        const plan: ReplayPlan = {
          url: `${server.wsUrl}/ws/subscribe`,
          fromOffset: 1,
          lastOffset: total,
          timeoutMs: context.quick ? 30_000 : 120_000,
        };
        const cpuBefore = server.cpuTimeMs();
        result = await client.request<Replayed>({ type: 'replay', plan }, 'replayed', plan.timeoutMs + 15_000);
        cpuMs = server.cpuTimeMs() - cpuBefore;
        server.assertAlive();
      } finally {
        await client.stop();
        await server.stop();
      }
      if (result.failure !== null) throw new Error(`replay failed: ${result.failure}`);
      const perSecond = (result.records * 1000) / result.elapsedMs;
      return {
        metrics: [
          {
            name: 'replay events/s',
            value: perSecond,
            unit: 'ev/s',
            target: { op: '>=', value: 300_000 },
            ceiling: { name: 'raw SQLite scan', value: scan.perSecond },
            ratioTarget: { op: '>=', value: 0.5 },
          },
          { name: 'time to first record', value: result.firstRecordMs, unit: 'ms' },
          { name: 'server CPU per event', value: (cpuMs * 1000) / Math.max(1, result.records), unit: 'µs' },
          {
            name: 'missing or out-of-order',
            value: result.gaps + (total - result.records),
            unit: '',
            target: { op: '<=', value: 0 },
            check: true,
          },
        ],
        details: { total, populate, scan, result, serverCpuMs: cpuMs },
        notes: [
          `${result.messages} messages, ${(result.bytes / 1024 / 1024).toFixed(0)} MiB; client CPU ${((result.clientCpuMs / result.elapsedMs) * 100).toFixed(0)}%, server CPU ${((cpuMs / result.elapsedMs) * 100).toFixed(0)}% of one core`,
        ],
      };
    }),
};
