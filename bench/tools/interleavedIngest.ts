import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../lib/histogram.js';
import { minorFaults, threadCpuMs, threadCpuSince } from '../lib/procStats.js';

/**
 * Interleaved A/B of the ingest publisher against builds of two (or more) checkouts: one hybrid server per variant
 * per round, started the way the bench starts it, with the ingest-ws-batch plan (4 connections × window 8 × 100
 * events; INGEST_EVENTS_PER_MESSAGE=1 INGEST_WINDOW=128 gives ingest-ws-single's). On this VM single runs move by up
 * to 2×, so a change is judged by pairs run back to back. Prints one line per run (rate, server and I/O-thread CPU
 * per event, the other threads' CPU per event largest first (the writer thread and the index worker, then V8's
 * platform threads), mean group commit, ack p99, the largest WAL file seen) and each variant's median. Usage, from a
 * checkout with a built dist (`git worktree add /tmp/before <sha>`, link node_modules, `npx tsc -p tsconfig.json`
 * there):
 *   node dist/bench/tools/interleavedIngest.js 5 before=/tmp/before after=.
 * INGEST_DB_DIR puts the databases elsewhere (default the OS temp dir). A variant may add Node flags for its server
 * after `@`, comma-separated: `big=.@--max-semi-space-size=64` (added to BENCH_SERVER_NODE_ARGS), and set the log
 * writer after `+`: `inline=.+inline` (LOG_WRITER; hybrid, the default, otherwise), and one environment variable of
 * its server after `%`, before the rest: `tuned=.%GLIBC_TUNABLES=glibc.malloc.trim_threshold=1073741824`.
 */
type LoadRuns = typeof import('../lib/loadRuns.js');
type ServerProcesses = typeof import('../lib/serverProcess.js');

interface Variant {
  readonly name: string;
  readonly runs: LoadRuns;
  readonly servers: ServerProcesses;
  readonly nodeArgs: string;
  readonly writer: string;
  readonly env: Readonly<Record<string, string>>;
}

const baseNodeArgs = process.env.BENCH_SERVER_NODE_ARGS ?? '';

async function variant(withEnv: string): Promise<Variant> {
  const percent = withEnv.indexOf('%');
  const full = percent === -1 ? withEnv : withEnv.slice(0, percent);
  const setting = percent === -1 ? '' : withEnv.slice(percent + 1);
  const equals = setting.indexOf('=');
  const env = equals === -1 ? {} : { [setting.slice(0, equals)]: setting.slice(equals + 1) };
  const plus = full.indexOf('+');
  const writer = plus === -1 ? 'hybrid' : full.slice(plus + 1);
  const spec = plus === -1 ? full : full.slice(0, plus);
  const at = spec.indexOf('@');
  const nodeArgs = at === -1 ? '' : spec.slice(at + 1).replaceAll(',', ' ');
  const [name = spec, root = '.'] = (at === -1 ? spec : spec.slice(0, at)).split('=');
  const lib = (file: string) => pathToFileURL(join(resolve(root), 'dist/bench/lib', file)).href;
  const runs: LoadRuns = await import(lib('loadRuns.js'));
  const servers: ServerProcesses = await import(lib('serverProcess.js'));
  return { name, runs, servers, nodeArgs, writer, env };
}

/** Largest size the WAL file reached, sampled every 100 ms until `stop` is called. */
function watchWal(path: string): () => number {
  let largest = 0;
  const timer = setInterval(() => {
    try {
      largest = Math.max(largest, statSync(path).size);
    } catch {
      // not created yet
    }
  }, 100);
  return () => {
    clearInterval(timer);
    return largest;
  };
}

async function runOnce(v: Variant): Promise<number> {
  const dir = mkdtempSync(join(process.env.INGEST_DB_DIR ?? tmpdir(), 'interleaved-'));
  // Hint: ServerProcess.start reads the variable when it spawns, so each variant's flags apply to its own server.
  process.env.BENCH_SERVER_NODE_ARGS = `${baseNodeArgs} ${v.nodeArgs}`;
  const server = await v.servers.ServerProcess.start({ dir, label: v.name, env: { ...v.env, LOG_WRITER: v.writer } });
  const stopWatch = watchWal(join(dir, 'events.db-wal'));
  try {
    const cpu = server.cpuTimeMs();
    const io = server.ioThreadCpuMs();
    // Hint: read here, not through the variant's ServerProcess, so builds from before this reading still compare.
    const faults = minorFaults(server.pid);
    const threads = threadCpuMs(server.pid);
    const result = await v.runs.runPublisher({
      url: `${server.wsUrl}/ws/publish`,
      connections: 4,
      window: Number(process.env.INGEST_WINDOW ?? 8),
      eventsPerMessage: Number(process.env.INGEST_EVENTS_PER_MESSAGE ?? 100),
      expect: 'ack',
      traffic: 'realistic',
      seed: 7,
      warmupMs: 2_000,
      durationMs: 8_000,
      maxEvents: Number.MAX_SAFE_INTEGER,
      drainTimeoutMs: 10_000,
    });
    const perEvent = (ms: number) => ((ms * 1000) / Math.max(1, result.ackedEvents)).toFixed(2);
    const stats = await server.stats();
    const rate = (result.measuredEvents * 1000) / Math.max(1, result.measuredMs);
    const walMb = stopWatch() / 1_048_576;
    const others = threadCpuSince(server.pid, threads).others.map((thread) => thread.ms);
    console.log(
      `${v.name}: ${rate.toFixed(0)} ev/s, server CPU ${perEvent(server.cpuTimeMs() - cpu)} µs/event ` +
        `(I/O thread ${perEvent(server.ioThreadCpuMs() - io)}; others ${others.map(perEvent).join(' / ')}), ` +
        `${((minorFaults(server.pid) - faults) / Math.max(1, result.ackedEvents)).toFixed(3)} page faults/event, mean commit ` +
        `${(stats.total_events / Math.max(1, stats.router.group_commits)).toFixed(0)}, ack p99 ` +
        `${result.ackLatencyMs.p99.toFixed(1)} ms, errors ${result.errorReplies + result.unacked}, ` +
        `largest WAL ${walMb.toFixed(1)} MB`,
    );
    return rate;
  } finally {
    stopWatch();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [roundsArg = '4', ...specs] = process.argv.slice(2);
const variants = await Promise.all(specs.map(variant));
const rates = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (let round = 0; round < Number(roundsArg); round++) {
  for (const v of variants) rates.get(v.name)?.push(await runOnce(v));
}
for (const [name, list] of rates) {
  console.log(
    `${name}: ${list.map((r) => Math.round(r / 1000)).join(' / ')} k ev/s, median ${Math.round(median(list) / 1000)} k`,
  );
}
