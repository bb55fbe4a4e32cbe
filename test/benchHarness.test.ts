import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { reliabilityWarning } from '../bench/lib/reliability.js';
import { scenarioTable } from '../bench/lib/report.js';
import { evaluate } from '../bench/lib/scenario.js';
import { TARGETS } from '../bench/lib/targets.js';

const RUN_JS = fileURLToPath(new URL('../dist/bench/run.js', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** A `node dist/bench/run.js` child whose TMPDIR is a directory of its test's own. */
interface Bench {
  readonly child: ChildProcess;
  /** Its exit code (null when a signal ended it), and what it printed. */
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh TMPDIR for one bench run, removed after the test. */
function freshTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-harness-'));
  dirs.push(dir);
  return dir;
}

function startBench(args: readonly string[], tmp: string, env: Record<string, string | undefined> = {}): Bench {
  const child = spawn(process.execPath, [RUN_JS, ...args], {
    cwd: REPO,
    env: { ...process.env, TMPDIR: tmp, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const bench = (args: readonly string[], tmp = freshTmp(), env: Record<string, string | undefined> = {}) =>
  startBench(args, tmp, env).done;

/**
 * Every process whose environment holds TMPDIR=`tmp`: the bench run of that test and all it started (servers,
 * nats-servers, load generators, the orphan watcher), reparented or not.
 */
function processesOf(tmp: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`TMPDIR=${tmp}`)) continue;
      found.push({ pid: Number(name), command: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ') });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

async function until<T>(what: string, probe: () => T | null, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Wait until the run of `tmp` has `nats` nats-servers and a server child (`dist/src/main.js`) running. */
function childrenUp(tmp: string, nats: number): Promise<number> {
  return until(
    `${nats} nats-server(s) and a server child`,
    () => {
      const running = processesOf(tmp);
      const servers = running.filter((p) => p.command.includes('dist/src/main.js')).length;
      const natsServers = running.filter((p) => p.command.includes('nats-server')).length;
      return servers >= 1 && natsServers >= nats ? running.length : null;
    },
    20_000,
  );
}

/** Nothing of the run of `tmp` is left: no process, no temp dir (only `keep`). */
async function nothingLeft(tmp: string, keep: readonly string[] = []): Promise<void> {
  await until('no process left', () => (processesOf(tmp).length === 0 ? true : null), 5_000);
  expect(readdirSync(tmp).filter((name) => !keep.includes(name))).toEqual([]);
}

describe('bench harness (dist/bench/run.js)', () => {
  it('without nats-server on PATH, the cluster scenario is an ERROR naming the cause; the summary and JSON are written, exit 1', async () => {
    const tmp = freshTmp();
    const emptyBin = join(tmp, 'bin');
    mkdirSync(emptyBin);
    const jsonPath = join(tmp, 'results.json');
    const profiles = join(tmp, 'profiles');
    const run = await bench(['--quick', 'cluster', '--json', jsonPath, '--profile-dir', profiles], tmp, {
      PATH: emptyBin,
      NATS_SERVER_BIN: undefined,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain("Unhandled 'error'");
    const cause = 'nats-server not found on PATH; install it (apt-get install -y nats-server)';
    expect(run.stdout).toContain(`ERROR: ${cause}`);
    expect(run.stdout).toContain('== summary');
    expect(run.stdout).toContain(`results written to ${jsonPath}`);
    expect(run.stdout).toContain(`0 CPU profile(s) of server children written under ${profiles}`);
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
      scenarios: { name: string; ok: boolean; error: string }[];
    };
    expect(json.scenarios).toHaveLength(1);
    expect(json.scenarios[0]).toMatchObject({ name: 'cluster', ok: false });
    expect(json.scenarios[0]!.error).toContain(cause);
    await nothingLeft(tmp, ['bin', 'results.json', 'profiles']); // no nats-cluster-* or rep-bench-* dir
  });

  it('refuses a bad command line with one line naming the argument and why, the usage, exit 2', async () => {
    const cases: [string[], string][] = [
      [['nosuch'], 'bench: unknown scenario(s): nosuch'],
      [['--list', 'nosuch'], 'bench: unknown scenario(s): nosuch'],
      [['--json'], 'bench: --json needs a file name'],
      [['--json', '--quick'], 'bench: --json needs a file name, but the next argument is an option'],
      [['--frobnicate'], 'bench: unknown option --frobnicate'],
      [['--quick=yes'], 'bench: --quick takes no value'],
      [['-q'], 'bench: unknown option -q'],
      [
        ['--profile', '/tmp/x', 'replay'],
        'bench: unknown scenario(s): /tmp/x (for a directory of profiles: --profile-dir DIR)',
      ],
    ];
    const [list, help, ...runs] = await Promise.all([
      bench(['--list', 'replay']),
      bench(['--help']),
      ...cases.map(([args]) => bench(args)),
    ]);
    for (const [i, [args, line]] of cases.entries()) {
      const run = runs[i]!;
      expect([run.code, run.stderr.split('\n')[0]], args.join(' ')).toEqual([2, line]);
      expect(run.stderr, args.join(' ')).toContain('usage: npm run bench');
      expect(run.stderr, args.join(' ')).not.toMatch(/^\s+at /m);
      expect(run.stdout, args.join(' ')).toBe('');
    }
    expect(list.code).toBe(0);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[0]),
    ).toEqual(['replay']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--profile-dir DIR');
    expect(help.stdout).not.toContain('--profile [');
  });

  it('refuses an unwritable --json or --profile-dir before any scenario runs, exit 2', async () => {
    const tmp = freshTmp();
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    const [json, profiles] = await Promise.all([
      bench(['--quick', 'baseline', '--json', join(file, 'x.json')], tmp),
      bench(['--quick', 'ingest-rest', '--profile-dir', join(file, 'profiles')], tmp),
    ]);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(new RegExp(`^bench: cannot write --json ${file}/x\\.json: E\\w+`));
    expect(profiles.code).toBe(2);
    expect(profiles.stderr).toMatch(new RegExp(`^bench: cannot write profiles to --profile-dir ${file}/profiles: E`));
    for (const run of [json, profiles]) {
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stdout).toBe(''); // no scenario started
    }
    await nothingLeft(tmp, ['a-file']);
  });

  it('SIGINT to the harness alone mid-cluster: every child stopped, every temp dir removed, exit 130', async () => {
    const tmp = freshTmp();
    const run = startBench(['--quick', 'cluster', '--json', join(tmp, 'r.json')], tmp);
    await childrenUp(tmp, 3);
    expect(readdirSync(tmp).some((name) => name.startsWith('nats-cluster-'))).toBe(true);
    run.child.kill('SIGINT');
    const { code, stderr } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toMatch(/SIGINT: stopping \d+ child process\(es\) and removing temp dirs/);
    await nothingLeft(tmp);
  });

  it('SIGTERM to the harness alone mid-scenario: the server child stopped, its temp database removed, exit 143', async () => {
    const tmp = freshTmp();
    const run = startBench(['--quick', 'ingest-rest', '--json', join(tmp, 'r.json')], tmp);
    await childrenUp(tmp, 0);
    expect(readdirSync(tmp).some((name) => name.startsWith('rep-bench-ingest-rest-'))).toBe(true);
    run.child.kill('SIGTERM');
    expect((await run.done).code).toBe(143);
    await nothingLeft(tmp);
  });

  it('kill -9 of the harness mid-cluster: its watcher kills the nats-servers and servers and removes the temp dirs', async () => {
    const tmp = freshTmp();
    const run = startBench(['--quick', 'cluster', '--json', join(tmp, 'r.json')], tmp);
    expect(await childrenUp(tmp, 3)).toBeGreaterThanOrEqual(6); // the harness, its watcher, 3 nats-servers, a server
    run.child.kill('SIGKILL');
    await run.done;
    await nothingLeft(tmp);
  });

  it("checks exactly the README's targets, and bench/README's table (replay-storm too) says the same", () => {
    const n = (value: number) => value.toLocaleString('en-US');
    const T = TARGETS;
    const expected: Record<string, string> = {
      'log-append': `≥${n(T.logAppend.perSecond)}/s, ≥${T.logAppend.ofBareAppend}×`,
      'ingest-ws-batch': `≤${T.ingestWsBatch.ioThreadUs} µs I/O thread, ≥${T.ingestWsBatch.ofBareAppend}×`,
      'ingest-ws-single': `≥${T.ingestWsSingle.ofEcho}× the echo`,
      'sdk-publish': `≥${T.sdkPublish.ofRawProtocol}× (the bench's)`,
      'ingest-rest': `≥${n(T.ingestRest.perSecond)}/s`,
      fanout: `p99 ≤${T.fanout.p99OfRelay}× relay`,
      'routing-scale': `flat within ${T.routingScale.maxOverMin}×`,
      replay: `≥${T.replay.ofScan}× the scan`,
      'replay-storm': `REST p99 ≤${T.replayStorm.restP99Ms} ms`,
      memory: `≤${T.memory.idleSubscriberKiB} KiB`,
      baseline: '–',
      cluster: '–',
    };
    // README "Performance": | scenario (…) | after | before | target | …; bench/README: | scenario | metric | target | …
    // Only README's Performance section: other sections have tables too.
    const section = (text: string) => text.slice(Math.max(0, text.indexOf('\n## Performance')));
    const targetCells = (file: string, column: number) =>
      section(readFileSync(join(REPO, file), 'utf8'))
        .split('\n')
        .filter((line) => line.startsWith('| ') && !line.startsWith('| scenario') && !line.startsWith('| ---'))
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .map((cells) => [cells[1]!, cells[column + 1]!] as const);
    const readme = targetCells('README.md', 3);
    const benchReadme = new Map(targetCells('bench/README.md', 2));
    for (const [name, target] of Object.entries(expected)) {
      // Hint: README's rows name the scenario first ("fanout at 20,000 events/s", "memory: idle subscriber").
      const row = readme.find(([first]) => new RegExp(`^${name}\\b(?![-])`).test(first));
      expect(row?.[1], `README ${name}`).toBe(target);
      expect(benchReadme.get(name), `bench/README ${name}`).toBe(target);
    }
    expect([...benchReadme.keys()].sort()).toEqual(Object.keys(expected).sort());
  });

  it('prints each ceiling in its unit, and a warning line when the load or a ratio makes the figures unreliable', () => {
    const relay = evaluate({
      name: 'latency p99',
      value: 1.88,
      unit: 'ms',
      ceiling: { name: 'raw uWS relay', value: 0.94 },
      ratioTarget: { op: '<=', value: 2 },
    });
    const append = evaluate({
      name: 'appends/s',
      value: 205_457,
      unit: 'ev/s',
      ceiling: { name: 'bare append', value: 188_039, upperBound: true },
    });
    expect(reliabilityWarning(1.5, 2, [relay])).toBeNull(); // a latency over its floor is no sign of trouble
    expect(reliabilityWarning(6.73, 2, [relay])).toBe(
      'figures unreliable: load average 6.73 as it started, above the 2 cores: other work shared them',
    );
    const warning = reliabilityWarning(0.5, 2, [relay, append]);
    expect(warning).toBe(
      'figures unreliable: appends/s at 1.09× its ceiling (bare append), which it cannot really pass: the ceiling ran slow',
    );
    const table = scenarioTable({
      name: 'fanout',
      ok: true,
      ...(warning === null ? {} : { warning }),
      durationMs: 1_000,
      metrics: [relay, append],
      details: {},
      notes: ['a note'],
    });
    expect(table).toContain('0.94 ms (raw uWS relay)');
    expect(table).toContain('188,039 ev/s (bare append)');
    expect(table).toMatch(/latency p99 +1\.88 ms +≤2× +0\.94 ms \(raw uWS relay\) +2\.00× +pass/);
    expect(table.split('\n').slice(-2)).toEqual([`  warning: ${warning}`, '  note: a note']);
  });
});
