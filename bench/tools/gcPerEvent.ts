import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPublisher } from '../lib/loadRuns.js';
import { ServerProcess } from '../lib/serverProcess.js';

/**
 * Diagnosis: what the server's garbage costs per acked event in one ingest shape. A server child runs with
 * `--trace-gc-nvp` (its output copied to a file), the bench's publisher drives it, and V8's own per-scavenge figures
 * are summed: bytes allocated, bytes promoted, scavenges, and main-thread GC pause. Allocation is what sets how often
 * the young generation is scavenged; promotion is what the old generation's marking later pays for.
 *
 *   node dist/bench/tools/gcPerEvent.js [single|batch] [seconds]
 */
const shape = process.argv[2] === 'batch' ? { eventsPerMessage: 100, window: 8 } : { eventsPerMessage: 1, window: 128 };
const seconds = Number(process.argv[3] ?? 8);

interface GcTotals {
  allocated: number;
  promoted: number;
  scavenges: number;
  scavengePauseMs: number;
  markCompacts: number;
  markCompactPauseMs: number;
}

/** Sum the nvp lines of one process (`pid`): `gc=s` scavenges, `gc=mc` mark-compacts. */
function gcTotals(text: string, pid: number): GcTotals {
  const totals: GcTotals = {
    allocated: 0,
    promoted: 0,
    scavenges: 0,
    scavengePauseMs: 0,
    markCompacts: 0,
    markCompactPauseMs: 0,
  };
  for (const line of text.split('\n')) {
    if (!line.startsWith(`[${pid}:`)) continue;
    const fields = new Map(
      line
        .split(' ')
        .filter((part) => part.includes('='))
        .map((part) => part.split('=') as [string, string]),
    );
    const pause = Number(fields.get('pause') ?? 0);
    if (fields.get('gc') === 's') {
      totals.scavenges++;
      totals.scavengePauseMs += pause;
      totals.allocated += Number(fields.get('allocated') ?? 0);
      totals.promoted += Number(fields.get('promoted') ?? 0);
    } else if (fields.get('gc') === 'mc') {
      totals.markCompacts++;
      totals.markCompactPauseMs += pause;
    }
  }
  return totals;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gc-per-event-'));
  const outputFile = join(dir, 'server.log');
  process.env.BENCH_SERVER_OUTPUT = outputFile;
  process.env.BENCH_SERVER_NODE_ARGS = `${process.env.BENCH_SERVER_NODE_ARGS ?? ''} --trace-gc-nvp`;
  const server = await ServerProcess.start({ dir, label: 'gc-per-event' });
  try {
    const result = await runPublisher({
      url: `${server.wsUrl}/ws/publish`,
      connections: 4,
      ...shape,
      expect: 'ack',
      traffic: 'realistic',
      seed: 7,
      warmupMs: 0,
      durationMs: seconds * 1_000,
      maxEvents: Number.MAX_SAFE_INTEGER,
      drainTimeoutMs: 10_000,
    });
    const stats = await server.stats();
    await server.stop();
    const events = stats.total_events;
    const gc = gcTotals(readFileSync(outputFile, 'utf8'), server.pid);
    const per = (value: number) => (value / Math.max(1, events)).toFixed(1);
    console.log(
      [
        `${events} events (${((events * 1000) / result.totalMs).toFixed(0)}/s), ${result.ackedEvents} acked`,
        `allocated ${per(gc.allocated)} B/event, promoted ${per(gc.promoted)} B/event`,
        `${gc.scavenges} scavenges (${per(gc.scavengePauseMs * 1e6)} ns pause/event), ` +
          `${gc.markCompacts} mark-compacts (${gc.markCompactPauseMs.toFixed(0)} ms pause)`,
      ].join('; '),
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
