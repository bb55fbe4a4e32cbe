import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type WorkerMessage, WorkerProcess } from '../lib/childProcesses.js';
import { EventFactory } from '../lib/eventFactory.js';
import { threadCpuMs, threadCpuSince } from '../lib/procStats.js';
import { ServerProcess } from '../lib/serverProcess.js';
import { rawScan } from '../lib/sqliteCeilings.js';
import { appendToLog } from '../scenarios/logAppend.js';
import type { ReplayPlan } from '../workers/replayClient.js';

/**
 * Where one replay's CPU goes, thread by thread: the replay scenario's log (1,000,000 events unless given), server
 * and client, then rounds of one raw scan and one whole replay (from_offset 1, batch:true), each printed with its rate,
 * its ratio to the scan just before it, and per million rows the CPU of the server's I/O thread, of its other threads
 * (largest first; `*` marks one that started during the replay, such as the reader thread) and of the client. Usage:
 *   node dist/bench/tools/replayThreads.js [rounds] [events]
 * On this VM the scan itself moves by up to 2× from minute to minute, so read a replay's ratio beside its own scan.
 */
interface Replayed extends WorkerMessage {
  readonly records: number;
  readonly elapsedMs: number;
  readonly failure: string | null;
  readonly clientCpuMs: number;
}

const [roundsArg = '5', eventsArg = '1000000'] = process.argv.slice(2);
const total = Number(eventsArg);
const dir = mkdtempSync(join(tmpdir(), 'replay-threads-'));
try {
  const inputs = new EventFactory({ seed: 13, sessions: 1_000, users: 5_000 }).inputs(100_000);
  await appendToLog(`${dir}/events.db`, inputs, total);
  rawScan(`${dir}/events.db`);
  const server = await ServerProcess.start({ dir, label: 'replay-threads', readyTimeoutMs: 120_000 });
  const client = WorkerProcess.start('replayClient');
  const plan: ReplayPlan = {
    url: `${server.wsUrl}/ws/subscribe`,
    fromOffset: 1,
    lastOffset: total,
    timeoutMs: 120_000,
  };
  const perMillion = (ms: number) => ((ms * 1_000_000) / total / 1000).toFixed(2);
  try {
    for (let round = 0; round < Number(roundsArg); round++) {
      const scan = rawScan(`${dir}/events.db`);
      const before = threadCpuMs(server.pid);
      const result = await client.request<Replayed>({ type: 'replay', plan }, 'replayed', 140_000);
      const spent = threadCpuSince(server.pid, before);
      if (result.failure !== null) throw new Error(`replay failed: ${result.failure}`);
      const io = spent.ioThreadMs;
      const others = spent.others.map((thread) => `${perMillion(thread.ms)}${thread.started ? '*' : ''}`);
      const rate = (result.records * 1000) / result.elapsedMs;
      console.log(
        `round ${round + 1}: ${Math.round(rate / 1000)} k events/s, ${(rate / scan.perSecond).toFixed(2)}× of the ` +
          `scan (${Math.round(scan.perSecond / 1000)} k rows/s); CPU s per million rows: I/O thread ${perMillion(io)}, ` +
          `others ${others.join(' / ')}, client ${perMillion(result.clientCpuMs)}`,
      );
    }
  } finally {
    await client.stop();
    await server.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
