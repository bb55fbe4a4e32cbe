import { cpus, loadavg } from 'node:os';
import { type BenchOptions, outputProblem, parseBenchArgs, usage } from './lib/benchArgs.js';
import { liveChildren, stopAll } from './lib/childProcesses.js';
import { reliabilityWarning } from './lib/reliability.js';
import { machineInfo, profilesWritten, scenarioTable, summaryTable, writeJson } from './lib/report.js';
import { evaluate, MissingTool, type Scenario, type ScenarioRecord } from './lib/scenario.js';
import { REPO_ROOT } from './lib/serverProcess.js';
import { removeTempDirs } from './lib/tempDir.js';
import { baseline } from './scenarios/baseline.js';
import { cluster } from './scenarios/cluster.js';
import { fanout, fanout10k } from './scenarios/fanout.js';
import { ingestRest } from './scenarios/ingestRest.js';
import { ingestWsBatch, ingestWsSingle } from './scenarios/ingestWs.js';
import { logAppend } from './scenarios/logAppend.js';
import { memory } from './scenarios/memory.js';
import { replay } from './scenarios/replay.js';
import { replayStorm } from './scenarios/replayStorm.js';
import { routingScale } from './scenarios/routingScale.js';
import { sdkPublish } from './scenarios/sdkPublish.js';

/** Every scenario, in the order `npm run bench` runs them. */
const SCENARIOS: readonly Scenario[] = [
  logAppend,
  ingestWsBatch,
  ingestWsSingle,
  sdkPublish,
  ingestRest,
  fanout10k,
  fanout,
  routingScale,
  replay,
  replayStorm,
  memory,
  baseline,
  cluster,
];

/** How long one scenario may take before the run is abandoned (its children are killed at exit). */
const SCENARIO_TIMEOUT_MS = { quick: 120_000, full: 900_000 };

/** The exit code for each signal that stops a run (128 + its number, as a shell reports it). */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
/** How long the server children get to shut down after a signal before SIGKILL. */
const SIGNAL_GRACE_MS = 5_000;

/** Set when a signal stopped the run: the runner then prints nothing more and leaves the exit to the handler. */
let stopping = false;
const halt = () => new Promise<never>(() => undefined);

/**
 * On SIGINT, SIGTERM or SIGHUP: stop every child (SIGTERM, SIGKILL after a grace), remove every temp dir (the exit
 * hook alone left them when a signal ended the process) and exit 128 + the signal; a second signal exits at once,
 * the exit hooks still killing the children and removing the dirs.
 */
function stopOnSignals(): void {
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.on(signal, () => {
      if (stopping) process.exit(code);
      stopping = true;
      console.error(
        `\n${signal}: stopping ${liveChildren()} child process(es) and removing temp dirs; no results written`,
      );
      void stopAll(SIGNAL_GRACE_MS).finally(() => {
        removeTempDirs();
        process.exit(code);
      });
    });
  }
}

async function main(): Promise<number> {
  const names = SCENARIOS.map((s) => s.name);
  const parsed = parseBenchArgs(process.argv.slice(2), names);
  if (!parsed.ok) {
    console.error(`bench: ${parsed.message}\n\n${usage(names)}`);
    return 2;
  }
  const options = parsed.options;
  if (options.help) {
    console.log(usage(names));
    return 0;
  }
  const selected =
    options.scenarios.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => options.scenarios.includes(s.name));
  if (options.list) {
    for (const s of selected) console.log(`${s.name.padEnd(18)} ${s.summary}`);
    return 0;
  }
  const problem = outputProblem(options);
  if (problem !== null) {
    console.error(`bench: ${problem}`);
    return 2;
  }
  stopOnSignals();
  return runAll(selected, options);
}

async function runAll(selected: readonly Scenario[], options: BenchOptions): Promise<number> {
  const { quick, profileDir } = options;
  const machine = machineInfo(REPO_ROOT);
  console.log(
    `event pipeline benchmarks${quick ? ' (quick)' : ''}: ${machine.cpu_count}× ${machine.cpu_model}, Node ${machine.node}, DURABILITY=${machine.durability}`,
  );
  const results = new Map<string, ScenarioRecord>();
  const started = performance.now();
  for (const scenario of selected) {
    console.log(`\n-- ${scenario.name}: ${scenario.summary}`);
    const { record, timedOut } = await runOne(scenario, { quick, profileDir, results });
    if (stopping) return halt();
    results.set(scenario.name, record);
    console.log(scenarioTable(record));
    if (timedOut) {
      finish(results, options, machine, started);
      return 1; // children and temp dirs are cleaned up by the exit hooks
    }
  }
  const records = finish(results, options, machine, started);
  const failed = records.some((r) => !r.ok || r.metrics.some((m) => m.check === true && m.pass === false));
  const missed = records.some((r) => r.metrics.some((m) => m.check !== true && m.pass === false));
  return failed || (options.strict && missed) ? 1 : 0;
}

interface RunInput {
  readonly quick: boolean;
  readonly profileDir: string | null;
  readonly results: ReadonlyMap<string, ScenarioRecord>;
}

/** Run one scenario under its timeout; an error becomes its record (a missing tool by its one-line message). */
async function runOne(scenario: Scenario, input: RunInput): Promise<{ record: ScenarioRecord; timedOut: boolean }> {
  const t0 = performance.now();
  // Hint: other work on a 2-core box skews every number; the load average before and after says how much.
  const loadBefore = loadavg()[0]!;
  const timeoutMs = input.quick ? SCENARIO_TIMEOUT_MS.quick : SCENARIO_TIMEOUT_MS.full;
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      scenario.run({ ...input, log: (text) => console.log(`   ${text}`) }),
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs)),
      ),
    ]);
    const metrics = outcome.metrics.map(evaluate);
    const warning = reliabilityWarning(loadBefore, cpus().length, metrics);
    const record: ScenarioRecord = {
      name: scenario.name,
      ok: true,
      ...(warning === null ? {} : { warning }),
      durationMs: performance.now() - t0,
      metrics,
      details: { ...outcome.details, loadavg1: { before: loadBefore, after: loadavg()[0]! } },
      notes: outcome.notes,
    };
    return { record, timedOut: false };
  } catch (error) {
    const message =
      error instanceof MissingTool
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    const record: ScenarioRecord = {
      name: scenario.name,
      ok: false,
      error: message,
      durationMs: performance.now() - t0,
      metrics: [],
      details: {},
      notes: [],
    };
    return { record, timedOut: message.includes('timed out after') };
  } finally {
    clearTimeout(timer);
  }
}

function finish(
  results: Map<string, ScenarioRecord>,
  options: BenchOptions,
  machine: ReturnType<typeof machineInfo>,
  started: number,
): ScenarioRecord[] {
  const records = [...results.values()];
  const totalSeconds = (performance.now() - started) / 1000;
  const quick = options.quick;
  console.log(`\n== summary (${totalSeconds.toFixed(1)} s${quick ? ', quick' : ''})\n${summaryTable(records)}`);
  writeJson(options.jsonPath, { machine, quick, total_seconds: totalSeconds, scenarios: records });
  console.log(`\nresults written to ${options.jsonPath}`);
  if (options.profileDir !== null) {
    const count = profilesWritten(options.profileDir, Date.now() - (performance.now() - started));
    console.log(`${count} CPU profile(s) of server children written under ${options.profileDir}`);
  }
  return records;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
