import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventFactory } from '../lib/eventFactory.js';
import { runPublisher, withUwsServer } from '../lib/loadRuns.js';
import type { Metric, Scenario, ScenarioContext, ScenarioOutcome } from '../lib/scenario.js';
import { ServerProcess, type ServerStats } from '../lib/serverProcess.js';
import { bareAppend } from '../lib/sqliteCeilings.js';
import { TARGETS } from '../lib/targets.js';
import { withTempDir } from '../lib/tempDir.js';
import type { PublishPlan, PublishResult } from '../workers/wsPublisher.js';

interface IngestShape {
  readonly name: string;
  readonly summary: string;
  readonly eventsPerMessage: number;
  readonly connections: number;
  readonly window: number;
  /** The README's targets for this shape (each a ratio to a ceiling of the same run, or a CPU bound). */
  readonly targets: {
    readonly ofBareAppend?: number;
    readonly ofEcho?: number;
    readonly ioThreadUs?: number;
  };
}

function rateOf(result: PublishResult): number {
  return result.measuredMs > 0 ? (result.measuredEvents * 1000) / result.measuredMs : 0;
}

/** A ratio target of at least `ratio`, or none. */
function atLeast(ratio: number | undefined): Pick<Metric, 'ratioTarget'> {
  return ratio === undefined ? {} : { ratioTarget: { op: '>=', value: ratio } };
}

/** Server CPU ms per acked event, in µs. */
function perEvent(cpuMs: number, result: PublishResult): number {
  return (cpuMs * 1000) / Math.max(1, result.ackedEvents);
}

interface PipelineRun {
  readonly result: PublishResult;
  /** Whole server process. */
  readonly cpuMs: number;
  /** The server's main thread alone (sockets, parsing, routing; and the commits, with the inline writer). */
  readonly ioCpuMs: number;
  readonly stats: ServerStats;
}

/** One publisher run against a fresh server with the given LOG_WRITER. */
async function runPipeline(
  parent: string,
  shape: IngestShape,
  plan: PublishPlan,
  context: ScenarioContext,
  writer: 'hybrid' | 'thread' | 'inline',
): Promise<PipelineRun> {
  const dir = join(parent, writer);
  mkdirSync(dir);
  const server = await ServerProcess.start({
    dir,
    label: `${shape.name}-${writer}`,
    profileDir: context.profileDir,
    env: { LOG_WRITER: writer },
  });
  try {
    const cpuBefore = server.cpuTimeMs();
    const ioBefore = server.ioThreadCpuMs();
    const wallBefore = performance.now();
    const result = await runPublisher({ ...plan, url: `${server.wsUrl}/ws/publish` });
    const cpuMs = server.cpuTimeMs() - cpuBefore;
    const ioCpuMs = server.ioThreadCpuMs() - ioBefore;
    const wallMs = performance.now() - wallBefore;
    const stats = await server.stats();
    context.log(
      `LOG_WRITER=${writer}: ${rateOf(result).toFixed(0)} ev/s; server CPU ${((cpuMs / wallMs) * 100).toFixed(0)}% of one core (I/O thread ${((ioCpuMs / wallMs) * 100).toFixed(0)}%); client CPU ${((result.clientCpuMs / result.totalMs) * 100).toFixed(0)}%`,
    );
    return { result, cpuMs, ioCpuMs, stats };
  } finally {
    await server.stop();
  }
}

/** The publish ingest scenario for one frame shape: pipeline vs bare SQLite append vs raw uWS echo. */
function ingestScenario(shape: IngestShape): Scenario {
  return {
    name: shape.name,
    summary: shape.summary,
    run: (context: ScenarioContext) =>
      withTempDir(shape.name, async (dir): Promise<ScenarioOutcome> => {
        const quick = context.quick;
        const plan: PublishPlan = {
          url: '',
          connections: shape.connections,
          window: shape.window,
          eventsPerMessage: shape.eventsPerMessage,
          expect: 'ack',
          traffic: 'realistic',
          seed: 7,
          warmupMs: quick ? 300 : 2_000,
          durationMs: quick ? 1_500 : 10_000,
          maxEvents: Number.MAX_SAFE_INTEGER,
          drainTimeoutMs: 10_000,
        };
        // Hint: the default writer (hybrid: these commits are large, so they take the writer thread).
        const after = await runPipeline(dir, shape, plan, context, 'hybrid');
        const before = await runPipeline(dir, shape, plan, context, 'inline');
        const { result, cpuMs, ioCpuMs, stats } = after;
        const rate = rateOf(result);
        const meanCommit =
          stats.router.group_commits > 0 ? stats.total_events / stats.router.group_commits : shape.eventsPerMessage;

        const echo = await withUwsServer('echo', (uws) =>
          runPublisher({
            ...plan,
            url: `ws://127.0.0.1:${uws.port}/`,
            expect: 'echo',
            warmupMs: quick ? 200 : 1_000,
            durationMs: quick ? 800 : 4_000,
          }),
        );
        const echoRate = rateOf(echo);

        const batch = Math.max(1, Math.round(meanCommit));
        const inputs = new EventFactory({ seed: 7, sessions: 1_000, users: 5_000 }).inputs(20_000);
        const bare = bareAppend(dir, inputs, quick ? 50_000 : 300_000, batch);

        const metrics: Metric[] = [
          {
            name: 'events/s',
            value: rate,
            unit: 'ev/s',
            ceiling: { name: `bare append, ${batch}/txn`, value: bare.perSecond, upperBound: true },
            ...atLeast(shape.targets.ofBareAppend),
          },
          {
            name: 'events/s vs uWS echo',
            value: rate,
            unit: 'ev/s',
            ceiling: { name: 'raw uWS echo', value: echoRate, upperBound: true },
            ...atLeast(shape.targets.ofEcho),
          },
          { name: 'ack p99', value: result.ackLatencyMs.p99, unit: 'ms' },
          {
            name: 'I/O-thread CPU per event',
            value: perEvent(ioCpuMs, result),
            unit: 'µs',
            ...(shape.targets.ioThreadUs === undefined
              ? {}
              : { target: { op: '<=', value: shape.targets.ioThreadUs } }),
          },
          { name: 'server CPU per event', value: perEvent(cpuMs, result), unit: 'µs' },
          {
            name: 'events/s, inline writer (before)',
            value: rateOf(before.result),
            unit: 'ev/s',
            ceiling: { name: `bare append, ${batch}/txn`, value: bare.perSecond, upperBound: true },
          },
          {
            name: 'I/O-thread CPU per event, inline writer',
            value: perEvent(before.ioCpuMs, before.result),
            unit: 'µs',
          },
          { name: 'server CPU per event, inline writer', value: perEvent(before.cpuMs, before.result), unit: 'µs' },
          {
            name: 'error replies',
            value: result.errorReplies + result.unacked,
            unit: '',
            target: { op: '<=', value: 0 },
            check: true,
          },
        ];
        const notes = [
          `${shape.connections} connections × window ${shape.window} × ${shape.eventsPerMessage} event(s)/message, ${(result.frameBytes / 1024).toFixed(1)} KiB/frame; mean group commit ${meanCommit.toFixed(0)} events`,
        ];
        if (result.retryableReplies > 0)
          notes.push(`${result.retryableReplies} retryable (over pending bound) replies`);
        if (result.firstErrors.length > 0) notes.push(`first errors: ${result.firstErrors.join(' | ')}`);
        return {
          metrics,
          details: {
            plan,
            result,
            inlineWriter: before,
            echo,
            bareAppend: { ...bare, batch },
            serverCpuMs: cpuMs,
            ioThreadCpuMs: ioCpuMs,
            stats,
            meanGroupCommit: meanCommit,
          },
          notes,
        };
      }),
  };
}

/** 4 producers sending arrays of 100 events, pipelined, acked after commit. */
export const ingestWsBatch = ingestScenario({
  name: 'ingest-ws-batch',
  summary: '4 WS producers, arrays of 100 events, window 8 messages each',
  eventsPerMessage: 100,
  connections: 4,
  window: 8,
  targets: TARGETS.ingestWsBatch,
});

/** One event per message, pipelined. */
export const ingestWsSingle = ingestScenario({
  name: 'ingest-ws-single',
  summary: '4 WS producers, one event per message, window 128 messages each',
  eventsPerMessage: 1,
  connections: 4,
  window: 128,
  targets: TARGETS.ingestWsSingle,
});
