import { type WorkerMessage, WorkerProcess } from '../lib/childProcesses.js';
import { EventFactory } from '../lib/eventFactory.js';
import { median } from '../lib/histogram.js';
import { threadCpuMs, threadCpuSince } from '../lib/procStats.js';
import type { Scenario, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess } from '../lib/serverProcess.js';
import { type Rate, rawScan } from '../lib/sqliteCeilings.js';
import { TARGETS } from '../lib/targets.js';
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

/** Rounds of scan and replay after the cold replay; the figures compared are each side's median. */
const ROUNDS = 3;

/**
 * A subscriber replaying the whole log (from_offset 1, batch:true) vs a raw SQLite scan of the same table. Hint: both
 * are measured warm and side by side. A first replay of the whole log (reported as the cold figure) warms the
 * server's and the client's code and buffers, as a first scan warms the page cache; then ROUNDS rounds each time one
 * scan and one replay on a new connection, and the ratio is of the two medians. A single cold replay against a single
 * warm scan moved 0.49–1.27× between runs, and the same replay's server CPU per event by 2× (bench/HISTORY.md,
 * "Replay measured warm").
 */
export const replay: Scenario = {
  name: 'replay',
  summary: 'one subscriber replays the whole log from offset 1 (batch:true)',
  run: (context) =>
    withTempDir('replay', async (dir): Promise<ScenarioOutcome> => {
      const total = context.quick ? 100_000 : 1_000_000;
      const inputs = new EventFactory({ seed: 13, sessions: 1_000, users: 5_000 }).inputs(100_000);
      const populate = await appendToLog(`${dir}/events.db`, inputs, total);
      context.log(`populated ${total.toLocaleString('en-US')} events in ${(populate.elapsedMs / 1000).toFixed(1)} s`);
      // Hint: scan once to warm the page cache the same way the server's replay will find it.
      rawScan(`${dir}/events.db`);

      const server = await ServerProcess.start({
        dir,
        label: 'replay',
        profileDir: context.profileDir,
        readyTimeoutMs: 120_000,
      });
      const client = WorkerProcess.start('replayClient');
      const plan: ReplayPlan = {
        url: `${server.wsUrl}/ws/subscribe`,
        fromOffset: 1,
        lastOffset: total,
        timeoutMs: context.quick ? 30_000 : 120_000,
      };
      /** One whole replay on a new connection, with the server's CPU time it took, in all and by thread. */
      const replayOnce = async (): Promise<Timed> => {
        const cpuBefore = server.cpuTimeMs();
        const threadsBefore = threadCpuMs(server.pid);
        const result = await client.request<Replayed>({ type: 'replay', plan }, 'replayed', plan.timeoutMs + 15_000);
        server.assertAlive();
        if (result.failure !== null) throw new Error(`replay failed: ${result.failure}`);
        const cpuMs = server.cpuTimeMs() - cpuBefore;
        const perSecond = (result.records * 1000) / result.elapsedMs;
        return { result, cpuMs, perSecond, ...threadSplit(server.pid, threadsBefore) };
      };
      let cold: Timed;
      const scans: Rate[] = [];
      const replays: Timed[] = [];
      try {
        cold = await replayOnce();
        for (let round = 0; round < (context.quick ? 1 : ROUNDS); round++) {
          scans.push(rawScan(`${dir}/events.db`));
          replays.push(await replayOnce());
        }
      } finally {
        await client.stop();
        await server.stop();
      }
      return outcome(total, populate, cold, scans, replays);
    }),
};

interface Timed extends ThreadSplit {
  readonly result: Replayed;
  readonly cpuMs: number;
  readonly perSecond: number;
}

/** A replay's CPU on the I/O thread and on the busiest other thread (the reader thread, when pages are read ahead). */
interface ThreadSplit {
  readonly ioThreadMs: number;
  readonly busiestOtherMs: number;
}

function threadSplit(pid: number, before: ReadonlyMap<string, number>): ThreadSplit {
  const { ioThreadMs, others } = threadCpuSince(pid, before);
  return { ioThreadMs, busiestOtherMs: others[0]?.ms ?? 0 };
}

function outcome(total: number, populate: Rate, cold: Timed, scans: Rate[], replays: Timed[]): ScenarioOutcome {
  const scan = median(scans.map((s) => s.perSecond));
  const rate = median(replays.map((r) => r.perSecond));
  const mid = replays.find((r) => r.perSecond === rate)!;
  const { result, cpuMs } = mid;
  const perEvent = (ms: number) => ((ms * 1000) / Math.max(1, result.records)).toFixed(2);
  const wrong = (r: Replayed) => r.gaps + (total - r.records);
  const list = (rates: readonly number[]) => rates.map((r) => Math.round(r).toLocaleString('en-US')).join(' / ');
  return {
    metrics: [
      {
        name: 'replay events/s',
        value: rate,
        unit: 'ev/s',
        ceiling: { name: 'raw SQLite scan', value: scan, upperBound: true },
        ratioTarget: { op: '>=', value: TARGETS.replay.ofScan },
      },
      { name: 'first replay (cold) events/s', value: cold.perSecond, unit: 'ev/s' },
      { name: 'time to first record (cold)', value: cold.result.firstRecordMs, unit: 'ms' },
      { name: 'server CPU per event', value: (cpuMs * 1000) / Math.max(1, result.records), unit: 'µs' },
      {
        name: 'missing or out-of-order',
        value: wrong(cold.result) + replays.reduce((sum, r) => sum + wrong(r.result), 0),
        unit: '',
        target: { op: '<=', value: 0 },
        check: true,
      },
    ],
    details: { total, populate, scans, cold, replays, serverCpuMs: cpuMs },
    notes: [
      `${result.messages} messages, ${(result.bytes / 1024 / 1024).toFixed(0)} MiB; client CPU ${((result.clientCpuMs / result.elapsedMs) * 100).toFixed(0)}%, server CPU ${((cpuMs / result.elapsedMs) * 100).toFixed(0)}% of one core (the median replay)`,
      `warm, in rounds of scan then replay: scans ${list(scans.map((s) => s.perSecond))} rows/s, replays ${list(replays.map((r) => r.perSecond))} events/s (medians compared)`,
      `the first (cold) replay: ${Math.round(cold.perSecond).toLocaleString('en-US')} events/s, ${(cold.perSecond / scan).toFixed(2)}× of the median scan`,
      `CPU per event of the median replay: I/O thread ${perEvent(mid.ioThreadMs)} µs, busiest other thread (the reader thread) ${perEvent(mid.busiestOtherMs)} µs, client ${perEvent(result.clientCpuMs)} µs`,
    ],
  };
}
