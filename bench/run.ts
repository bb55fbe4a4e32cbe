import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo, scenarioTable, summaryTable, writeJson } from './lib/report.js';
import { evaluate, MissingTool, type Scenario, type ScenarioRecord } from './lib/scenario.js';
import { REPO_ROOT } from './lib/serverProcess.js';
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

const USAGE = `usage: npm run bench -- [scenario ...] [--quick] [--json <file>] [--profile [<dir>]] [--strict] [--list]

  scenario      run only these (default: all): ${SCENARIOS.map((s) => s.name).join(', ')}
  --quick       small counts, every scenario together in about 80 s (the CI smoke run)
  --json FILE   machine-readable results (default bench-results/latest.json)
  --profile     write a V8 CPU profile of each server child (bench-results/profiles, or --profile-dir)
  --strict      also exit non-zero when a performance target is missed (default: only on errors and failed checks)
  --list        list the scenarios and exit`;

/** How long one scenario may take before the run is abandoned (its children are killed at exit). */
const SCENARIO_TIMEOUT_MS = { quick: 120_000, full: 900_000 };

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string', default: 'bench-results/latest.json' },
      profile: { type: 'boolean', default: false },
      'profile-dir': { type: 'string', default: 'bench-results/profiles' },
      strict: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(18)} ${s.summary}`);
    return 0;
  }
  const unknown = positionals.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const selected = positionals.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => positionals.includes(s.name));
  const quick = values.quick;
  const profileDir = values.profile ? resolve(values['profile-dir']) : null;
  const jsonPath = resolve(values.json);
  const machine = machineInfo(REPO_ROOT);
  console.log(
    `event pipeline benchmarks${quick ? ' (quick)' : ''}: ${machine.cpu_count}× ${machine.cpu_model}, Node ${machine.node}, DURABILITY=${machine.durability}`,
  );

  const results = new Map<string, ScenarioRecord>();
  const started = performance.now();
  for (const scenario of selected) {
    console.log(`\n-- ${scenario.name}: ${scenario.summary}`);
    const t0 = performance.now();
    // Hint: other work on a 2-core box skews every number; the load average before and after says how much.
    const loadBefore = loadavg()[0]!;
    let record: ScenarioRecord;
    const timeoutMs = quick ? SCENARIO_TIMEOUT_MS.quick : SCENARIO_TIMEOUT_MS.full;
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        scenario.run({ quick, profileDir, results, log: (text) => console.log(`   ${text}`) }),
        new Promise<never>(
          (_, reject) =>
            (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs)),
        ),
      ]);
      record = {
        name: scenario.name,
        ok: true,
        durationMs: performance.now() - t0,
        metrics: outcome.metrics.map(evaluate),
        details: { ...outcome.details, loadavg1: { before: loadBefore, after: loadavg()[0]! } },
        notes: outcome.notes,
      };
    } catch (error) {
      // Hint: a missing program is its one-line message; anything else keeps its stack for the JSON.
      const message =
        error instanceof MissingTool
          ? error.message
          : error instanceof Error
            ? (error.stack ?? error.message)
            : String(error);
      record = {
        name: scenario.name,
        ok: false,
        error: message,
        durationMs: performance.now() - t0,
        metrics: [],
        details: {},
        notes: [],
      };
      if (message.includes('timed out after')) {
        results.set(scenario.name, record);
        console.log(scenarioTable(record));
        finish(results, jsonPath, machine, quick, started);
        return 1; // children and temp dirs are cleaned up by the exit hooks
      }
    } finally {
      clearTimeout(timer);
    }
    results.set(scenario.name, record);
    console.log(scenarioTable(record));
  }
  const records = finish(results, jsonPath, machine, quick, started);
  const failed = records.some((r) => !r.ok || r.metrics.some((m) => m.check === true && m.pass === false));
  const missed = records.some((r) => r.metrics.some((m) => m.check !== true && m.pass === false));
  return failed || (values.strict && missed) ? 1 : 0;
}

function finish(
  results: Map<string, ScenarioRecord>,
  jsonPath: string,
  machine: ReturnType<typeof machineInfo>,
  quick: boolean,
  started: number,
): ScenarioRecord[] {
  const records = [...results.values()];
  const totalSeconds = (performance.now() - started) / 1000;
  console.log(`\n== summary (${totalSeconds.toFixed(1)} s${quick ? ', quick' : ''})\n${summaryTable(records)}`);
  writeJson(jsonPath, { machine, quick, total_seconds: totalSeconds, scenarios: records });
  console.log(`\nresults written to ${jsonPath}`);
  return records;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
